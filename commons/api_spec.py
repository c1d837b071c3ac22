"""The OpenAPI 3 document of the JSON API v1 (``/api/v1/openapi.json``)."""

from typing import Any

from commons.services.comparability import CONTEXT_LEVELS
from commons.services.search_filters import CHOICES

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad request: an unknown or malformed parameter", 404: "Not found", 410: "Withdrawn by its school"}
    return {str(code): _json(ERROR, text[code]) for code in codes}


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
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "CaseStudySummary": {"type": "object", "required": ["slug", "title", "school", "url"], "properties": {
        "slug": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "school": {"type": "object", "properties": {"urn": {"type": "integer"}, "name": {"type": "string"}}},
        "topics": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"},
        "api_url": {"type": "string"}}},
    "Why": {"type": "object", "nullable": True, "properties": {
        "similarity": {"type": "number"}, "band": {"type": "string"}, "blocked": {"type": "string", "nullable": True},
        "own_school": {"type": "boolean"}, "line": {"type": "string"},
        "factors": {"type": "array", "items": {"type": "object"}}}},
    "SearchResults": {"type": "object", "required": ["question", "results"], "properties": {
        "question": {"type": "string"}, "notices": {"type": "array", "items": {"type": "string"}},
        "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "results": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/CaseStudySummary"}, {
            "type": "object", "properties": {
                "score": {"type": "number"}, "relevance": {"type": "number"}, "why": {"$ref": "#/components/schemas/Why"},
                "passages": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "section": {"type": "string"}, "heading": {"type": "string"},
                    "text": {"type": "string"}, "url": {"type": "string"}}}}}}]}}}},
    "CaseStudy": {"type": "object", "required": ["slug", "title", "sections", "licence", "attribution"], "properties": {
        "slug": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "school": {"type": "object"}, "topics": {"type": "array", "items": {"type": "string"}},
        "start_year": {"type": "integer"}, "end_year": {"type": "integer"}, "evidence_strength": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "object"}}, "open_to": {"type": "array", "items": {"type": "string"}},
        "impact_table": {"type": "array", "items": {"type": "object"}},
        "published_on": {"type": "string", "nullable": True}, "revision": {"type": "integer"},
        "sections": {"type": "object", "additionalProperties": {"type": "string"}}, "source": {"type": "string"},
        "url": {"type": "string"}, "licence": {"type": "string"}, "licence_url": {"type": "string"},
        "attribution": {"type": "string"}}},
    "Hub": {"type": "object", "required": ["slug", "name"], "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "description": {"type": "string"}, "collections": {"type": "array", "items": {"type": "string"}}}},
}


def spec(server: str) -> dict[str, Any]:
    filters = [_query(name, {"type": "string", "enum": choices}, f"Filter: {name.replace('_', ' ')}.")
               for name, choices in CHOICES.items()]
    filters += [_query(name, {"type": "integer", "minimum": 1990, "maximum": 2100}, f"Filter: {name.replace('_', ' ')}.")
                for name in ("year_from", "year_to")]
    return {
        "openapi": "3.0.3",
        "info": {"title": "School Improvement Commons API", "version": "1",
                 "description": "Everything published is CC BY 4.0; credit each case study as its attribution says.",
                 "license": {"name": "CC BY 4.0 (content)", "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": server}],
        "components": {"schemas": SCHEMAS},
        "paths": {
            "/api/v1/search": {"get": {
                "summary": "Ask a question; case studies with their best passages, ranked and explained",
                "parameters": [
                    _query("q", {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": "[A-Za-z0-9]"},
                           "The question, with at least one letter or digit.", required=True),
                    *PAGING,
                    _query("context", {"type": "integer", "minimum": 0, "maximum": len(CONTEXT_LEVELS) - 1},
                           "How much school context counts (0 not at all … 4 strongly); needs school."),
                    _query("school", {"type": "integer", "minimum": 1, "maximum": 99999999}, "The reader's school URN."),
                    *filters,
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/SearchResults"}, "Results"),
                              **_errors(400, 404)}}},
            "/api/v1/case-studies": {"get": {
                "summary": "Published case studies, oldest first", "parameters": PAGING,
                "responses": {"200": _json({"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseStudySummary"}}}}, "A page"),
                    **_errors(400)}}},
            "/api/v1/case-studies/{slug}": {"get": {
                "summary": "One case study, whole, with licence and attribution",
                "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"$ref": "#/components/schemas/CaseStudy"}, "The case study"),
                              **_errors(400, 404, 410)}}},
            "/api/v1/case-studies/{slug}/revisions": {"get": {
                "summary": "Every published revision", "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"type": "object", "properties": {
                    "slug": {"type": "string"}, "revisions": {"type": "array", "items": {"type": "object", "properties": {
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
                "summary": "A published collection, in order, with curators' notes", "parameters": [_path("slug", SLUG)],
                "responses": {"200": _json({"type": "object", "required": ["slug", "title", "items"]}, "The collection"),
                              **_errors(400, 404)}}},
        },
    }
