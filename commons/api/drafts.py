"""JSON API v1 (write side): drafts, opening a published case study for revision, publishing.

Every endpoint needs a personal API token with the right scope and acts as the token's user,
asking ``permissions`` and calling ``authoring`` exactly as the web editor does: a token can
never do more than its user can do now. A draft of a school the user does not write for
answers 404, as if it did not exist. Bodies are JSON objects; unknown fields and wrong types
are refused (400), content that cannot be accepted is listed field by field (422).
"""

import json
from typing import Any, TypeVar

from flask import g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from commons import settings
from commons.api import schemas
from commons.api.common import BEARER, answer, bp, params, public_url, validated
from commons.db import db
from commons.domain.errors import Invalid, Refused
from commons.domain.statuses import CaseStudyStatus, DraftStatus
from commons.domain.vocabulary import SECTION_HEADINGS
from commons.models import Draft, User
from commons.search.extension import search_index
from commons.services import authoring, case_studies
from commons.services.transactions import transaction

FIELDS = list(schemas.DraftFields.model_fields)
MAX_BODY_TEXT = "1 MB"
B = TypeVar("B", bound=schemas.Body)
EMPTY: dict[str, Any] = {"title": "", "summary": "", "years": "", "evidence_strength": "", "co_authors": "",
                         "topics": [], "open_to": [], "sections": {}, "impact": []}


def _user(scope: str) -> User:
    """The token's user, when the token has ``scope``; else 401 or 403."""
    token = g.get("api_token")
    if token is None:
        raise Refused(401, "unauthorised", "This needs a personal API token: send 'Authorization: Bearer <token>' "
                       "with a token made at /account/tokens.", headers={"WWW-Authenticate": BEARER})
    if scope not in token.scopes:
        raise Refused(403, "insufficient_scope", f"This token may not {scope}; make a token with the {scope!r} scope.",
                       headers={"WWW-Authenticate": f'{BEARER}, error="insufficient_scope", scope="{scope}"'})
    user: User = token.user
    return user


def _body(model: type[B]) -> B:
    """The request's JSON object (empty when there is no body), as ``model`` takes it."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise Refused(413, "too_large", f"The body is larger than {MAX_BODY_TEXT}.") from None
    if not raw.strip():
        return validated(model, {})
    if request.mimetype != "application/json":
        raise Refused(415, "unsupported_media_type", "Send the body as JSON, with 'Content-Type: application/json'.")
    try:
        body = json.loads(raw, parse_constant=_no_constant)
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError) as problem:
        raise Refused(400, "malformed_json", f"The body is not valid JSON in UTF-8 ({problem}).") from None
    except RecursionError:  # "[[[[..." nested beyond what the parser can hold
        raise Refused(400, "malformed_json", "The body's JSON is nested too deeply.") from None
    if not isinstance(body, dict):
        raise Refused(400, "wrong_type", "The body must be a JSON object.")
    return validated(model, body)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _draft(draft_id: int, user: User, action: str = "edit") -> Draft:
    return case_studies.draft(db.session, draft_id, user, action)  # another school's: never says it exists


def _draft_json(draft: Draft) -> dict[str, Any]:
    stored = draft.fields
    fields = {name: stored.get(name, EMPTY[name]) for name in FIELDS}
    fields["sections"] = {key: (stored.get("sections") or {}).get(key, "") for key in SECTION_HEADINGS}
    case_study = draft.case_study
    return {
        "id": draft.id, "school": {"urn": draft.school_urn, "name": draft.school.name},
        "case_study": None if case_study is None else {
            "slug": case_study.slug, "url": public_url("main.case_study", slug=case_study.slug),
            "api_url": public_url("api.case_study", slug=case_study.slug)},
        "submitted": draft.status == DraftStatus.SUBMITTED, "fields": fields,
        "fingerprint": authoring.fingerprint(draft),
        "created_at": draft.created_at.isoformat(), "updated_at": draft.updated_at.isoformat(),
        "url": public_url("author.edit_draft", draft_id=draft.id),
        "api_url": public_url("api.draft", draft_id=draft.id),
    }


def _save(draft: Draft, user: User, changes: dict[str, Any]) -> None:
    """Change only the fields given; a section not given keeps its text. A change to a draft waiting
    for review takes it out of the queue ("submitted" becomes false): publish it again to send it again."""
    current = {**EMPTY, **draft.fields}
    if "sections" in changes:
        changes = {**changes, "sections": {**current.get("sections", {}), **changes["sections"]}}
    authoring.save(draft, user, {**current, **changes})


@bp.get("/drafts")
def drafts() -> ResponseReturnValue:
    user = _user("read")
    query = params(schemas.DraftsQuery)
    found = case_studies.drafts_for(db.session, user, school=query.school, every_school=True, offset=query.offset,
                                    limit=query.limit)
    return answer(schemas.DraftPage, {"total": found.total, "limit": query.limit, "offset": query.offset,
                                      "items": [_draft_json(d) for d in found.items]})


@bp.get("/drafts/<int:draft_id>")
def draft(draft_id: int) -> ResponseReturnValue:
    user = _user("read")
    params(schemas.NoQuery)
    return answer(schemas.Draft, _draft_json(_draft(draft_id, user, "view")))


@bp.post("/drafts")
def create_draft() -> ResponseReturnValue:
    user = _user("write")
    params(schemas.NoQuery)
    body = _body(schemas.NewDraft)
    with transaction(db.session):
        created = case_studies.start_draft(db.session, user, body.school_urn)
        _save(created, user, body.given())
    return answer(schemas.Draft, _draft_json(created), 201, {"Location": public_url("api.draft", draft_id=created.id)})


@bp.patch("/drafts/<int:draft_id>")
def update_draft(draft_id: int) -> ResponseReturnValue:
    user = _user("write")
    params(schemas.NoQuery)
    found = _draft(draft_id, user)
    with transaction(db.session):
        _save(found, user, _body(schemas.DraftFields).given())
    return answer(schemas.Draft, _draft_json(found))


@bp.post("/case-studies/<slug>/draft")
def open_draft(slug: str) -> ResponseReturnValue:
    """The working copy of a published case study, as the web's "Edit" opens it."""
    user = _user("write")
    params(schemas.NoQuery)
    _body(schemas.NoBody)
    with transaction(db.session):
        opened, made = case_studies.open_for_revision(db.session, user, slug)
    return answer(schemas.Draft, _draft_json(opened), 201 if made else 200)


@bp.post("/drafts/<int:draft_id>/publish")
def publish_draft(draft_id: int) -> ResponseReturnValue:
    """Publish as the web editor does (the same use case): privacy check, then moderation, then the same validation."""
    user = _user("publish")
    params(schemas.NoQuery)
    body = _body(schemas.Publish)
    found = _draft(draft_id, user, "publish")
    if body.fingerprint is not None and not authoring.same_fingerprint(found, body.fingerprint):
        raise Refused(409, "draft_changed", "The draft changed since that fingerprint was read; read it again "
                      "and publish what you read.", details={"draft": _draft_json(found)})
    try:
        with transaction(db.session):
            done = case_studies.publish_or_submit(db.session, found, user, search_index.state.embedder,
                                                  confirm_privacy=body.confirm_privacy,
                                                  moderated=settings.current().moderation)
    except Invalid as problems:  # the editor's fields, named as the API names them
        raise Refused(422, "cannot_publish", "The draft cannot be published yet.",
                      errors={_field_name(k): v for k, v in problems.errors.items()}) from None
    if done.warnings:
        raise Refused(422, "privacy_check", "This may contain pupil data. Fix what is listed, or publish anyway "
                      "with {\"confirm_privacy\": true} if you are sure it identifies nobody.", details={"warnings": [
                          {"field": w.field, "kind": w.kind, "excerpt": w.excerpt, "message": w.message}
                          for w in done.warnings]})
    if done.submitted:
        return answer(schemas.SentForReview, {
            "status": DraftStatus.SUBMITTED, "message": "Sent for review: it is published once a reviewer approves "
            "it. A change to the draft takes it out of the review queue until you publish it again.",
            "draft": _draft_json(found)}, 202)
    case_study = done.case_study
    assert case_study is not None
    return answer(schemas.Published, {"status": CaseStudyStatus.PUBLISHED, "slug": case_study.slug,
                                      "revision": case_study.revisions[-1].number,
                                      "url": public_url("main.case_study", slug=case_study.slug),
                                      "api_url": public_url("api.case_study", slug=case_study.slug)})


def _field_name(editor_name: str) -> str:
    """The editor's field names ("section-impact", "impact_table") as the API's ("sections.impact", "impact")."""
    if editor_name.startswith("section-"):
        return "sections." + editor_name.removeprefix("section-")
    return {"impact_table": "impact"}.get(editor_name, editor_name)
