"""The OpenAPI 3 document of the JSON API v1 (``/api/v1/openapi.json``)."""

from typing import Any

from commons.domain.case_study_format import IMPACT_KEYS, MAX_IMPACT_ROWS, MAX_SECTION_CHARS, MAX_SUMMARY, MAX_TITLE
from commons.domain.comparability import CONTEXT_LEVELS
from commons.domain.statuses import CaseStudyStatus, DraftStatus
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTION_HEADINGS, TOPICS
from commons.search.filters import CHOICES
from commons.search.reading import KINDS
from commons.services.browsing import MAX_PAGE

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request: an unknown or malformed parameter, or (bodies) malformed JSON, an unknown field "
                 "or a wrong type, with `errors` by field",
            401: "No token, or one that does not work (mistyped or revoked)",
            403: "The token lacks the scope needed (`insufficient_scope`), or its user may not do this",
            404: "Not found (or not yours to see)", 409: "Not possible in its current state",
            410: "Withdrawn by its school", 413: "The body is larger than 1 MB", 415: "The body is not JSON",
            422: "Content that cannot be accepted: `errors` by field, or (publishing) privacy `warnings`"}
    answers = {str(code): _json(ERROR, text[code]) for code in codes}
    if 401 in codes:
        answers["401"]["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                                          "description": "Bearer"}}
    return answers


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}, "How many results (at most 50)."),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 200, "default": 0}, "How many results to skip."),
]
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 120}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        "warnings": {"type": "array", "items": {
            "type": "object", "required": ["field", "kind", "message"], "properties": {
                "field": {"type": "string"}, "kind": {"type": "string"}, "excerpt": {"type": "string"},
                "message": {"type": "string"}}}}}},
    "CaseStudySummary": {"type": "object", "required": ["slug", "title", "school", "url"], "properties": {
        "slug": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "school": {"type": "object", "properties": {"urn": {"type": "integer"}, "name": {"type": "string"}}},
        "topics": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"},
        "api_url": {"type": "string"}}},
    "Why": {"type": "object", "nullable": True, "properties": {
        "similarity": {"type": "number"}, "band": {"type": "string"}, "blocked": {"type": "string", "nullable": True},
        "own_school": {"type": "boolean"}, "line": {"type": "string"},
        "factors": {"type": "array", "items": {"type": "object"}}}},
    "ReadAs": {
        "type": "object", "required": ["read", "topic", "context", "summary", "expansions", "context_source"],
        "description": "How the question was read before it was searched: the asker's own school context is "
                       "set apart from the topic, and the glossary adds the long forms of acronyms.",
        "properties": {
            "read": {"type": "boolean", "description": "False when the words were searched exactly as typed."},
            "topic": {"type": "string", "description": "What was searched for."},
            "context": {"type": "array", "description": "What the question says about the asker's school.",
                        "items": {"type": "object", "required": ["kind", "value", "label"], "properties": {
                            "kind": {"type": "string", "enum": list(KINDS)},
                            "value": {"anyOf": [{"type": "string"}, {"type": "number"}]},
                            "label": {"type": "string"}}}},
            "summary": {"type": "string", "description": "The context in one line, e.g. \"a small rural primary\"."},
            "expansions": {"type": "array", "items": {"type": "object", "required": ["term", "means"], "properties": {
                "term": {"type": "string"}, "means": {"type": "string"}}}},
            "context_source": {
                "type": "string", "nullable": True, "enum": ["school", "question", None],
                "description": "Whose school ordered the answers: `school` (the `school` parameter; the context in "
                               "the question is shown but not used), `question` (the school the question "
                               "describes), or null (relevance alone)."}}},
    "SearchResults": {"type": "object", "required": ["question", "read_as", "results"], "properties": {
        "question": {"type": "string"}, "notices": {"type": "array", "items": {"type": "string"}},
        "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "answer_count": {"type": "integer", "minimum": 0,
                         "description": "How many case studies answer the question (at most 50), however many "
                                        "this page shows."},
        "read_as": {"$ref": "#/components/schemas/ReadAs"},
        "results": {
            "type": "array",
            "description": "In rank order: the case studies that answer the question, then at most a few of "
                           "the nearest the Commons has (`answers` false), which are not answers.",
            "items": {"allOf": [{"$ref": "#/components/schemas/CaseStudySummary"}, {
                "type": "object", "required": ["relevance", "answers"], "properties": {
                    "score": {"type": "number", "description": "What the order follows: relevance, blended with "
                                                               "comparability among the answers."},
                    "relevance": {"type": "number", "minimum": 0, "maximum": 1,
                                  "description": "Calibrated: how likely it answers the question, with the same "
                                                 "meaning from question to question."},
                    "answers": {"type": "boolean", "description": "Whether it answers the question closely."},
                    "why": {"$ref": "#/components/schemas/Why"},
                    "passages": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "section": {"type": "string"}, "heading": {"type": "string"},
                        "text": {"type": "string"}, "url": {"type": "string"}}}}}}]}}}},
    "CaseStudy": {"type": "object", "required": ["slug", "title", "sections", "licence", "attribution"], "properties": {
        "slug": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "school": {"type": "object"}, "topics": {"type": "array", "items": {"type": "string"}},
        "start_year": {"type": "integer"}, "end_year": {"type": "integer"}, "evidence_strength": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "object"}},
        "open_to": {"type": "array", "items": {"type": "string"}},
        "impact_table": {"type": "array", "items": {"type": "object"}},
        "published_on": {"type": "string", "nullable": True}, "revision": {"type": "integer"},
        "sections": {"type": "object", "additionalProperties": {"type": "string"}}, "source": {"type": "string"},
        "url": {"type": "string"}, "licence": {"type": "string"}, "licence_url": {"type": "string"},
        "attribution": {"type": "string"}}},
    "Hub": {"type": "object", "required": ["slug", "name"], "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "description": {"type": "string"}, "collections": {"type": "array", "items": {"type": "string"}}}},
}


TEXT = {"type": "string"}
DRAFT_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "maxLength": MAX_TITLE},
    "summary": {"type": "string", "maxLength": MAX_SUMMARY, "description": "One or two sentences."},
    "years": {"type": "string", "maxLength": 20, "description": "A year or a range, e.g. \"2022-2024\"."},
    "evidence_strength": {"type": "string", "enum": ["", *EVIDENCE_STRENGTHS]},
    "co_authors": {"type": "string", "maxLength": 300, "description": "Colleagues who wrote it with you, separated "
                   "by commas: credited with you (\"Written by\") when it is published."},
    "topics": {"type": "array", "maxItems": len(TOPICS), "items": {"type": "string", "enum": list(TOPICS)}},
    "open_to": {"type": "array", "maxItems": len(OFFERS), "items": {"type": "string", "enum": list(OFFERS)}},
    "sections": {"type": "object", "additionalProperties": False,
                 "description": "Markdown by section; a PATCH changes only the sections given.",
                 "properties": {key: {"type": "string", "maxLength": MAX_SECTION_CHARS, "description": heading}
                                for key, heading in SECTION_HEADINGS.items()}},
    "impact": {"type": "array", "maxItems": MAX_IMPACT_ROWS, "description": "The impact table, replaced whole.",
               "items": {"type": "object", "additionalProperties": False, "properties": {
                   **{key: {"type": "string", "maxLength": 120} for key in IMPACT_KEYS if key != "pupils"},
                   "pupils": {"anyOf": [{"type": "string", "maxLength": 120},
                                        {"type": "integer", "minimum": 0, "maximum": 1_000_000}]}}}},
}
URN = {"type": "integer", "minimum": 1, "maximum": 99999999}
DRAFT_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
LINK = {"type": "object", "required": ["slug", "url", "api_url"],
        "properties": {"slug": TEXT, "url": TEXT, "api_url": TEXT}}
WRITE_SCHEMAS: dict[str, Any] = {
    "DraftFields": {"type": "object", "additionalProperties": False, "properties": DRAFT_FIELDS},
    "NewDraft": {"type": "object", "additionalProperties": False, "required": ["school_urn"],
                 "properties": {"school_urn": URN, **DRAFT_FIELDS}},
    "Draft": {"type": "object", "required": ["id", "school", "case_study", "submitted", "fields", "url", "api_url"],
              "properties": {
                  "id": {"type": "integer"}, "school": {"type": "object", "required": ["urn", "name"], "properties": {
                      "urn": {"type": "integer"}, "name": TEXT}},
                  "case_study": {**LINK, "nullable": True, "description": "The published case study it revises."},
                  "submitted": {"type": "boolean", "description": "Waiting for review (moderation); a change to "
                                "the draft takes it out of the queue until it is published (sent) again."},
                  "fingerprint": {**TEXT, "description": "A digest of the draft's content: give it when "
                                  "publishing to publish exactly the text you read (409 if it changed since)."},
                  "fields": {"type": "object", "required": list(DRAFT_FIELDS), "properties": {
                      **{name: TEXT for name in ("title", "summary", "years", "evidence_strength", "co_authors")},
                      "topics": {"type": "array", "items": TEXT}, "open_to": {"type": "array", "items": TEXT},
                      "sections": {"type": "object", "additionalProperties": TEXT},
                      "impact": {"type": "array", "items": {"type": "object", "additionalProperties": TEXT}}}},
                  "created_at": TEXT, "updated_at": TEXT, "url": TEXT, "api_url": TEXT}},
    "Publish": {"type": "object", "additionalProperties": False, "properties": {"confirm_privacy": {
        "type": "boolean", "default": False,
        "description": "Publish although the privacy check flagged something (the web editor's confirmation)."},
        "fingerprint": {**TEXT, "description": "The draft's fingerprint as you read it: refused (409) if the "
                        "draft changed since."}}},
}
SECURITY_SCHEMES = {"bearerAuth": {
    "type": "http", "scheme": "bearer",
    "description": "A personal API token made at /account/tokens, with the scopes `read` (your schools' drafts), "
                   "`write` (start and change drafts) and `publish`. It acts as its user, with at most their "
                   "rights at the time of each request. Reads need no token; a token that is sent must work."}}


def _body(schema: str, required: bool = True) -> dict[str, Any]:
    reference = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": required, "content": {"application/json": {"schema": reference}}}


def _write(summary: str, scope: str, responses: dict[str, Any], *codes: int, **more: Any) -> dict[str, Any]:
    return {"summary": f"{summary} (scope: {scope})", "security": [{"bearerAuth": []}],
            "responses": {**responses, **_errors(400, 401, 403, *codes)}, **more}


def _write_paths() -> dict[str, Any]:
    draft = {"$ref": "#/components/schemas/Draft"}
    draft_id = _path("id", DRAFT_ID)
    return {
        "/api/v1/drafts": {
            "get": _write("Drafts of the schools you write for, most recently changed first", "read", {
                "200": _json({"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                    "items": {"type": "array", "items": draft}}}, "A page of drafts")},
                parameters=[*PAGING, _query("school", URN, "Only this school's drafts.")]),
            "post": _write("Start a draft for a school you write for, with any of the editor's fields", "write", {
                "201": {**_json(draft, "The new draft"), "headers": {"Location": {"schema": TEXT}}}},
                413, 415, 422, requestBody=_body("NewDraft"))},
        "/api/v1/drafts/{id}": {
            "get": _write("One draft", "read", {"200": _json(draft, "The draft")}, 404, parameters=[draft_id]),
            "patch": _write("Change a draft: only the fields given (within `sections`, only the sections given)",
                            "write", {"200": _json(draft, "The draft, changed")}, 404, 413, 415, 422,
                            parameters=[draft_id], requestBody=_body("DraftFields"))},
        "/api/v1/case-studies/{slug}/draft": {"post": _write(
            "Open the working copy of a published case study, to make a new revision (as the web's Edit)", "write", {
                "200": _json(draft, "The working copy that was already open"),
                "201": _json(draft, "A new working copy, from the latest revision")},
            404, 409, parameters=[_path("slug", SLUG)])},
        "/api/v1/drafts/{id}/publish": {"post": _write(
            "Publish a draft as a new case study or a new revision; searchable at once. Refused with the "
            "privacy check's warnings (422) unless `confirm_privacy` is true; with moderation on, sent for review",
            "publish", {
                "200": _json({"type": "object", "required": ["status", "slug", "url"], "properties": {
                    "status": {"type": "string", "enum": [CaseStudyStatus.PUBLISHED]}, "slug": TEXT,
                    "revision": {"type": "integer"},
                    "url": TEXT, "api_url": TEXT}}, "Published"),
                "202": _json({"type": "object", "required": ["status", "message", "draft"], "properties": {
                    "status": {"type": "string", "enum": [DraftStatus.SUBMITTED]}, "message": TEXT, "draft": draft}},
                    "Sent for review")},
            404, 409, 413, 415, 422, parameters=[draft_id], requestBody=_body("Publish", required=False))},
    }


def spec(server: str) -> dict[str, Any]:
    """The whole document: the read side (a token optional) and the write side (a token required)."""
    document = _read_side(server)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["security"] = [{}, {"bearerAuth": []}]
            operation["responses"].update(_errors(401))
    document["paths"].update(_write_paths())
    document["components"]["schemas"].update(WRITE_SCHEMAS)
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    return document


def _read_side(server: str) -> dict[str, Any]:
    filters = [_query(name, {"type": "string", "enum": choices}, f"Filter: {name.replace('_', ' ')}.")
               for name, choices in CHOICES.items()]
    filters += [_query(name, {"type": "integer", "minimum": 1990, "maximum": 2100},
                       f"Filter: {name.replace('_', ' ')}.") for name in ("year_from", "year_to")]
    return {
        "openapi": "3.0.3",
        "info": {"title": "School Improvement Commons API", "version": "1",
                 "description": "Everything published is CC BY 4.0; credit each case study as its attribution says.",
                 "license": {"name": "CC BY 4.0 (content)", "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": server}],
        "components": {"schemas": dict(SCHEMAS)},
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Ask a question; the case studies that answer it (then the nearest, marked as not answers), "
                           "with their best passages, ranked and explained",
                "parameters": [
                    _query("q", {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": "[A-Za-z0-9]"},
                           "The question, with at least one letter or digit.", required=True),
                    *PAGING,
                    _query("context", {"type": "integer", "minimum": 0, "maximum": len(CONTEXT_LEVELS) - 1},
                           "How much school context counts (0 not at all … 4 strongly); needs school."),
                    _query("school", {"type": "integer", "minimum": 1, "maximum": 99999999},
                           "The reader's school URN: it orders the answers, instead of any school the question "
                           "describes."),
                    _query("read", {"type": "integer", "enum": [0, 1], "default": 1},
                           "1 (the default) reads the question first: the asker's school context is set apart from "
                           "the topic and acronyms are expanded; 0 searches the words exactly as typed."),
                    {**_query("ignore", {"type": "array", "items": {"type": "string", "enum": list(KINDS)}},
                              "Kinds of context read from the question to put back into the topic (repeat the "
                              "parameter for several), e.g. ignore=setting."),
                     "style": "form", "explode": True},
                    *filters,
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/SearchResults"}, "Results"),
                              **_errors(400, 404)}}},
            "/api/v1/case-studies": {"get": {
                "summary": "Published case studies without a question (as the web's topic pages and \"All case "
                           "studies\"): newest first, or the most comparable to `school` first; the same filters "
                           "as search; a page at a time (`page` of `limit`, starting `offset` further on), with "
                           "the link to the next page",
                "parameters": [
                    *PAGING,
                    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                           "Which page of `limit` results; `offset` then skips that many more."),
                    _query("school", {"type": "integer", "minimum": 1, "maximum": 99999999},
                           "The reader's school URN: the case studies from the most comparable schools come first, "
                           "each with `why`."),
                    *filters,
                ],
                "responses": {"200": _json({"type": "object", "required": ["total", "items", "next"], "properties": {
                    "total": {"type": "integer", "description": "How many case studies the filters let through."},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer", "description": "Where this page starts."},
                    "page": {"type": "integer"},
                    "order": {"type": "string", "enum": ["newest", "comparable"]},
                    "next": {"type": "string", "nullable": True, "description": "The next page, or null at the end."},
                    "items": {"type": "array", "items": {"allOf": [
                        {"$ref": "#/components/schemas/CaseStudySummary"}, {"type": "object", "properties": {
                            "published_on": {"type": "string", "nullable": True},
                            "why": {"$ref": "#/components/schemas/Why"}}}]}}}}, "A page"),
                    **_errors(400, 404)}}},
            "/api/v1/case-studies/{slug}": {"get": {
                "summary": "One case study, whole, with licence and attribution",
                "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"$ref": "#/components/schemas/CaseStudy"}, "The case study"),
                              **_errors(400, 404, 410)}}},
            "/api/v1/case-studies/{slug}/revisions": {"get": {
                "summary": "Every published revision", "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"type": "object", "properties": {
                    "slug": {"type": "string"},
                    "revisions": {"type": "array", "items": {"type": "object", "properties": {
                        "number": {"type": "integer"}, "title": {"type": "string"},
                        "published_at": {"type": "string"}}}}}}, "Revisions"), **_errors(400, 404)}}},
            "/api/v1/schools/{urn}": {"get": {
                "summary": "A school's context and its published case studies",
                "parameters": [_path("urn", {"type": "integer", "minimum": 1, "maximum": 99999999})],
                "responses": {"200": _json({"type": "object", "required": ["urn", "name"]}, "The school"),
                              **_errors(400, 404)}}},
            "/api/v1/hubs": {"get": {
                "summary": "Every hub", "responses": {
                    "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": {
                        "$ref": "#/components/schemas/Hub"}}}}, "Hubs"), **_errors(400)}}},
            "/api/v1/hubs/{slug}": {"get": {
                "summary": "A hub and its published collections", "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"$ref": "#/components/schemas/Hub"}, "The hub"), **_errors(400, 404)}}},
            "/api/v1/collections/{slug}": {"get": {
                "summary": "A published collection, in order, with curators' notes; a smart collection "
                           "(`smart_query` set: its question and filters) lists its search's current results",
                "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"type": "object", "required": ["slug", "title", "items"], "properties": {
                    "smart_query": {"type": "string", "nullable": True},
                    "items": {"type": "array", "items": {"type": "object"}}}}, "The collection"),
                              **_errors(400, 404)}}},
        },
    }
