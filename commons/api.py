"""JSON API v1 (read side): search, case studies, revisions, schools, hubs and collections.

Every answer is JSON, errors included (``{"error": code, "message": text}``); unknown query
parameters are refused, not ignored; paging is bounded. The OpenAPI 3 document describing it
is served at ``/api/v1/openapi.json`` (``commons/api_spec.py``).

A request acts as the user of its personal API token (``Authorization: Bearer ...``) or as an
anonymous visitor: the API never uses the browser's session cookie, which is why the blueprint
can be exempt from CSRF checks. The write side is in ``commons/api_drafts.py``.
"""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy import func, select

from commons.db import db
from commons.models import CaseStudy, Collection, Hub, School
from commons.search_index import search_index
from commons.services import api_tokens, export, permissions, schools
from commons.services import search as search_service
from commons.services.collections import current_case_studies
from commons.services.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL
from commons.services.search_filters import FilterProblem, SearchFilters

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 50
MAX_OFFSET = 200
FILTERS = ["phase", "provision", "region", "setting", "fsm_band", "size_band", "topic", "evidence_strength",
           "year_from", "year_to", "open_to"]


MAX_BODY = 1024 * 1024
BEARER = 'Bearer realm="commons"'


class ApiError(Exception):
    """An answer other than success: status, machine code, human message, and any details
    (``errors`` by field, privacy ``warnings``) or headers."""

    def __init__(self, status: int, code: str, message: str, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or {}, headers or {}


@bp.errorhandler(ApiError)
def api_error(error: ApiError):  # type: ignore[no-untyped-def]
    return jsonify({"error": error.code, "message": error.message, **error.details}), error.status, error.headers


@bp.before_request
def act_as_token_user() -> None:
    """Act as the bearer token's user (with the ``read`` scope, for reads) or as nobody.

    A token that is sent is always checked, even where none is needed: a wrong one is a 401.
    """
    g.user, g.api_token = None, None
    request.max_content_length = MAX_BODY
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, secret = header.strip().partition(" ")
    token = api_tokens.authenticate(db.session, secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiError(401, "unauthorised", "That token does not work: it may have been revoked or mistyped. "
                       "Send 'Authorization: Bearer <token>' with a token made at /account/tokens.",
                       headers={"WWW-Authenticate": BEARER + ', error="invalid_token"'})
    if db.session.dirty:
        db.session.commit()  # when the token was last used
    g.api_token = token
    g.user = token.user if "read" in token.scopes else None


def _number(name: str, low: int, high: int, default: int | None) -> Callable[[str | None], int | None]:
    def parse(raw: str | None) -> int | None:
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ApiError(400, "bad_parameter", f"{name} must be from {low} to {high}, not {value}")
        return value
    return parse


def _params(allowed: list[str]) -> dict[str, str]:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)}; "
                       f"this endpoint takes {', '.join(allowed) or 'none'}")
    return {k: v for k, v in request.args.items()}


def _paging(args: dict[str, str]) -> tuple[int, int]:
    limit = _number("limit", 1, MAX_LIMIT, 10)(args.get("limit"))
    offset = _number("offset", 0, MAX_OFFSET, 0)(args.get("offset"))
    assert limit is not None and offset is not None
    return limit, offset


def _summary(case_study: CaseStudy) -> dict[str, Any]:
    return {"slug": case_study.slug, "title": case_study.title, "summary": case_study.summary,
            "school": {"urn": case_study.school_urn, "name": case_study.school.name},
            "topics": case_study.topics, "url": url_for("main.case_study", slug=case_study.slug, _external=True),
            "api_url": url_for("api.case_study", slug=case_study.slug, _external=True)}


@bp.get("/search")
def search():  # type: ignore[no-untyped-def]
    args = _params(["q", "limit", "offset", "context", "school", *FILTERS])
    limit, offset = _paging(args)
    level = _number("context", 0, len(CONTEXT_LEVELS) - 1, DEFAULT_CONTEXT_LEVEL)(args.get("context"))
    urn = _number("school", 1, 99_999_999, None)(args.get("school"))
    reader = None
    if urn is not None:
        school = db.session.get(School, urn)
        if school is None:
            raise ApiError(404, "unknown_school", f"no school with URN {urn}")
        reader = schools.context(school)
    try:
        filters = SearchFilters.from_args({k: args.get(k) for k in FILTERS})
        results = search_service.search(db.session, search_index.state, args.get("q"), limit=offset + limit,
                                        reader=reader, context_level=level or 0, filters=filters)
    except (search_service.QuestionProblem, FilterProblem) as problem:
        raise ApiError(400, "bad_question" if isinstance(problem, search_service.QuestionProblem) else "bad_filter",
                       str(problem)) from None
    page = results.results[offset:offset + limit]
    return jsonify({
        "question": results.question, "notices": results.notices, "limit": limit, "offset": offset,
        "results": [{
            **_summary(r.case_study), "score": r.score, "relevance": r.relevance,
            "why": r.comparison.to_dict() if r.comparison else None,
            "passages": [{"id": h.passage.id, "section": h.passage.section, "heading": h.passage.heading,
                          "text": h.passage.text,
                          "url": url_for("main.case_study", slug=r.case_study.slug, _anchor=f"p-{h.passage.id}",
                                         _external=True)} for h in r.passages],
        } for r in page],
    })


@bp.get("/case-studies")
def case_studies():  # type: ignore[no-untyped-def]
    limit, offset = _paging(_params(["limit", "offset"]))
    published = select(CaseStudy).where(CaseStudy.status == "published")
    total = db.session.scalar(select(func.count()).select_from(published.subquery()))
    page = db.session.scalars(published.order_by(CaseStudy.id).offset(offset).limit(limit)).all()
    return jsonify({"total": total, "limit": limit, "offset": offset, "items": [_summary(c) for c in page]})


def _case_study(slug: str, action: str = "view") -> CaseStudy:
    found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if found is None or not permissions.can_on_case_study(g.get("user"), action, found):
        raise ApiError(404, "not_found", f"no published case study {slug!r}")
    if found.status == "withdrawn" and action == "view":
        raise ApiError(410, "withdrawn", f"{slug!r} was withdrawn by its school")
    return found


@bp.get("/case-studies/<slug>")
def case_study(slug: str):  # type: ignore[no-untyped-def]
    _params([])
    found = _case_study(slug)
    return jsonify(export.record(found, current_app.config["COMMONS_PUBLIC_URL"]))


@bp.get("/case-studies/<slug>/revisions")
def revisions(slug: str):  # type: ignore[no-untyped-def]
    _params([])
    found = _case_study(slug, "history")
    return jsonify({"slug": found.slug, "revisions": [
        {"number": r.number, "title": r.title, "published_at": r.created_at.isoformat()} for r in found.revisions
    ]})


@bp.get("/schools/<int:urn>")
def school(urn: int):  # type: ignore[no-untyped-def]
    _params([])
    found = db.session.get(School, urn)
    if found is None:
        raise ApiError(404, "not_found", f"no school with URN {urn}")
    context = schools.context(found)
    return jsonify({
        "urn": found.urn, "name": found.name, "establishment_type": found.establishment_type, "phase": context.phase,
        "provision": context.provision, "pupils": found.pupils, "fsm_pct": found.fsm_pct, "sen_pct": found.sen_pct,
        "eal_pct": found.eal_pct, "region": found.region, "setting": context.setting, "governance": context.governance,
        "case_studies": [_summary(c) for c in found.case_studies if c.status == "published"],
    })


@bp.get("/hubs")
def hubs():  # type: ignore[no-untyped-def]
    _params([])
    return jsonify({"items": [_hub(h) for h in db.session.scalars(select(Hub).order_by(Hub.name))]})


def _hub(hub: Hub) -> dict[str, Any]:
    return {"slug": hub.slug, "name": hub.name, "kind": hub.kind, "description": hub.description,
            "collections": [c.slug for c in hub.collections if c.status == "published"]}


@bp.get("/hubs/<slug>")
def hub(slug: str):  # type: ignore[no-untyped-def]
    _params([])
    found = db.session.scalar(select(Hub).where(Hub.slug == slug))
    if found is None:
        raise ApiError(404, "not_found", f"no hub {slug!r}")
    return jsonify(_hub(found))


@bp.get("/collections/<slug>")
def collection(slug: str):  # type: ignore[no-untyped-def]
    _params([])
    found = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if found is None or not permissions.can_view_collection(g.get("user"), found):
        raise ApiError(404, "not_found", f"no published collection {slug!r}")
    if found.smart_query is not None:  # a smart collection: its search's results now
        items = [{**_summary(c), "note": "", "position": n}
                 for n, c in enumerate(current_case_studies(db.session, search_index.state, found), start=1)]
    else:
        items = [{**_summary(i.case_study), "note": i.note, "position": i.position}
                 for i in found.items if i.case_study.status == "published"]
    return jsonify({"slug": found.slug, "title": found.title, "description": found.description,
                    "hub": found.hub.slug, "status": found.status, "smart_query": found.smart_query, "items": items})


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    from commons.api_spec import spec

    return jsonify(spec(request.host_url.rstrip("/")))


from commons import api_drafts  # noqa: E402,F401  (the write endpoints, on this blueprint)
