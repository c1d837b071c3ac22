"""Personal API tokens: made by a signed-in user, shown once, acting for them until revoked.

A token never grants more than its user can do at the moment of each request: the API loads
the token's user and asks ``permissions`` as the web does, and its scopes only narrow that.
Only the SHA-256 digest of the secret is stored, with a short prefix to recognise it by; a
secret is looked up by its digest, so nothing compares secrets character by character.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from commons.domain.errors import Invalid, NotFound
from commons.models import ApiToken, User, utcnow

SCOPES: dict[str, str] = {
    "read": "Read: see your schools' drafts",
    "write": "Write: start and change drafts",
    "publish": "Publish: publish drafts (or send them for review)",
}
SECRET_PREFIX = "sic_"
PREFIX_CHARS = 12  # "sic_" and the first 8 characters of the random part
MAX_NAME = 100
MAX_ACTIVE = 20
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made, with its secret: the only time the secret is known."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(session: Session, user: User, name: str, scopes: list[str]) -> NewToken:
    """Make a token for ``user``; raises Invalid. The secret is returned once, never stored."""
    name = " ".join(name.split())
    chosen = [scope for scope in SCOPES if scope in scopes]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name, so you know later what uses it (for example “Trust website”)."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name under {MAX_NAME} characters."
    if not chosen or set(scopes) - set(SCOPES):
        errors["scopes"] = "Tick at least one thing the token may do."
    active = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if (active or 0) >= MAX_ACTIVE:
        errors["name"] = f"You already have {MAX_ACTIVE} tokens; revoke one you no longer use first."
    if errors:
        raise Invalid(errors=errors)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, digest=digest(secret), prefix=secret[:PREFIX_CHARS], scopes=chosen)
    session.add(token)
    session.flush()
    return NewToken(token, secret)


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, working ones first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke(session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens for good; :class:`NotFound` when they have no such working token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("You have no such working token.")
    token.revoked_at = utcnow()


def note_use(session: Session, token_id: int, when: datetime) -> None:
    """Record when a token was last used, in the caller's (own, short) transaction."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when))


def authenticate(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The working token with this secret, or None; notes when it was used (at most once a minute)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    wanted = digest(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.digest == wanted))
    if token is None or not hmac.compare_digest(token.digest, wanted) or token.revoked_at is not None:
        return None
    now = now or utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite hands back naive UTC datetimes
    if last is None or now - last >= TOUCH_EVERY:
        token.last_used_at = now
    return token
