"""Domain exceptions, mapped to clear HTTP responses and CLI messages."""

from typing import Any


class CommonsError(Exception):
    """Base class for errors a user can act on."""


class ImportProblems(CommonsError):
    """An import found problems; nothing was imported. ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFound(CommonsError):
    """The thing asked for does not exist (or is not visible to this user)."""


class Refused(CommonsError):
    """A request that cannot be done as asked: a machine ``code``, the HTTP ``status`` that says so, a message
    for people, and any messages by field (``errors``). Each surface renders it one way, in one place: the API
    as its JSON envelope (``{"error": code, "message": ..., "errors": {...}}``, plus any ``details``), with
    any ``headers`` it needs (``WWW-Authenticate``, ``Retry-After``)."""

    def __init__(self, status: int, code: str, message: str, *, errors: dict[str, str] | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or {}
        self.details, self.headers = details or {}, headers or {}

    def envelope(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **({"errors": self.errors} if self.errors else {}),
                **self.details}
