"""``commons alerts``: email alerts of what readers follow, for cron."""

import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from commons import settings
from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.migrate import upgrade
from commons.search.extension import search_index
from commons.services import accounts
from commons.services import alerts as service
from commons.services.transactions import transaction


@click.group()
def alerts() -> None:
    """Email alerts of what readers follow."""


@alerts.command("send")
@click.option("--digest", type=click.Choice(["daily", "weekly"]), default=None,
              help="Send the daily or weekly digests; without it, the immediate alerts still waiting.")
@with_appcontext
def send(digest: str | None) -> None:
    """Send email alerts. Run `commons alerts send --digest daily` once a day and `--digest weekly` once a
    week from cron; `commons alerts send` every few minutes sends immediate alerts the web left over."""
    upgrade(db.engine)
    typed = settings.current()
    mailer = accounts.Mailer(**typed.mail)
    base = typed.public_base
    secret = str(current_app.config["SECRET_KEY"])
    try:
        with current_app.test_request_context("/"):  # paths from the app's routes, joined to the public address
            links = service.AlertLinks(
                case_study=lambda slug: base + url_for("main.case_study", slug=slug),
                unsubscribe=lambda token: base + url_for("follows.unsubscribe", token=token),
                following=lambda: base + url_for("follows.following"))
            state = search_index.state
            if digest is None:
                sent = 0
                while True:  # every waiting publish, a batch at a time, each batch committed
                    with transaction(db.session):
                        sent += service.send_immediate(db.session, state, mailer, links, secret)
                    if not service.waiting(db.session):
                        break
                click.echo(f"Immediate alerts: {sent} email(s) sent.")
            else:
                with transaction(db.session):
                    sent = service.send_digests(db.session, state, mailer, links, secret, digest)
                click.echo(f"{digest.capitalize()} digests: {sent} email(s) sent.")
    except (CommonsError, OSError) as error:  # the batch that failed was rolled back
        fail(error)
