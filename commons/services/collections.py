"""Hubs and their collections: ordered, annotated sets of published case studies.

A **smart collection** keeps a saved search instead of items (``Collection.smart_query``: the
search page's question and filters, in the same canonical form a saved-search follow keeps).
Its case studies are that search's current top ``smart_limit`` results, through the one search
path, so it updates itself as case studies are published or withdrawn. The ranking is by
relevance alone, with no reader's school in the blend: the page, its feed, its follow and the
API must show the same list to everyone.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commons.domain.errors import Forbidden, Invalid, NotFound
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.domain.vocabulary import OFFERS, TOPICS
from commons.models import CaseStudy, Collection, CollectionItem, Hub, HubMember, User, utcnow
from commons.search.engine import QuestionProblem, SearchResults, clean_question, search
from commons.search.filters import FSM_BANDS, SIZE_BANDS, FilterProblem, SearchFilters
from commons.search.state import IndexState
from commons.services import permissions
from commons.services.accounts import normalise_email

HUB_KINDS = {
    "teaching-school-hub": "Teaching School Hub",
    "trust": "Trust",
    "research-school": "Research school",
    "local-authority": "Local authority",
    "other": "Other",
}
MAX_NOTE = 2000
MAX_ITEMS = 200
MAX_SMART_LIMIT = 50
MAX_SMART_QUERY = 1000
HUB_ROLES = ("owner", "manager", "curator")


def unique_slug(session: Session, model: type[Hub] | type[Collection], text: str) -> str:
    base = "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:80].strip("-") or "untitled"
    slug, number = base, 2
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug, number = f"{base[:76]}-{number}", number + 1
    return slug


def all_hubs(session: Session) -> list[Hub]:
    """Every hub, by name."""
    return list(session.scalars(select(Hub).order_by(Hub.name)))


def hub_called(session: Session, slug: str) -> Hub:
    """The hub ``slug``; :class:`NotFound` when there is none."""
    found = session.scalar(select(Hub).where(Hub.slug == slug))
    if found is None:
        raise NotFound(f"There is no hub called “{slug}”.")
    return found


def visible_collection(session: Session, slug: str, user: User | None, curate: bool = False) -> Collection:
    """The collection ``slug`` when ``user`` may see it (published, or theirs to curate), else :class:`NotFound`;
    with ``curate``, :class:`Forbidden` unless they may curate it too."""
    found = session.scalar(select(Collection).where(Collection.slug == slug))
    if found is None or not permissions.can_view_collection(user, found):
        raise NotFound(f"There is no published collection called “{slug}”.")
    if curate and not permissions.can_curate(user, found.hub):
        raise Forbidden(f"Only the members of {found.hub.name} change its collections.")
    return found


def owner_by_email(session: Session, email: str | None) -> User:
    """The account that will own a new hub, by its address; :class:`Invalid` when there is none."""
    owner = session.scalar(select(User).where(User.email == normalise_email(email)))
    if owner is None:
        raise Invalid("The owner needs an account first: ask them to register, then try again.")
    return owner


def create_hub(session: Session, name: str, kind: str, owner: User, description: str = "") -> Hub:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid("Give the hub a name of up to 200 characters.")
    if kind not in HUB_KINDS:
        raise Invalid(f"The kind of hub must be one of: {', '.join(HUB_KINDS)}.")
    hub = Hub(slug=unique_slug(session, Hub, name), name=name, kind=kind, description=description[:2000])
    session.add(hub)
    session.flush()
    session.add(HubMember(hub_id=hub.id, user_id=owner.id, role="owner"))
    session.flush()
    return hub


def set_member(session: Session, hub: Hub, user: User, role: str | None) -> None:
    """Add a member, change their role, or remove them (role None). A hub keeps at least one owner."""
    member = next((m for m in hub.members if m.user_id == user.id), None)
    owners = [m for m in hub.members if m.role == "owner"]
    if member is not None and member.role == "owner" and role != "owner" and len(owners) == 1:
        raise Invalid("A hub needs at least one owner: make someone else an owner first.")
    if role is None:
        if member is not None:
            session.delete(member)
    elif role not in ("owner", "manager", "curator"):
        raise Invalid("The role must be owner, manager or curator.")
    elif member is None:
        session.add(HubMember(hub_id=hub.id, user_id=user.id, role=role))
    else:
        member.role = role
    session.flush()
    session.expire(hub, ["members"])


LEAD_ROLES = ("owner", "manager")


def _title(text: str) -> str:
    title = " ".join(text.split())
    if not title or len(title) > 200:
        raise Invalid("Give the collection a title of up to 200 characters.")
    return title


def create_collection(session: Session, hub: Hub, title: str, description: str = "") -> Collection:
    title = _title(title)
    collection = Collection(hub_id=hub.id, slug=unique_slug(session, Collection, title), title=title,
                            description=description[:5000])
    session.add(collection)
    session.flush()
    return collection


def update_collection(collection: Collection, title: str, description: str, published: bool, featured: bool) -> None:
    """Change the settings; only a published collection can be featured on the home page."""
    collection.title = _title(title)
    collection.description = description[:5000]
    collection.status = CollectionStatus.PUBLISHED if published else CollectionStatus.DRAFT
    collection.featured = featured and published
    _touch(collection)  # the home page shows featured collections: its cached copies are keyed by this


def add_item(session: Session, collection: Collection, case_study: CaseStudy, note: str = "") -> CollectionItem:
    _not_smart(collection)
    if case_study.status != CaseStudyStatus.PUBLISHED:
        raise Invalid("Only published case studies can go in a collection.")
    existing = next((i for i in collection.items if i.case_study_id == case_study.id), None)
    if existing is not None:
        return existing
    if len(collection.items) >= MAX_ITEMS:
        raise Invalid(f"A collection holds at most {MAX_ITEMS} case studies.")
    last_position = select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection.id)
    last = session.scalar(last_position)
    item = CollectionItem(collection_id=collection.id, case_study_id=case_study.id,
                          position=(last or 0) + 1, note=note.strip()[:MAX_NOTE])
    session.add(item)
    _touch(collection)
    session.flush()
    session.expire(collection, ["items"])
    return item


FIND_LIMIT = 10


def find_to_add(session: Session, index_state: IndexState, question: str) -> list[CaseStudy]:
    """Published case studies a curator might add, for "Find case studies to add" on a collection
    page: the same search as the search page, answers first, then the nearest."""
    try:
        results = search(session, index_state, question, limit=FIND_LIMIT, snippets=False)
    except QuestionProblem:
        return []
    found = [r.case_study for r in results.results if r.case_study.status == CaseStudyStatus.PUBLISHED]
    return list(dict.fromkeys(found))[:FIND_LIMIT]


def holds(collection: Collection, case_study: CaseStudy) -> bool:
    """Whether the case study is in this (hand-picked) collection already."""
    return any(i.case_study_id == case_study.id for i in collection.items)


def reorder(session: Session, collection: Collection, item_ids: list[int]) -> None:
    """Put the items in this order; every item must be named exactly once."""
    _not_smart(collection)
    current = {i.id: i for i in collection.items}
    if sorted(item_ids) != sorted(current):
        raise Invalid("The new order must list every case study in the collection once.")
    for position, item_id in enumerate(item_ids, start=1):
        current[item_id].position = position
    _touch(collection)
    session.flush()
    session.expire(collection, ["items"])


def move(session: Session, collection: Collection, item: CollectionItem, step: int) -> None:
    """Move one item up (-1) or down (+1): the no-JavaScript way to reorder."""
    ids = [i.id for i in collection.items]
    at = ids.index(item.id)
    to = min(max(at + step, 0), len(ids) - 1)
    ids.insert(to, ids.pop(at))
    reorder(session, collection, ids)


def remove_item(session: Session, collection: Collection, item: CollectionItem) -> None:
    session.delete(item)
    session.flush()
    session.expire(collection, ["items"])
    reorder(session, collection, [i.id for i in collection.items])


def set_note(collection: Collection, item: CollectionItem, note: str) -> None:
    item.note = note.strip()[:MAX_NOTE]
    _touch(collection)


def visible_items(collection: Collection) -> list[CollectionItem]:
    """What a reader sees: the items whose case study is still published."""
    return [i for i in collection.items if i.case_study.status == CaseStudyStatus.PUBLISHED]


def _touch(collection: Collection) -> None:
    collection.updated_at = utcnow()


def _not_smart(collection: Collection) -> None:
    if collection.smart_query is not None:
        raise Invalid("This collection updates itself from its search: change its question or "
                                "filters instead of adding or moving case studies by hand.")


def smart_query(query_string: str) -> str:
    """The question and filters of a search, validated, in the canonical order saved searches use."""
    args = {k: v[0] for k, v in parse_qs(query_string).items() if v}
    try:
        question, _ = clean_question(args.get("q"))
        filters = SearchFilters.from_args(args)
    except (QuestionProblem, FilterProblem) as problem:
        raise Invalid(str(problem)) from None
    canonical = urlencode({"q": question, **filters.to_dict()})
    if len(canonical) > MAX_SMART_QUERY:
        raise Invalid("That question is too long to keep: shorten it to a sentence or two.")
    return canonical


def _smart_limit(limit: int | str | None) -> int:
    try:
        value = int(limit) if limit not in (None, "") else 10
    except (TypeError, ValueError):
        raise Invalid(f"Say how many case studies to show, from 1 to {MAX_SMART_LIMIT}.") from None
    if not 1 <= value <= MAX_SMART_LIMIT:
        raise Invalid(f"Say how many case studies to show, from 1 to {MAX_SMART_LIMIT}.")
    return value


def create_smart_collection(session: Session, hub: Hub, title: str, query_string: str,
                            limit: int | str | None = 10, description: str = "") -> Collection:
    """A draft collection that shows a search's current results instead of hand-picked items."""
    query, size = smart_query(query_string), _smart_limit(limit)
    collection = create_collection(session, hub, title, description)
    collection.smart_query, collection.smart_limit = query, size
    session.flush()
    return collection


def update_smart_search(collection: Collection, query_string: str, limit: int | str | None) -> None:
    """Change a smart collection's question, filters or size; a hand-picked one cannot become smart."""
    if collection.smart_query is None:
        raise Invalid("Only a smart collection has a question and filters.")
    collection.smart_query, collection.smart_limit = smart_query(query_string), _smart_limit(limit)
    _touch(collection)


def smart_results(session: Session, index_state: IndexState, collection: Collection,
                  snippets: bool = False) -> SearchResults:
    """A smart collection's case studies now: its search, ranked by relevance alone.

    Only the case studies that answer the question (no "nearest we have": a collection lists
    answers), so ``results`` and ``answers`` are the same list.
    """
    assert collection.smart_query is not None
    args = {k: v[0] for k, v in parse_qs(collection.smart_query).items() if v}
    try:
        return search(session, index_state, args.get("q"), limit=collection.smart_limit, snippets=snippets,
                      filters=SearchFilters.from_args(args), nearest=0)
    except (QuestionProblem, FilterProblem) as problem:  # a vocabulary changed since it was saved
        return SearchResults(args.get("q", ""), [], [str(problem)])


def current_case_studies(session: Session, index_state: IndexState, collection: Collection) -> list[CaseStudy]:
    """What a reader sees in any collection, in order: its published items, or its search's results."""
    if collection.smart_query is not None:
        return [r.case_study for r in smart_results(session, index_state, collection).answers]
    return [i.case_study for i in visible_items(collection)]


@dataclass
class SmartSearch:
    """A smart collection's search in words, for "This collection updates itself: ..."."""

    question: str
    filters: list[tuple[str, str]]  # (what, value), e.g. ("Topic", "Attendance")
    values: dict[str, str]  # the raw filter values, to fill the settings form

    @classmethod
    def of(cls, collection: Collection) -> "SmartSearch":
        args = {k: v[0] for k, v in parse_qs(collection.smart_query or "").items() if v}
        question = args.pop("q", "")
        return cls(question, [(FILTER_NAMES.get(k, k), _value_label(k, v)) for k, v in args.items()], args)


FILTER_NAMES = {
    "phase": "Phase", "provision": "Kind of school", "region": "Region", "setting": "Urban or rural",
    "fsm_band": "Free school meals", "size_band": "Size", "topic": "Topic", "evidence_strength": "Evidence",
    "year_from": "Work running in or after", "year_to": "Work running in or before", "open_to": "Open to",
}


def _value_label(name: str, value: str) -> str:
    if name == "fsm_band" and value in FSM_BANDS:
        return FSM_BANDS[value][0]
    if name == "size_band" and value in SIZE_BANDS:
        return SIZE_BANDS[value][0]
    if name == "topic":
        return TOPICS.get(value, value)
    if name == "open_to":
        return "visits, peer review or support" if value == "any" else OFFERS.get(value, value)
    return value


def member_hubs(session: Session, user: User | None) -> list[Hub]:
    """The hubs ``user`` is a member of (owner, manager or curator), by name."""
    if user is None:
        return []
    return list(session.scalars(select(Hub).join(HubMember, HubMember.hub_id == Hub.id)
                                .where(HubMember.user_id == user.id).order_by(Hub.name)))
