"""Following hubs, collections, schools, topics and saved searches, and what is new in each.

What a follow matches is public, so each also has a public Atom feed; a signed-in reader's
"Following" page marks what was published (or added to a collection) since their last visit.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commons.domain.errors import Invalid, NotFound
from commons.domain.ids import parse_id
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.domain.vocabulary import TOPICS
from commons.models import CaseStudy, Collection, Follow, Hub, School, User, utcnow
from commons.search.engine import QuestionProblem, search
from commons.search.filters import FilterProblem, SearchFilters
from commons.search.state import IndexState
from commons.services.collections import current_case_studies

KINDS = ("hub", "collection", "school", "topic", "search")
FEED_SIZE = 20


@dataclass
class FeedEntry:
    case_study: CaseStudy
    when: datetime  # published, or added to the collection
    note: str = ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe(session: Session, kind: str, target: str) -> str:
    """A label for what is followed, checking it exists; raises Invalid."""
    if kind == "hub":
        hub = session.scalar(select(Hub).where(Hub.slug == target))
        if hub is not None:
            return hub.name
    elif kind == "collection":
        collection = session.scalar(select(Collection).where(Collection.slug == target))
        if collection is not None and collection.status == CollectionStatus.PUBLISHED:
            return f"{collection.title} ({collection.hub.name})"
    elif kind == "school":
        urn = parse_id(target)
        school = session.get(School, urn) if urn is not None else None
        if school is not None:
            return school.name
    elif kind == "topic":
        if target in TOPICS:
            return TOPICS[target]
    elif kind == "search":
        question = parse_qs(target).get("q", [""])[0].strip()
        if question:
            return f"Search: “{question[:200]}”"
    raise Invalid("That cannot be followed: it does not exist or is not published.")


def follow(session: Session, user: User, kind: str, target: str) -> Follow:
    if kind not in KINDS:
        raise Invalid(f"You can follow a {', '.join(KINDS[:-1])} or a search.")
    if kind == "search":
        target = canonical_search(target)
    label = describe(session, kind, target)
    existing = session.scalar(select(Follow).where(Follow.user_id == user.id, Follow.kind == kind,
                                                   Follow.target == target))
    if existing is not None:
        return existing
    followed = Follow(user_id=user.id, kind=kind, target=target, label=label)
    session.add(followed)
    session.flush()
    return followed


def unfollow(session: Session, user: User, follow_id: int) -> None:
    """Stop following: only one's own follow (another's is :class:`NotFound`, as if it did not exist)."""
    followed = session.get(Follow, follow_id)
    if followed is None or followed.user_id != user.id:
        raise NotFound("You do not follow that.")
    session.delete(followed)


def follows_of(session: Session, user: User) -> list[Follow]:
    """What ``user`` follows, in the order they followed it."""
    return list(session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at)))


def existing(session: Session, user: User, kind: str, target: str) -> Follow | None:
    """This user's follow of this thing, if they follow it (a search compared in its canonical form)."""
    if kind == "search":
        try:
            target = canonical_search(target)
        except Invalid:
            return None
    return session.scalar(select(Follow).where(Follow.user_id == user.id, Follow.kind == kind,
                                               Follow.target == target))


def canonical_search(query_string: str) -> str:
    """The question and filters of a search, in a fixed order, validated."""
    args = {k: v[0] for k, v in parse_qs(query_string).items() if v}
    try:
        filters = SearchFilters.from_args(args)
    except FilterProblem as problem:
        raise Invalid(str(problem)) from None
    return urlencode({"q": (args.get("q") or "").strip()[:1000], **filters.to_dict()})


def entries(session: Session, index_state: IndexState, kind: str, target: str) -> list[FeedEntry]:
    """The newest case studies a follow matches, newest first."""
    published = CaseStudy.status == CaseStudyStatus.PUBLISHED
    if kind == "collection":
        collection = session.scalar(select(Collection).where(Collection.slug == target))
        if collection is None or collection.status != CollectionStatus.PUBLISHED:
            return []
        found = _collection_entries(session, index_state, collection)
    elif kind == "hub":
        hub = session.scalar(select(Hub).where(Hub.slug == target))
        found = [] if hub is None else [
            entry for c in hub.collections if c.status == CollectionStatus.PUBLISHED
            for entry in _collection_entries(session, index_state, c)
        ]
    elif kind == "school":
        studies: Iterable[CaseStudy] = []
        urn = parse_id(target)
        if urn is not None:
            studies = session.scalars(select(CaseStudy).where(published, CaseStudy.school_urn == urn))
        found = [FeedEntry(c, _published_at(c)) for c in studies]
    elif kind == "topic":
        found = [FeedEntry(c, _published_at(c)) for c in session.scalars(select(CaseStudy).where(published))
                 if target in (c.topics or [])]
    elif kind == "search":
        args = {k: v[0] for k, v in parse_qs(target).items()}
        try:
            results = search(session, index_state, args.get("q"), limit=FEED_SIZE, snippets=False,
                             filters=SearchFilters.from_args(args), nearest=0)
        except (QuestionProblem, FilterProblem):
            return []
        found = [FeedEntry(r.case_study, _published_at(r.case_study)) for r in results.answers]  # answers only
    else:
        return []
    unique: dict[int, FeedEntry] = {}
    for entry in found:
        if entry.case_study.id not in unique or _aware(entry.when) > _aware(unique[entry.case_study.id].when):
            unique[entry.case_study.id] = entry
    return sorted(unique.values(), key=lambda e: _aware(e.when), reverse=True)[:FEED_SIZE]


def _collection_entries(session: Session, index_state: IndexState, collection: Collection) -> list[FeedEntry]:
    """A hand-picked collection's items, when each was added; a smart collection's current results,
    when each was published (so a new case study entering its search is new to its followers)."""
    if collection.smart_query is not None:
        return [FeedEntry(c, _published_at(c)) for c in current_case_studies(session, index_state, collection)]
    return [FeedEntry(i.case_study, i.added_at, i.note) for i in collection.items
            if i.case_study.status == CaseStudyStatus.PUBLISHED]


def _published_at(case_study: CaseStudy) -> datetime:
    """When it became what it is now: the newest revision (its first publication, or its latest edit)."""
    return case_study.revisions[-1].created_at if case_study.revisions else case_study.created_at


def new_since(entries_: list[FeedEntry], followed: Follow) -> set[int]:
    seen = _aware(followed.last_seen_at)
    return {e.case_study.id for e in entries_ if _aware(e.when) > seen}


def mark_seen(session: Session, follow_ids: list[int]) -> None:
    """Note that the user has seen these follows' items now (in the caller's transaction)."""
    if follow_ids:
        session.execute(update(Follow).where(Follow.id.in_(follow_ids)).values(last_seen_at=utcnow()))
