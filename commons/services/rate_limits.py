"""The one rate-limiting mechanism: sign-in failures, account mails, hub invitations, reports,
Markdown previews and searches are all counted here.

Each counted event is one row in the sign-in attempts table (``LoginAttempt``) under a key,
``<limit name>:<client>`` (the client is a user, a client address, or an account from a client
address), with the time it happened. A limit is a number of events in a sliding window. Rows
older than the window are deleted when their key is counted again, so a busy key keeps at most a
window's worth.

Why database counters rather than Flask-Limiter: Flask-Limiter is well kept, but it counts in a
storage backend, and the only backend the default install has is its in-memory one, which is
per worker process: under ``commons serve --workers 2`` (or two machines on one PostgreSQL) each
worker would allow the full limit, and a restart forgets every count. Its shared backends need
Redis, Memcached or MongoDB, which the Commons does not otherwise need or install. The database
is already shared by every worker and every machine, is transactional (a count and the change
it guards commit together), and survives restarts. It also lets sign-in ask more than
"allowed or not": how many failures, and when the first and the latest were, which is what the
doubling delay after failed sign-ins is computed from (``accounts.sign_in_wait``). The cost is a
small write per counted request; searches are counted in a short transaction of their own so a
busy database never costs a page (see ``web.pages.search``).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from commons.domain.errors import TooMany
from commons.models import LoginAttempt, utcnow


@dataclass(frozen=True)
class Limit:
    name: str
    most: int  # requests allowed in ``window``
    window: timedelta
    message: str


@dataclass(frozen=True)
class Usage:
    """What has been counted under one key within its limit's window."""

    count: int
    oldest: datetime | None
    newest: datetime | None


# The editor previews a section 300 ms after typing stops, and every section when it opens.
PREVIEW = Limit("preview", 120, timedelta(minutes=1),
                "Too many previews in a minute. Wait a moment and the preview will catch up.")
# Each invitation to a hub is a mail to an address a hub lead chose.
INVITATION = Limit("invitation", 30, timedelta(hours=1),
                   "You have sent as many hub invitations as you may in an hour. Wait an hour and try again.")
REPORT = Limit("report", 10, timedelta(hours=1),
               "Too many reports have been sent from here in the last hour. Wait an hour and try again.")
# Generous: a person searching, refining and paging stays far below it; a script does not.
# COMMONS_SEARCHES_PER_MINUTE sets ``most`` (see ``searches``).
SEARCH = Limit("search", 120, timedelta(minutes=1),
               "Too many searches from here in the last minute. Wait a minute, then search again: "
               "your question is still in the box.")
# Account mails (registration, password reset) asked for from one client address.
MAIL = Limit("mail", 10, timedelta(hours=1),
             "Too many emails have been asked for from here. Wait an hour and try again.")
# Failed sign-ins: for one account from one client (its client is "<account hash>|client:<address>"),
# after which that client waits a delay that doubles (see accounts.sign_in_wait), and from one
# client address over any accounts.
SIGN_IN_ACCOUNT = Limit("account", 5, timedelta(minutes=15), "Too many attempts to sign in from here.")
SIGN_IN_ADDRESS = Limit("address", 20, timedelta(minutes=15), "Too many attempts to sign in from here.")


def searches(per_minute: int) -> Limit | None:
    """The search limit with ``per_minute`` searches allowed (the setting); None when it is 0, off."""
    return replace(SEARCH, most=per_minute) if per_minute > 0 else None


def search_allowed(write_best_effort: Callable[[Callable[[Session], None], str], bool], per_minute: int,
                   client: str) -> bool:
    """Count a search from ``client`` against the search limit (web page and API share one budget);
    False when it is used up.

    Counted through ``write_best_effort`` (a short transaction of its own: a search is a reading
    request): when the database is too busy to count, the search goes ahead rather than failing.
    """
    limit = searches(per_minute)
    if limit is None:
        return True
    allowed = [True]

    def count(session: Session) -> None:
        allowed[0] = allow(session, limit, client)

    write_best_effort(count, "a search against its rate limit")
    return allowed[0]


def key(limit: Limit, client: str) -> str:
    return f"{limit.name}:{client}"[:300]


def usage(session: Session, limit: Limit, client: str) -> Usage:
    """How many events ``client`` has had counted against ``limit`` in its window, the oldest and the newest."""
    count, oldest, newest = session.execute(
        select(func.count(), func.min(LoginAttempt.at), func.max(LoginAttempt.at))
        .where(LoginAttempt.key == key(limit, client), LoginAttempt.at >= utcnow() - limit.window)
    ).one()
    return Usage(int(count or 0), _aware(oldest), _aware(newest))


def record(session: Session, limit: Limit, client: str) -> None:
    """Count one event (a failed sign-in, say) whatever the count; rows past the window are dropped."""
    name = key(limit, client)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == name, LoginAttempt.at < utcnow() - limit.window))
    session.add(LoginAttempt(key=name))
    session.flush()


def allow(session: Session, limit: Limit, client: str) -> bool:
    """Count one request from ``client`` against ``limit``; False (and not counted) when it is used up.

    The caller commits.
    """
    name = key(limit, client)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == name, LoginAttempt.at < utcnow() - limit.window))
    if usage(session, limit, client).count >= limit.most:
        return False
    session.add(LoginAttempt(key=name))
    session.flush()
    return True


def count(session: Session, limit: Limit, client: str) -> None:
    """Count one request from ``client`` against ``limit``; :class:`TooMany` (with the limit's message) when
    it is used up. The caller's transaction keeps the count."""
    if not allow(session, limit, client):
        raise TooMany(limit.message)


def wait(session: Session, limit: Limit, client: str) -> int:
    """Seconds until ``client`` may be counted against ``limit`` again (0: now): until its oldest event ages out."""
    used = usage(session, limit, client)
    if used.count < limit.most or used.oldest is None:
        return 0
    return max(0, math.ceil((used.oldest + limit.window - utcnow()).total_seconds()))


def forget(session: Session, limit: Limit, client: str, *, starting: bool = False) -> None:
    """Drop what was counted for ``client`` (or, ``starting``, for every client whose name begins so)."""
    name = key(limit, client)
    matches = LoginAttempt.key.startswith(name, autoescape=True) if starting else LoginAttempt.key == name
    session.execute(delete(LoginAttempt).where(matches))


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
