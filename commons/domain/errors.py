"""Domain exceptions, mapped to clear HTTP responses and CLI messages."""


class CommonsError(Exception):
    """Base class for errors a user can act on."""


class ImportProblems(CommonsError):
    """An import found problems; nothing was imported. ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFound(CommonsError):
    """The thing asked for does not exist (or is not visible to this user)."""
