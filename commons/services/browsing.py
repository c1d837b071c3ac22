"""Browsing the Commons without a question: every case study, or a topic's, a page at a time.

A listing needs no ranking by relevance. It takes the same :class:`SearchFilters` as a
search and lists the published case studies they let through, newest first; when the
reader has said which school is theirs, the most comparable first (the comparison of the
reader's school with the authoring school as it was when it did the work), newest first
among equals. Pages are numbered from 1; a page past the end is empty, not an error.

The filters are applied to the search catalogue (read once per change of the commons), and
only the ids of the published case studies are read to order them, so a page costs one
light query for the order and one for the page's own rows, however large the commons.
"""

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from commons.domain.comparability import Comparison, SchoolContext, compare
from commons.domain.errors import Invalid
from commons.domain.statuses import CaseStudyStatus, ClaimStatus, QuestionStatus
from commons.domain.vocabulary import TOPICS
from commons.models import AuthorQuestion, CaseStudy, Change, Collection, Membership, School
from commons.search.catalogue import catalogue
from commons.search.filters import SearchFilters

PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_PAGE = 10_000


def page_number(raw: str | int | None) -> int:
    """The page asked for: 1 when absent or blank; anything else must be a whole number from 1."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 1
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"page: {raw!r} is not a page number (a whole number from 1)") from None
    if not 1 <= value <= MAX_PAGE:
        raise Invalid(f"page: {value} is not a page number (from 1 to {MAX_PAGE:,})")
    return value


@dataclass(frozen=True)
class Listed:
    """One case study in a listing, and how its school compares with the reader's (when set)."""

    case_study: CaseStudy
    comparison: Comparison | None = None


@dataclass(frozen=True)
class Listing:
    """A page of case studies: ``items`` are numbers ``first`` to ``last`` of ``total``."""

    items: list[Listed]
    total: int
    page: int
    per_page: int
    order: str  # "newest" or "comparable"

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def has_more(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def browse(session: Session, filters: SearchFilters, reader: SchoolContext | None = None, page: int = 1,
           per_page: int = PER_PAGE, offset: int | None = None) -> Listing:
    """A page of the published case studies the filters let through, newest (or most comparable) first.

    ``offset`` (the API's) starts the page after that many instead of at page ``page``.
    """
    page = min(max(page, 1), MAX_PAGE)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    known = catalogue(session)
    allowed = {s.id for s in known.studies.values() if filters.matches(s)}
    newest = [i for i in session.scalars(
        select(CaseStudy.id).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)
        .order_by(CaseStudy.published_on.desc(), CaseStudy.id.desc())
    ) if i in allowed]
    comparisons: dict[int, Comparison] = {}
    if reader is not None:
        comparisons = {i: compare(reader, known.studies[i].context) for i in newest if i in known.studies}
        rank = {i: n for n, i in enumerate(newest)}
        newest.sort(key=lambda i: (_comparable_order(comparisons.get(i)), rank[i]))
    start = (page - 1) * per_page if offset is None else max(offset, 0)
    chosen = newest[start:start + per_page]
    rows = {c.id: c for c in session.scalars(
        select(CaseStudy).where(CaseStudy.id.in_(chosen)).options(selectinload(CaseStudy.school))
    )} if chosen else {}
    items = [Listed(rows[i], comparisons.get(i)) for i in chosen if i in rows]
    return Listing(items, len(newest), page, per_page, "comparable" if reader is not None else "newest")


def _comparable_order(comparison: Comparison | None) -> tuple[int, float]:
    """The reader's own school first, then by similarity; a different kind of school last."""
    if comparison is None:
        return (2, 0.0)
    if comparison.own_school:
        return (0, 0.0)
    return (1 if not comparison.blocked else 2, -comparison.similarity)


@dataclass(frozen=True)
class TopicCount:
    key: str
    label: str
    count: int


def topic_counts(session: Session) -> list[TopicCount]:
    """Every topic of the vocabulary, in its order, with how many published case studies it has."""
    counts = dict.fromkeys(TOPICS, 0)
    for study in catalogue(session).studies.values():
        for topic in study.topics:
            if topic in counts:
                counts[topic] += 1
    return [TopicCount(key, TOPICS[key], counts[key]) for key in TOPICS]


_NEWEST_CHANGE = select(func.coalesce(func.max(Change.seq), 0)).scalar_subquery()
# Both statements are built once: building one costs more than running it, and these run on every page view.
_PUBLIC_VERSION = select(
    _NEWEST_CHANGE,
    select(func.count(Collection.id)).scalar_subquery(),
    select(func.max(Collection.updated_at)).scalar_subquery(),
)


def public_version(session: Session) -> tuple[int, int, str]:
    """What the public home, topic and listing pages depend on, in one light query; it changes on every change.

    The change log's newest position moves on every publish, revision and withdrawal; the number
    of collections and the newest collection update move when one is created, published, featured
    or changes its case studies. (A school's details from a GIAS import are not in it: cached
    pages are also kept only a short time.)
    """
    row = session.execute(_PUBLIC_VERSION).one()
    return int(row[0] or 0), int(row[1] or 0), str(row[2])


def _case_study_version_statement() -> Select[tuple[Any, ...]]:
    authors = (select(func.count(Membership.id))
               .where(Membership.school_urn == CaseStudy.school_urn, Membership.status == ClaimStatus.APPROVED)
               .correlate(CaseStudy).scalar_subquery())
    shown = (AuthorQuestion.case_study_id == CaseStudy.id, AuthorQuestion.published_at.is_not(None),
             AuthorQuestion.status == QuestionStatus.REPLIED, AuthorQuestion.share_consent.is_(True))
    answers = select(func.count(AuthorQuestion.id)).where(*shown).correlate(CaseStudy).scalar_subquery()
    newest_answer = select(func.max(AuthorQuestion.published_at)).where(*shown).correlate(CaseStudy).scalar_subquery()
    return (select(_NEWEST_CHANGE, CaseStudy.status, CaseStudy.updated_at, School.updated_at, authors, answers,
                   newest_answer)
            .select_from(CaseStudy).join(School, School.urn == CaseStudy.school_urn, isouter=True)
            .where(CaseStudy.slug == bindparam("slug")))


_CASE_STUDY_VERSION = _case_study_version_statement()


def case_study_version(session: Session, slug: str) -> tuple[str, ...]:
    """What a case-study page shows an anonymous reader depends on, in one light query.

    The change log's newest position moves on every publish, revision and withdrawal anywhere
    (so "More like this" and "More from comparable schools" move too) and when a school's answer
    to a reader's question is shown or hidden (it is searchable with the case study). The case
    study's own status and update time, its school's update time (a GIAS import), whether the
    school has an approved author (the "Ask the school" box), and its published answers are
    read as well. (An asker's own name, shown when they chose it, is not: cached pages are also
    kept only a short time.)
    """
    row = session.execute(_CASE_STUDY_VERSION, {"slug": slug}).first()
    if row is None:  # no such case study: its page is a refusal, never kept
        return ()
    return tuple(str(value) for value in row)
