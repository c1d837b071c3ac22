"""The one error model: every error a person can act on is a :class:`CommonsError`.

Each carries a machine ``code``, the HTTP ``status`` that says what kind of refusal it is, a message
for people (safe to show) and any messages by field (``errors``). The use cases in
``commons.services`` raise them; each surface renders them in one place: the web as a page, a
flash or the form shown again with what was typed (``commons.web.errors``), the API as its JSON
envelope (``commons.api.common``), the command line as a message and a non-zero exit
(``commons.cli.common``).

The classes are the kinds of refusal, not the places they come from: a class of its own only
where some caller catches it differently (:class:`SignInRefused`, :class:`ImportProblems`).
"""

from typing import Any


class CommonsError(Exception):
    """An error a person can act on: ``code``, ``status``, ``message`` and ``errors`` by field.

    Each kind has its default code and status; a use case may give a more precise ``code`` (and the
    API's refusals their own ``status``). Without a message, the messages by field are the message.
    """

    status: int = 400
    code: str = "refused"

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None,
                 errors: dict[str, str] | None = None, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.errors = dict(errors or {})
        message = message or "; ".join(f"{field}: {text}" for field, text in self.errors.items())
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details, self.headers = details or {}, headers or {}

    def envelope(self) -> dict[str, Any]:
        """The API's JSON body for it: ``{"error": code, "message": ..., "errors": {...}}``, plus any ``details``."""
        return {"error": self.code, "message": self.message, **({"errors": self.errors} if self.errors else {}),
                **self.details}


class Invalid(CommonsError):
    """What was sent cannot be accepted as it is: the message (and ``errors``, by field) say what to change."""

    status = 400
    code = "invalid"


class Forbidden(CommonsError):
    """The thing exists and this person may see it, but may not do this to it."""

    status = 403
    code = "forbidden"


class NotFound(CommonsError):
    """The thing asked for does not exist (or is not visible to this user)."""

    status = 404
    code = "not_found"


class Conflict(CommonsError):
    """That cannot be done to it in its current state (already decided, not published, changed meanwhile)."""

    status = 409
    code = "conflict"


class Gone(CommonsError):
    """It was there and was taken away on purpose (a withdrawn case study)."""

    status = 410
    code = "gone"


class TooMany(CommonsError):
    """A limit is used up for now; the message says how long to wait."""

    status = 429
    code = "too_many"


class SignInRefused(CommonsError):
    """Sign-in did not succeed; the message is safe to show (it reveals nothing about accounts). Caught on
    its own: the failed attempt is kept (committed), where every other refusal is rolled back."""

    status = 400
    code = "sign_in_refused"


class ImportProblems(Invalid):
    """An import found problems; nothing was imported. ``problems`` lists them all."""

    code = "import_problems"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Refused(CommonsError):
    """A refusal with its status and code given where it is made (the API's own: tokens, scopes, bodies)."""

    def __init__(self, status: int, code: str, message: str, *, errors: dict[str, str] | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code, status=status, errors=errors, details=details, headers=headers)
