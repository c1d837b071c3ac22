"""``commons users``: accounts."""


import click
from flask.cli import with_appcontext
from sqlalchemy import select

from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.migrate import upgrade
from commons.services.transactions import transaction


@click.group()
def users() -> None:
    """Accounts."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="The new admin's password (asked for when not given).")
@with_appcontext
def users_create_admin(email: str, name: str, password: str) -> None:
    """Create the first admin (or make an existing account an admin, keeping its password)."""
    from commons.models import User
    from commons.services import accounts

    upgrade(db.engine)
    session = db.session
    existing = session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if existing is not None:
        with transaction(session):
            existing.is_admin = True
        click.echo(f"{existing.email} is now an admin (password unchanged).")
        return
    try:
        with transaction(session):
            user = accounts.register(session, email, name, password)
            assert user is not None
            user.is_admin = True
    except CommonsError as error:
        fail(error)
    click.echo(f"Created admin {user.email}. Sign in at /sign-in.")
