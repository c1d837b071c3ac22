"""Transactions in one place: a use case's writes are committed together, or none of them is.

Surfaces write ``with transaction(session): ...`` around the use cases a request runs, instead
of committing here and rolling back there: the block's writes are committed when it ends, and
rolled back when anything in it raises (a domain error included, which then goes on to the
surface's one handler, where it is shown).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def transaction(session: Session, keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[Session]:
    """Commit what the block wrote; roll it all back, and re-raise, when the block raises. An error in
    ``keep_on`` is one whose writes are kept all the same (a failed sign-in's record), then re-raised."""
    try:
        yield session
    except keep_on:
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    session.commit()
