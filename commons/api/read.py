"""JSON API v1 (read side): search, case studies, revisions, schools, hubs and collections.

Every answer is JSON, errors included (``{"error": code, "message": text}``); unknown query
parameters are refused, not ignored; paging is bounded. The OpenAPI 3 document describing it
is served at ``/api/v1/openapi.json`` (``commons/api/spec.py``).

A request acts as the user of its personal API token (``Authorization: Bearer ...``) or as an
anonymous visitor: the API never uses the browser's session cookie, which is why the blueprint
can be exempt from CSRF checks. The write side is in ``commons/api/drafts.py``.
"""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from commons import settings
from commons.api import schemas
from commons.api.common import answer, bp, params
from commons.db import db
from commons.domain.comparability import SchoolContext
from commons.domain.errors import NotFound, Refused
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.models import CaseStudy, Hub
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.serialise import case_study_summary, search_results
from commons.services import browsing, export, rate_limits, schools
from commons.services.case_studies import visible
from commons.services.collections import all_hubs, current_case_studies, hub_called, visible_collection


def _base() -> str:
    """The one public address every URL in an answer starts with (``COMMONS_PUBLIC_URL``)."""
    return settings.current().public_base


def _summary(case_study: CaseStudy) -> dict[str, Any]:
    return case_study_summary(case_study, _base())


def search_allowed() -> bool:
    """Count a search from this client address against the search limit; False when it is used up."""
    return rate_limits.search_allowed(db.write_best_effort, settings.current().searches_per_minute,
                                      request.remote_addr or "unknown")


@bp.get("/search")
def search() -> ResponseReturnValue:
    query = params(schemas.SearchQuery)
    reader = _reader(query.school)
    if query.q.strip() and not search_allowed():
        raise Refused(429, "too_many_searches", rate_limits.SEARCH.message,
                       headers={"Retry-After": str(int(rate_limits.SEARCH.window.total_seconds()))})
    try:
        results = search_service.search(db.session, search_index.state, query.q, limit=query.offset + query.limit,
                                        reader=reader, context_level=query.context, filters=query.filters(),
                                        read=query.read != 0, ignore=frozenset(query.ignore))
    except search_service.QuestionProblem as problem:
        raise Refused(400, "bad_question", str(problem)) from None
    return answer(schemas.SearchResults, search_results(results, _base(), query.limit, query.offset))


@bp.get("/case-studies")
def case_studies() -> ResponseReturnValue:
    """Published case studies without a question: newest first, or most comparable to ``school`` first."""
    query = params(schemas.CaseStudiesQuery)
    reader = _reader(query.school)
    start = (query.page - 1) * query.limit + query.offset
    listing = browsing.browse(db.session, query.filters(), reader, per_page=query.limit, offset=start)
    following = None
    if start + len(listing.items) < listing.total:
        kept = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        following = request.base_url + "?" + urlencode([*kept, ("page", str(query.page + 1))])
    return answer(schemas.CaseStudyPage, {
        "total": listing.total, "limit": query.limit, "offset": start, "page": query.page, "order": listing.order,
        "next": following,
        "items": [{**_summary(i.case_study), "published_on": _date(i.case_study.published_on),
                   "why": i.comparison.to_dict() if i.comparison else None} for i in listing.items]})


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _reader(urn: int | None) -> SchoolContext | None:
    """The reader's school, from the ``school`` parameter (a URN), or None."""
    if urn is None:
        return None
    try:
        return schools.context(schools.by_urn(db.session, urn))
    except NotFound as unknown:
        raise Refused(404, "unknown_school", unknown.message) from None


@bp.get("/case-studies/<slug>")
def case_study(slug: str) -> ResponseReturnValue:
    params(schemas.NoQuery)
    found = visible(db.session, slug, g.get("user"))
    return answer(schemas.CaseStudy, export.record(found, _base()))


@bp.get("/case-studies/<slug>/revisions")
def revisions(slug: str) -> ResponseReturnValue:
    params(schemas.NoQuery)
    found = visible(db.session, slug, g.get("user"), "history")
    return answer(schemas.Revisions, {"slug": found.slug, "revisions": [
        {"number": r.number, "title": r.title, "published_at": r.created_at.isoformat()} for r in found.revisions
    ]})


@bp.get("/schools/<int:urn>")
def school(urn: int) -> ResponseReturnValue:
    params(schemas.NoQuery)
    found = schools.by_urn(db.session, urn)
    context = schools.context(found)
    return answer(schemas.School, {
        "urn": found.urn, "name": found.name, "establishment_type": found.establishment_type, "phase": context.phase,
        "provision": context.provision, "pupils": found.pupils, "fsm_pct": found.fsm_pct, "sen_pct": found.sen_pct,
        "eal_pct": found.eal_pct, "region": found.region, "setting": context.setting, "governance": context.governance,
        "case_studies": [_summary(c) for c in found.case_studies if c.status == CaseStudyStatus.PUBLISHED],
    })


@bp.get("/hubs")
def hubs() -> ResponseReturnValue:
    params(schemas.NoQuery)
    return answer(schemas.Hubs, {"items": [_hub(h) for h in all_hubs(db.session)]})


def _hub(hub: Hub) -> dict[str, Any]:
    return {"slug": hub.slug, "name": hub.name, "kind": hub.kind, "description": hub.description,
            "collections": [c.slug for c in hub.collections if c.status == CollectionStatus.PUBLISHED]}


@bp.get("/hubs/<slug>")
def hub(slug: str) -> ResponseReturnValue:
    params(schemas.NoQuery)
    return answer(schemas.Hub, _hub(hub_called(db.session, slug)))


@bp.get("/collections/<slug>")
def collection(slug: str) -> ResponseReturnValue:
    params(schemas.NoQuery)
    found = visible_collection(db.session, slug, g.get("user"))
    if found.smart_query is not None:  # a smart collection: its search's results now
        items = [{**_summary(c), "note": "", "position": n}
                 for n, c in enumerate(current_case_studies(db.session, search_index.state, found), start=1)]
    else:
        items = [{**_summary(i.case_study), "note": i.note, "position": i.position}
                 for i in found.items if i.case_study.status == CaseStudyStatus.PUBLISHED]
    return answer(schemas.Collection, {"slug": found.slug, "title": found.title, "description": found.description,
                    "hub": found.hub.slug, "status": found.status, "smart_query": found.smart_query, "items": items})


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    from commons.api.spec import spec

    return jsonify(spec(settings.current().public_base))  # the one public address

