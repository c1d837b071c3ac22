"""What every web blueprint shares: the signed-in checks, the reader's school, safe redirects, the mailer
and the links mails carry."""

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from commons import settings
from commons.db import db
from commons.domain.comparability import SchoolContext
from commons.ops import public_url
from commons.services import accounts, readers
from commons.services.alerts import AlertLinks

P = ParamSpec("P")
READER_SESSION_KEY = "reader"


def sign_in_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Send a visitor who is not signed in to the sign-in page, then back here."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if g.get("user") is None:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")), code=303)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Signed in, and an administrator of the Commons; 403 otherwise."""

    @wraps(view)
    @sign_in_required
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not g.user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def current_reader() -> SchoolContext | None:
    """The reader's school context for this request, or None (kept for the visit, or on the profile).

    Looked up once per request: the views and every template render ask for it.
    """
    if "reader" not in g:
        user = g.get("user")
        stored = user.my_school if user is not None else session.get(READER_SESSION_KEY)
        g.reader = readers.reader_context(db.session, stored)
    reader: SchoolContext | None = g.reader
    return reader


def safe_next(default: str) -> str:
    """The ``next`` parameter when it is a path on this site, else ``default`` (no open redirect)."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return default


def mailer() -> accounts.Mailer:
    """The mailer configured by the ``COMMONS_SMTP_*`` settings (the outbox alone when no host is set)."""
    return accounts.Mailer(**settings.current().mail)


def public_base() -> str:
    """The configured public address, with no trailing slash."""
    return settings.current().public_base


def public_link(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail, from the configured public address (see ``commons.ops.public_url.link``)."""
    return public_url.link(endpoint, **values)


def alert_links() -> AlertLinks:
    """The links alert mails carry, each from the configured public address."""
    return AlertLinks(case_study=lambda slug: public_link("main.case_study", slug=slug),
                      unsubscribe=lambda token: public_link("follows.unsubscribe", token=token),
                      following=lambda: public_link("follows.following"))


TOKEN_LINK = re.compile(r"(/reset-password/|/hub-invitations/)[^\s]+")


def hide_token_links(body: str) -> str:
    """A mail's text with the secret of every token link replaced, for showing mail to admins."""
    return TOKEN_LINK.sub(r"\1[a one-time link, hidden here]", body)

