"""Email alerts for what a reader follows: as soon as a matching case study is published, or a
daily or weekly digest; chosen per follow (a saved search is a follow too).

Publishing notes each published case study in ``alert_events`` in its own transaction
(:func:`note_published`), so an alert is only ever sent for a publish that committed. The web
sends the immediate alerts a publish made just after it commits (a bounded number per request);
``commons alerts send`` sends any left over, and ``commons alerts send --digest daily|weekly``
the digests, from cron.

Every alert goes through the mailer (the outbox when no mail server is configured), links to
the Commons' public address, and carries a signed unsubscribe link (no sign-in needed) and the
RFC 8058 ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from commons.domain.errors import Invalid, NotFound
from commons.domain.statuses import CaseStudyStatus
from commons.models import AlertEvent, CaseStudy, Follow, User, utcnow
from commons.search.engine import QuestionProblem, search
from commons.search.filters import FilterProblem, SearchFilters
from commons.search.state import IndexState
from commons.services import follows
from commons.services.accounts import Mailer

FREQUENCIES = {
    "off": "No emails",
    "immediate": "As soon as something is published",
    "daily": "A daily digest",
    "weekly": "A weekly digest",
}
DIGEST_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
DIGEST_SLACK = timedelta(hours=2)  # a cron job that runs a little early still sends
KEEP_SENT = timedelta(days=30)  # how long a sent publish stays in the queue, for the record
EVENTS_PER_RUN = 20  # publishes handled per call: bounded work, the rest wait for the next call
SEARCH_DEPTH = 50  # how many answers of a saved search are looked at for the new case study
TOKEN_SALT = "commons-alerts-unsubscribe"


@dataclass
class AlertLinks:
    """Absolute links for alert mails, built by the surface from the configured public address."""

    case_study: Callable[[str], str]  # slug -> URL
    unsubscribe: Callable[[str], str]  # token -> URL
    following: Callable[[], str]


@dataclass
class _Mail:
    user: User
    lines: list[str] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def note_published(session: Session, case_study_ids: Iterable[int]) -> None:
    """Queue the immediate alerts of these just-published case studies (in the publishing transaction)."""
    session.add_all(AlertEvent(case_study_id=cid) for cid in case_study_ids)
    session.info["alerts_pending"] = True


def choose(session: Session, user: User, follow_id: int, frequency: str) -> Follow:
    """Set how often a follow emails its owner; raises Invalid, or NotFound (not theirs)."""
    if frequency not in FREQUENCIES:
        raise Invalid("Choose no emails, as soon as something is published, a daily or a weekly digest.")
    followed = session.get(Follow, follow_id)
    if followed is None or followed.user_id != user.id:
        raise NotFound("You do not follow that.")
    if followed.alert != frequency:
        followed.alert = frequency
        followed.alerted_at = utcnow() if frequency in DIGEST_PERIODS else None  # a digest starts from now
    session.flush()
    return followed


# -- unsubscribing ----------------------------------------------------------------------------------------


def unsubscribe_token(secret: str, user_id: int, follow_ids: list[int]) -> str:
    return URLSafeSerializer(secret, salt=TOKEN_SALT).dumps({"u": user_id, "f": sorted(follow_ids)})


def read_token(secret: str, token: str) -> tuple[int, list[int]] | None:
    """The user and follows an unsubscribe token names, or None when it was not made by this Commons."""
    try:
        data = URLSafeSerializer(secret, salt=TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), list):
        return None
    ids = [i for i in data["f"] if isinstance(i, int)]
    return data["u"], ids[:100]


def token_follows(session: Session, user_id: int, follow_ids: list[int]) -> list[Follow]:
    """The follows a token names that still exist and still belong to its user."""
    if not follow_ids:
        return []
    return list(session.scalars(select(Follow).where(Follow.id.in_(follow_ids), Follow.user_id == user_id)
                                .order_by(Follow.id)))


def unsubscribe(session: Session, user_id: int, follow_ids: list[int]) -> list[Follow]:
    """Stop the emails of these follows (they stay followed, on the Following page); returns them."""
    found = token_follows(session, user_id, follow_ids)
    for followed in found:
        followed.alert = "off"
        followed.alerted_at = None
    session.flush()
    return found


# -- matching ---------------------------------------------------------------------------------------------


class _Matcher:
    """Whether a follow matches a case study; each saved search and collection is run once per call."""

    def __init__(self, session: Session, index_state: IndexState) -> None:
        self.session, self.index_state = session, index_state
        self.found: dict[tuple[str, str], set[int]] = {}

    def matches(self, followed: Follow, case_study: CaseStudy) -> bool:
        if followed.kind == "school":
            return followed.target == str(case_study.school_urn)
        if followed.kind == "topic":
            return followed.target in (case_study.topics or [])
        key = (followed.kind, followed.target)
        if key not in self.found:
            self.found[key] = (self._answers(followed.target) if followed.kind == "search" else
                               {e.case_study.id for e in follows.entries(self.session, self.index_state, *key)})
        return case_study.id in self.found[key]

    def _answers(self, target: str) -> set[int]:
        """The case studies that answer a saved search now: the search page's own answers."""
        args = {k: v[0] for k, v in parse_qs(target).items() if v}
        try:
            results = search(self.session, self.index_state, args.get("q"), limit=SEARCH_DEPTH, snippets=False,
                             filters=SearchFilters.from_args(args), nearest=0)
        except (QuestionProblem, FilterProblem):
            return set()
        return {r.case_study.id for r in results.answers}


# -- sending ----------------------------------------------------------------------------------------------


def _mail_for(session: Session, mails: dict[int, _Mail], user_id: int, lines: list[str]) -> _Mail | None:
    """The one mail a run sends this user, started with ``lines``; None when the account is gone."""
    mail = mails.get(user_id)
    if mail is None:
        user = session.get(User, user_id)
        if user is None:
            return None
        mail = mails[user_id] = _Mail(user, lines)
    return mail


def _send(session: Session, mailer: Mailer, links: AlertLinks, secret: str, mail: _Mail, subject: str,
          intro: str) -> None:
    token = unsubscribe_token(secret, mail.user.id, [f.id for f in mail.follows])
    stop_all = links.unsubscribe(token)
    each = "\n".join(f"- {f.label}: {links.unsubscribe(unsubscribe_token(secret, mail.user.id, [f.id]))}"
                     for f in mail.follows)
    body = (f"{intro}\n\n" + "\n".join(mail.lines) +
            f"\n\nChoose how often we email you, or stop following, on your Following page: {links.following()}\n\n"
            f"Stop these emails with one click (no sign-in needed): {stop_all}\n"
            + (f"Or stop the emails of one thing you follow:\n{each}\n" if len(mail.follows) > 1 else ""))
    mailer.send(session, mail.user.email, subject, body, headers={
        "List-Unsubscribe": f"<{stop_all}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})


def _entry_line(links: AlertLinks, case_study: CaseStudy) -> str:
    return f"“{case_study.title}”, {case_study.school.name}\n  {links.case_study(case_study.slug)}"


def waiting(session: Session) -> bool:
    """Whether some publish still waits for its immediate alerts."""
    return session.scalar(select(AlertEvent.id).where(AlertEvent.sent_at.is_(None)).limit(1)) is not None


def send_immediate(session: Session, index_state: IndexState, mailer: Mailer, links: AlertLinks, secret: str,
                   limit: int = EVENTS_PER_RUN) -> int:
    """Send the alerts of up to ``limit`` waiting publishes (in the caller's transaction); returns mails sent.

    Publishes from before any follow asks for immediate alerts (a bulk import, the demo) can
    alert nobody: they are marked done at once, in one statement, so they never hold up the
    alerts of the next publish.
    """
    waiting = list(session.scalars(select(Follow).where(Follow.alert == "immediate").order_by(Follow.id)))
    earliest = min((f.created_at for f in waiting), default=None)
    session.execute(update(AlertEvent).where(
        AlertEvent.sent_at.is_(None), *([AlertEvent.created_at < earliest] if earliest is not None else []))
        .values(sent_at=utcnow()))
    events = list(session.scalars(select(AlertEvent).where(AlertEvent.sent_at.is_(None))
                                  .order_by(AlertEvent.id).limit(limit)))
    if not events:
        session.flush()
        return 0
    session.execute(delete(AlertEvent).where(AlertEvent.sent_at < utcnow() - KEEP_SENT))
    matcher = _Matcher(session, index_state)
    sent = 0
    done: set[int] = set()
    for event in events:
        event.sent_at = utcnow()
        case_study = event.case_study
        if case_study.status != CaseStudyStatus.PUBLISHED or case_study.id in done:
            continue  # withdrawn since, or published twice in one batch: one alert
        done.add(case_study.id)
        mails: dict[int, _Mail] = {}
        for followed in waiting:
            if _aware(followed.created_at) > _aware(event.created_at) or not matcher.matches(followed, case_study):
                continue
            mail = _mail_for(session, mails, followed.user_id, [_entry_line(links, case_study)])
            if mail is not None:
                mail.follows.append(followed)
        for mail in mails.values():
            because = "; ".join(f.label for f in mail.follows)
            _send(session, mailer, links, secret, mail, f"New on the Commons: {_short(case_study.title)}",
                  f"A case study was just published that matches what you follow ({because}):")
            sent += 1
    session.flush()
    return sent


def send_digests(session: Session, index_state: IndexState, mailer: Mailer, links: AlertLinks, secret: str,
                 frequency: str, now: datetime | None = None) -> int:
    """Send each reader one digest of what is new in their ``frequency`` follows; returns mails sent.

    A follow is due when its last digest is at least a period old (less a little slack); what is
    new is what its feed shows since then. A reader with nothing new gets no mail.
    """
    if frequency not in DIGEST_PERIODS:
        raise Invalid("A digest is daily or weekly.")
    now = now or utcnow()
    due_before = now - DIGEST_PERIODS[frequency] + DIGEST_SLACK
    mails: dict[int, _Mail] = {}
    for followed in session.scalars(select(Follow).where(Follow.alert == frequency).order_by(Follow.user_id,
                                                                                             Follow.id)):
        since = _aware(followed.alerted_at or followed.created_at)
        if since > due_before:
            continue
        followed.alerted_at = now
        new = [e for e in follows.entries(session, index_state, followed.kind, followed.target)
               if _aware(e.when) > since]
        if not new:
            continue
        mail = _mail_for(session, mails, followed.user_id, [])
        if mail is None:
            continue
        mail.lines.append(f"{followed.label}:")
        mail.lines.extend("  " + _entry_line(links, e.case_study).replace("\n", "\n  ") for e in new)
        mail.follows.append(followed)
    word = "daily" if frequency == "daily" else "weekly"
    for mail in mails.values():
        count = sum(1 for line in mail.lines if line.startswith("  “"))
        _send(session, mailer, links, secret, mail, f"Your {word} digest: {count} new on the Commons",
              f"New since your last {word} digest in what you follow:")
    session.flush()
    return len(mails)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
