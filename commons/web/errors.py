"""Friendly error pages, and the one way the web shows a refusal.

A use case refuses with a domain error (``commons.domain.errors``); its transaction is rolled
back, and :func:`init_app`'s handler shows it: the form again, with what was typed and the
error's messages, where the view says how (``on_refused`` in ``commons.web.refusals``); a flash
and a redirect where it says so (``flash_refusal``); else the error page with the error's status
and message.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from commons.db import db
from commons.domain.errors import CommonsError
from commons.web.auth import load_user

EXPIRED = "Your session's security check expired; nothing you typed is lost: check it and save again."
NOT_SHOWN_AGAIN = ("csrf_token", "password", "new_password", "confirm_password", "current_password")
View = TypeVar("View", bound=Callable[..., Any])

TITLES = {
    400: "That request didn't make sense",
    403: "You don't have permission to do that",
    404: "We couldn't find that page",
    409: "That can't be done to it in its current state",
    410: "That has been taken down",
    405: "That isn't allowed here",
    413: "That was too large",
    429: "Too many requests for now",
    500: "Something went wrong on our side",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if request_ctx.url_adapter is None:  # a Host that is not trusted: no page can be built for it
            return f"{code} {error.name}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
        if _is_api():
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": error.description}), code
        return render_template("error.html", code=code, title=TITLES.get(code, error.name)), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        """Nothing is saved on a refused token; what was typed is shown again with a fresh one."""
        if _is_api():
            return jsonify({"error": "csrf", "message": error.description}), 400
        if "user" not in g:
            load_user()  # the token is checked before the signed-in user is loaded
        view = current_app.view_functions.get(request.endpoint or "")
        reshow: Callable[..., ResponseReturnValue | None] | None = getattr(view, "reshow_on_expired_token", None)
        if reshow is not None:
            shown = reshow(**(request.view_args or {}))
            if shown is not None:
                return shown
        typed = typed_fields(request.form)
        if typed:
            return render_template("expired_form.html", message=EXPIRED, fields=typed,
                                   action=request.full_path.rstrip("?")), 400
        return render_template(
            "error.html", code=400, title="That form had expired",
            detail="For your security, forms stop working after a while, or when sent from another site. "
                   "Go back, reload the page and try again; nothing was changed.",
        ), 400

    @app.errorhandler(CommonsError)
    def refused(error: CommonsError) -> ResponseReturnValue:
        """Every refusal a view does not catch: nothing it half-did is kept, and it is shown as its
        view asks (the form again, or a flash), else as the error page with its status and message."""
        db.session.rollback()
        if _is_api():
            return jsonify(error.envelope()), error.status, error.headers
        view = current_app.view_functions.get(request.endpoint or "")
        marked: tuple[Callable[..., ResponseReturnValue | None] | None, tuple[type[CommonsError], ...]]
        marked = getattr(view, "on_refused", (None, ()))
        shows, kinds = marked
        if shows is not None and isinstance(error, kinds):
            shown = shows(error, **(request.view_args or {}))
            if shown is not None:
                return shown
        return render_template("error.html", code=error.status, title=TITLES.get(error.status, TITLES[400]),
                               detail=error.message), error.status, error.headers

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error", exc_info=error)
        if _is_api():
            return jsonify({"error": "server_error", "message": "Something went wrong on our side."}), 500
        return render_template("error.html", code=500, title=TITLES[500]), 500


def _is_api() -> bool:
    """API clients get JSON errors, never an HTML page."""
    return request.path.startswith("/api/")


def reshow_on_expired_token(reshow: Callable[..., ResponseReturnValue | None]) -> Callable[[View], View]:
    """Mark a form's view with how to show its form again, filled in from the request, when the
    form's security token is refused; ``reshow`` takes the view's URL arguments and answers None
    to fall back to the generic page. It must not save anything."""

    def mark(view: View) -> View:
        view.reshow_on_expired_token = reshow  # type: ignore[attr-defined]
        return view

    return mark


@dataclass(frozen=True)
class TypedField:
    name: str
    values: list[str]
    long: bool


def typed_fields(form: Any) -> list[TypedField]:
    """What a refused form carried, to send again: every field but the token and passwords
    (a password is never written back into a page); empty if nothing was typed."""
    fields = []
    for name in form:
        if name in NOT_SHOWN_AGAIN or "password" in name:
            continue
        values = form.getlist(name)
        if any(value.strip() for value in values):
            fields.append(TypedField(name, values, any("\n" in v or len(v) > 80 for v in values)))
    return fields
