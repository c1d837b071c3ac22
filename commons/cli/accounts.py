"""``commons users``: accounts."""


import click
from flask.cli import with_appcontext
from sqlalchemy import select

from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.migrate import upgrade


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
        existing.is_admin = True
        session.commit()
        click.echo(f"{existing.email} is now an admin (password unchanged).")
        return
    try:
        user = accounts.register(session, email, name, password)
    except accounts.AccountProblems as problems:
        session.rollback()
        fail(CommonsError("; ".join(f"{field}: {message}" for field, message in problems.errors.items())))
    assert user is not None
    user.is_admin = True
    session.commit()
    click.echo(f"Created admin {user.email}. Sign in at /sign-in.")
