"""Accounts: registration, Argon2id passwords, rate-limited sign-in, password-reset links, mail.

Messages never say whether an email address has an account (no enumeration), and registering
an address that has one costs the same time as a new one. Failed sign-ins are counted per
account from each client address, and per client address, in the database, so every worker
sees the same count; so are the account mails anyone can ask for (per recipient, from the
outbox, and per client address).

Every count goes through ``rate_limits``, the one mechanism for limits (see its docstring for why
database counters). Failures slow a client down rather than lock an account: after a few failures for an account
from one client, that client waits a delay that doubles with each further failure ("try again
in N seconds"), while the account's owner signing in from another client is not held up. A
client address that fails too often over any accounts waits until its oldest failure in the
window has aged out. Behind a reverse proxy the client address is the forwarded one only when
``COMMONS_PROXY_HOPS`` says how many proxies to trust (see ``create_app``).
"""

import hashlib
import math
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from commons.domain.errors import Invalid, SignInRefused
from commons.domain.passwords import weakness
from commons.models import ApiToken, OutboxMessage, User, utcnow
from commons.services import rate_limits
from commons.services.rate_limits import SIGN_IN_ACCOUNT, SIGN_IN_ADDRESS

HASHER = PasswordHasher()  # Argon2id with the library's recommended parameters
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
ATTEMPT_WINDOW = SIGN_IN_ACCOUNT.window
MAX_FAILURES_PER_ACCOUNT = SIGN_IN_ACCOUNT.most  # failures for one account from one client before that client waits
MAX_FAILURES_PER_ADDRESS = SIGN_IN_ADDRESS.most  # failures from one client, over any accounts, in its window
FIRST_DELAY = timedelta(seconds=30)  # the wait after MAX_FAILURES_PER_ACCOUNT; doubled by each further failure
LONGEST_DELAY = ATTEMPT_WINDOW
RESET_SALT = "password-reset"
RESET_MAX_AGE = 3600  # seconds
SIGN_IN_FAILED = "That email address and password do not match an account. Check them and try again."
TOO_MANY = SIGN_IN_ACCOUNT.message
WAIT = " Try again in {seconds} seconds, or reset your password."
MAIL_WINDOW = timedelta(hours=1)
MAX_MAILS_PER_RECIPIENT = 3  # account mails (below) to one address in MAIL_WINDOW
MAX_MAILS_PER_CLIENT = rate_limits.MAIL.most  # requests for account mails from one client address in its window
SUBJECT_REGISTERED_ALREADY = "Someone tried to register with your address"
SUBJECT_WELCOME = "Welcome to the School Improvement Commons"
SUBJECT_RESET = "Reset your School Improvement Commons password"
# Mails a stranger can make the Commons send to an address of their choosing: these are limited.
ACCOUNT_MAIL_SUBJECTS = (SUBJECT_REGISTERED_ALREADY, SUBJECT_WELCOME, SUBJECT_RESET)
TOO_MANY_MAILS = rate_limits.MAIL.message


def normalise_email(raw: str | None) -> str:
    return (raw or "").strip().lower()


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_problem(password: str) -> str | None:
    if not password.strip():
        return "Enter a password that is not only spaces. A short sentence you will remember works well."
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters. A short sentence you will remember works well."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    return weakness(password)


def register(session: Session, email: str, name: str, password: str) -> User | None:
    """Create an account; returns None (and changes nothing) when the address is already registered.

    The caller shows the same message either way and mails the address, so nobody can learn
    who has an account by trying to register.
    """
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = "Enter an email address like name@school.org.uk."
    if not name.strip() or len(name) > 120:
        errors["name"] = "Enter your name (up to 120 characters)."
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise Invalid(errors=errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        hash_password(password)  # spend the same time as a new account, so timing tells nothing
        return None
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def _account_from(email: str, address: str) -> str:
    """The client failures for one account from one client address are counted for.

    The email address is hashed (and the client address clipped) so the key fits its column.
    """
    account = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    return f"{account}|client:{address[:200]}"


def sign_in_wait(session: Session, email: str, address: str) -> int:
    """Seconds this client must wait before it may try to sign in to this account again (0: now).

    After MAX_FAILURES_PER_ACCOUNT failures for the account from this client, it waits
    FIRST_DELAY after its latest failure, twice as long after each further one (at most
    LONGEST_DELAY). Other clients, the account's owner among them, are not held up. A client
    with MAX_FAILURES_PER_ADDRESS failures over any accounts waits until the oldest ages out.
    """
    waits = [0.0, float(rate_limits.wait(session, SIGN_IN_ADDRESS, address[:200]))]
    failed = rate_limits.usage(session, SIGN_IN_ACCOUNT, _account_from(email, address))
    if failed.count >= MAX_FAILURES_PER_ACCOUNT and failed.newest is not None:
        delay = min(FIRST_DELAY * 2 ** min(failed.count - MAX_FAILURES_PER_ACCOUNT, 32), LONGEST_DELAY)
        waits.append((failed.newest + delay - utcnow()).total_seconds())
    return max(0, math.ceil(max(waits)))


def authenticate(session: Session, email: str, password: str, address: str) -> User:
    """The user whose credentials these are; raises SignInRefused. Failures are recorded."""
    email = normalise_email(email)
    wait = sign_in_wait(session, email, address)
    if wait:
        raise SignInRefused(TOO_MANY + WAIT.format(seconds=wait))
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        HASHER.hash(password)  # spend the same time as a real check
    elif _verify(user, password):
        rate_limits.forget(session, SIGN_IN_ACCOUNT, _account_from(email, address))
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user
    rate_limits.record(session, SIGN_IN_ACCOUNT, _account_from(email, address))
    rate_limits.record(session, SIGN_IN_ADDRESS, address[:200])
    raise SignInRefused(SIGN_IN_FAILED)


def _verify(user: User, password: str) -> bool:
    try:
        return HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_stamp(moment: datetime) -> int:
    """Microseconds since the epoch, whether the database gave the moment back with a zone or not."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1_000_000)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def reset_token(secret_key: str, user: User) -> str:
    """A signed link token, valid for an hour and only until the password next changes."""
    return _serializer(secret_key).dumps({"user": user.id, "since": password_stamp(user.password_changed_at)})


def user_for_reset(session: Session, secret_key: str, token: str) -> User | None:
    try:
        data: Any = _serializer(secret_key).loads(token, max_age=RESET_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    user = session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or password_stamp(user.password_changed_at) != data.get("since"):
        return None
    return user


def set_password(session: Session, user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise Invalid(errors={"password": problem})
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()  # old reset links stop working
    end_sessions(user)  # and every browser signed in with the old password is signed out
    rate_limits.forget(session, SIGN_IN_ACCOUNT, _account_from(user.email, ""), starting=True)


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session begun before this, and every copy of it, stops working."""
    user.session_generation = (user.session_generation or 0) + 1


def session_is_current(user: User, generation: object, signed_in_at: object, now: float,
                       lifetime: timedelta) -> bool:
    """Whether a browser session the user began (as stored in its cookie) may still act for them.

    Not after sign-out or a new password (the generation moved on), and never longer than
    ``lifetime`` after signing in, however busy the session has been.
    """
    if not isinstance(generation, int) or generation != user.session_generation:
        return False
    if not isinstance(signed_in_at, int | float) or isinstance(signed_in_at, bool):
        return False
    return 0 <= now - signed_in_at < lifetime.total_seconds()


def revoke_api_tokens(session: Session, user: User) -> int:
    """Revoke every working API token of the user (after a password reset); how many were working."""
    result = session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def client_may_ask_for_mail(session: Session, address: str) -> bool:
    """Count a request for an account mail from this client address; False when it has asked too often.

    The count is the same whether or not the address asked about has an account.
    """
    return rate_limits.allow(session, rate_limits.MAIL, address)


def recipient_may_get_mail(session: Session, to: str) -> bool:
    """False when this address has had as many account mails as it may in the last hour (from the outbox)."""
    sent = int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to == normalise_email(to), OutboxMessage.subject.in_(ACCOUNT_MAIL_SUBJECTS),
        OutboxMessage.created_at >= utcnow() - MAIL_WINDOW)) or 0)
    return sent < MAX_MAILS_PER_RECIPIENT


@dataclass
class Mailer:
    """SMTP when ``host`` is configured; otherwise every message waits in the outbox for an admin."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "commons@localhost"

    def send(self, session: Session, to: str, subject: str, body: str,
             headers: dict[str, str] | None = None) -> OutboxMessage:
        """Send (or keep in the outbox) one plain-text mail; ``headers`` adds e.g. List-Unsubscribe."""
        message = OutboxMessage(to=to, subject=subject, body=body, delivered=False, headers=headers or None)
        session.add(message)
        if self.host:
            email = EmailMessage()
            email["From"], email["To"], email["Subject"] = self.sender, to, subject
            for name, value in (headers or {}).items():
                email[name] = value
            email.set_content(body)
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
            message.delivered = True
        session.flush()
        return message


def recent_mail(session: Session, most: int = 20) -> list[OutboxMessage]:
    """The newest mail sent (or waiting to be), newest first: for administrators to see what went out."""
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(most)))


def send_reset_link(session: Session, mailer: "Mailer", email: str, secret_key: str,
                    link: Callable[[str], str]) -> None:
    """Mail a password-reset link to the account with this address, if there is one and it may get mail now;
    nothing says which (the page is the same either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not recipient_may_get_mail(session, user.email):
        return
    mailer.send(session, user.email, SUBJECT_RESET,
                f"Use this link within an hour to choose a new password: {link(reset_token(secret_key, user))}\n"
                "Choosing a new password signs you out everywhere and revokes your API tokens.\n"
                "If you did not ask for this, ignore this email.")
