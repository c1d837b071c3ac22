"""Per-client limits on requests anyone can repeat cheaply: Markdown previews and reports.

Counted like sign-in failures and account mails: one row in the sign-in attempts table per
request, under a key of its own, so every worker sees the same count. Rows older than the
window are deleted when their key is counted again, so a busy key keeps at most a window's worth.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from commons.models import LoginAttempt, utcnow


@dataclass(frozen=True)
class Limit:
    name: str
    most: int  # requests allowed in ``window``
    window: timedelta
    message: str


# The editor previews a section 300 ms after typing stops, and every section when it opens.
PREVIEW = Limit("preview", 120, timedelta(minutes=1),
                "Too many previews in a minute. Wait a moment and the preview will catch up.")
# Each invitation to a hub is a mail to an address a hub lead chose.
INVITATION = Limit("invitation", 30, timedelta(hours=1),
                   "You have sent as many hub invitations as you may in an hour. Wait an hour and try again.")
REPORT = Limit("report", 10, timedelta(hours=1),
               "Too many reports have been sent from here in the last hour. Wait an hour and try again.")


def allow(session: Session, limit: Limit, client: str) -> bool:
    """Count one request from ``client`` against ``limit``; False (and not counted) when it is used up.

    The caller commits.
    """
    key = f"{limit.name}:{client}"[:300]
    since = utcnow() - limit.window
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at < since))
    used = int(session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.key == key, LoginAttempt.at >= since)) or 0)
    if used >= limit.most:
        return False
    session.add(LoginAttempt(key=key))
    session.flush()
    return True
