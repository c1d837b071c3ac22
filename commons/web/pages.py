"""HTML pages: home, search results, case studies and schools. Views stay short."""

from collections.abc import Hashable
from contextlib import suppress
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from commons import settings
from commons.db import db
from commons.domain.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL, compare, context_from_fields
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.domain.vocabulary import SECTIONS
from commons.models import CaseStudy, Collection, Passage
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.filters import CHOICES, FSM_BANDS, SIZE_BANDS, FilterProblem, SearchFilters
from commons.search.related import from_comparable_schools, more_like_this
from commons.services import browsing, case_studies, permissions, publishing, rate_limits, schools
from commons.services.export import json_ld
from commons.services.hub_schools import hubs_for_school
from commons.services.offers import school_offers
from commons.web.helpers import current_reader, public_link
from commons.web.impact_chart import impact_svg
from commons.web.page_cache import cached_page, cached_page_by
from commons.web.search_reading import reading_args, reading_control

bp = Blueprint("main", __name__)
FILTER_NAMES = frozenset(f.name for f in fields(SearchFilters))

EXAMPLE_QUESTIONS = [
    "how did a small rural primary improve attendance of disadvantaged pupils?",
    "helping older pupils who still cannot decode",
    "supporting pupils new to English in secondary school",
    "reducing teacher marking workload without losing feedback quality",
]


@bp.get("/")
@cached_page
def home() -> ResponseReturnValue:
    session = db.session
    counts = {
        "case_studies": session.scalar(select(func.count()).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)),
        "schools": session.scalar(
            select(func.count(func.distinct(CaseStudy.school_urn))).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)
        ),
    }
    recent = session.scalars(
        select(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)
        .order_by(CaseStudy.published_on.desc(), CaseStudy.id.desc()).limit(6)
    ).all()
    featured = session.scalars(
        select(Collection).where(Collection.status == CollectionStatus.PUBLISHED, Collection.featured.is_(True))
        .order_by(Collection.updated_at.desc()).limit(4)
    ).all()
    return render_template("home.html", counts=counts, recent=recent, examples=EXAMPLE_QUESTIONS, featured=featured)


def context_level() -> int:
    """The "how much should school context count?" control; the default when absent or odd."""
    try:
        level = int(request.args.get("context", DEFAULT_CONTEXT_LEVEL))
    except ValueError:
        return DEFAULT_CONTEXT_LEVEL
    return level if 0 <= level < len(CONTEXT_LEVELS) else DEFAULT_CONTEXT_LEVEL


SEARCH_PAGE = 10  # answers shown at first; "More results" shows as many again
MAX_SEARCH_PAGES = 5


def search_pages() -> int:
    """How many pages of answers to show (``page``, from 1 to :data:`MAX_SEARCH_PAGES`; 1 when absent or odd)."""
    try:
        return min(max(int(request.args.get("page", 1)), 1), MAX_SEARCH_PAGES)
    except ValueError:
        return 1


@bp.get("/search")
def search() -> ResponseReturnValue:
    question = search_service.printable(request.args.get("q", ""))  # shown back in the title and the box
    level = context_level()
    ignore, read = reading_args(request.args)
    reader = current_reader()
    page = {"question": question, "level": level, "filter_choices": CHOICES,
            "fsm_bands": {k: v[0] for k, v in FSM_BANDS.items()},
            "size_bands": {k: v[0] for k, v in SIZE_BANDS.items()},
            "filters": SearchFilters(), "results": None, "problem": None, "reading": None, "more": None}
    if question.strip() and not search_allowed():
        page["problem"] = rate_limits.SEARCH.message  # the question and filters stay in the form
        with suppress(FilterProblem):
            page["filters"] = SearchFilters.from_args(request.args)
        return render_template("search.html", **page), 429, {"Retry-After": str(_seconds(rate_limits.SEARCH))}
    try:
        page["filters"] = filters = SearchFilters.from_args(request.args)
        if not question.strip():
            # No question: the filters alone are a listing, newest (or most comparable) first.
            if filters.active():
                kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k in FILTER_NAMES and v.strip()])
                return redirect(url_for("browse.all_case_studies") + "?" + kept, code=303)
            return render_template("search.html", no_question=True, **page)
        shown = SEARCH_PAGE * search_pages()
        page["results"] = results = search_service.search(
            db.session, search_index.state, question, reader=reader, context_level=level, filters=filters,
            read=read, ignore=ignore, limit=shown,
        )
        if results.answer_count > len(results.answers) and shown < SEARCH_PAGE * MAX_SEARCH_PAGES:
            more = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
            page["more"] = (url_for("main.search") + "?" + urlencode([*more, ("page", str(shown // SEARCH_PAGE + 1))])
                            + f"#answer-{shown + 1}")
        page["reading"] = reading_control(results, request.args, reader.name if reader is not None else None)
    except (search_service.QuestionProblem, FilterProblem) as problem:
        page["problem"] = str(problem)
    return render_template("search.html", **page)


def search_allowed() -> bool:
    """Count a search from this client address against the search limit; False when it is used up."""
    return rate_limits.search_allowed(db.write_best_effort, settings.current().searches_per_minute,
                                      request.remote_addr or "unknown")


def _seconds(limit: rate_limits.Limit) -> int:
    return int(limit.window.total_seconds())


def _case_study_version(values: dict[str, Any]) -> Hashable:
    return browsing.case_study_version(db.session, str(values["slug"]))


@bp.get("/case-studies/<slug>")
@cached_page_by(_case_study_version)
def case_study(slug: str) -> ResponseReturnValue:
    user = g.get("user")
    try:
        found = case_studies.visible(db.session, slug, user)
    except case_studies.Withdrawn as gone:  # its tombstone, which still names and credits it
        return render_template("tombstone.html", case_study=gone.case_study, school=gone.case_study.school), 410
    by_section: dict[str, list[Passage]] = {key: [] for key, _ in SECTIONS}
    for passage in found.passages:
        by_section.setdefault(passage.section, []).append(passage)
    html, fresh = publishing.passages_html(found.passages)  # the HTML stored at publish
    if fresh:  # published by an older renderer: kept now, best-effort, so the next view need not render it
        db.write_best_effort(lambda session: publishing.store_passages_html(session, fresh), "rendered passages")
    related = more_like_this(db.session, search_index.state, found)
    reader = current_reader()
    then = context_from_fields(found.school_snapshot or {}, found.school_urn)
    adapt = compare(reader, then) if reader is not None and reader.urn != found.school_urn else None
    return render_template("case_study.html", case_study=found, school=found.school,
                           sections=SECTIONS, by_section=by_section, html=html, related=related, adapt=adapt,
                           comparable=from_comparable_schools(db.session, found),
                           can_edit=permissions.can_on_case_study(user, "edit", found),
                           chart=impact_svg(found.impact_table or [], f"Impact: {found.title}"),
                           json_ld=json_ld(found, public_link("main.case_study", slug=found.slug)))


@bp.get("/schools/<int:urn>")
def school(urn: int) -> ResponseReturnValue:
    found = schools.by_urn(db.session, urn)
    published = [c for c in found.case_studies if c.status == CaseStudyStatus.PUBLISHED]
    return render_template("school.html", school=found, case_studies=published, offers=school_offers(published),
                           hubs=hubs_for_school(db.session, found))
