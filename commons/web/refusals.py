"""How a view shows a refusal of what it was sent: marked on the view, used by the one handler
of domain errors (``commons.web.errors``), after the request's transaction was rolled back."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from commons.domain.errors import CommonsError, Conflict, Invalid, TooMany
from commons.web.helpers import safe_next

View = TypeVar("View", bound=Callable[..., Any])
FORM_REFUSALS = (Invalid, Conflict, TooMany)  # what a form's own page shows; a 403, 404 or 410 is a page of its own


def on_refused(shows: Callable[..., ResponseReturnValue | None],
               kinds: tuple[type[CommonsError], ...] = FORM_REFUSALS) -> Callable[[View], View]:
    """Mark a view with how to show a refusal of what it was sent (by default ``Invalid``, ``Conflict``
    and ``TooMany``): ``shows(error, **url_arguments)`` shows the form again with what was typed and the
    error's messages, or answers None for the error page. It runs after the transaction was rolled back."""

    def mark(view: View) -> View:
        view.on_refused = (shows, kinds)  # type: ignore[attr-defined]
        return view

    return mark


def flash_refusal(back: Callable[..., str],
                  kinds: tuple[type[CommonsError], ...] = FORM_REFUSALS) -> Callable[[View], View]:
    """Mark a view whose refusals are flashed, then the person is sent back: to the form's ``next``
    when it is a path on this site, else to ``back(**url_arguments)``."""

    def shows(error: CommonsError, **arguments: object) -> ResponseReturnValue:
        flash(error.message, "error")
        return redirect(safe_next(back(**arguments)), code=303)

    return on_refused(shows, kinds)
