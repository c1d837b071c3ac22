"""Browsing without a question: the topic index, a page per topic, and every case study, with filters and paging."""

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from commons.db import db
from commons.domain.errors import Invalid, NotFound
from commons.domain.vocabulary import TOPICS
from commons.search.filters import CHOICES, FSM_BANDS, SIZE_BANDS, FilterProblem, SearchFilters
from commons.services import browsing
from commons.web.helpers import current_reader
from commons.web.page_cache import cached_page

bp = Blueprint("browse", __name__)


def filter_page_values() -> dict[str, Any]:
    """What the filters panel needs to offer every choice (the search page uses it too)."""
    return {"filter_choices": CHOICES, "fsm_bands": {k: v[0] for k, v in FSM_BANDS.items()},
            "size_bands": {k: v[0] for k, v in SIZE_BANDS.items()}}


def _page_link(endpoint: str, page: int, **values: Any) -> str:
    """The same listing, its filters kept, at another page."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page" and v.strip()]
    if page > 1:
        args.append(("page", str(page)))
    return url_for(endpoint, **values) + ("?" + urlencode(args) if args else "")


def _listing(template: str, endpoint: str, topic: str | None = None, **page: Any) -> ResponseReturnValue:
    filters, problem, listing = SearchFilters(), None, None
    try:
        args = request.args.to_dict()
        if topic is not None:
            args["topic"] = topic
        filters = SearchFilters.from_args(args)
        number = browsing.page_number(request.args.get("page"))
        listing = browsing.browse(db.session, filters, current_reader(), page=number)
    except (FilterProblem, Invalid) as error:
        problem = str(error)
    values: dict[str, Any] = {"topic": topic} if topic is not None else {}
    links = {}
    if listing is not None:
        links = {"more": _page_link(endpoint, listing.page + 1, **values) if listing.has_more else None,
                 "previous": _page_link(endpoint, listing.page - 1, **values) if listing.has_previous else None}
    status = 400 if problem else 200
    return render_template(template, filters=filters, problem=problem, listing=listing, links=links,
                           action=url_for(endpoint, **values), **filter_page_values(), **page), status


@bp.get("/topics")
@cached_page
def topics() -> ResponseReturnValue:
    return render_template("browse/topics.html", topics=browsing.topic_counts(db.session))


@bp.get("/topics/<topic>")
@cached_page
def topic(topic: str) -> ResponseReturnValue:
    if topic not in TOPICS:
        raise NotFound(f"There is no topic called “{topic}”. The topics are listed at /topics.")
    return _listing("browse/listing.html", "browse.topic", topic=topic, heading=TOPICS[topic],
                    fixed_topic=topic)


@bp.get("/case-studies")
@cached_page
def all_case_studies() -> ResponseReturnValue:
    return _listing("browse/listing.html", "browse.all_case_studies", heading="All case studies", fixed_topic=None)
