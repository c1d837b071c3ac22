"""The OpenAPI 3 document of the JSON API v1 (``/api/v1/openapi.json``), generated from the models.

Every schema in it comes from ``commons/api/schemas.py``, the models that also check what clients
send and shape what the API answers; this module adds only what a model cannot say: each
operation's path, summary, scope and the statuses it may answer.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from commons.api import schemas
from commons.api.schemas import Query, Slug, Urn

REF = "#/components/schemas/{model}"
ERRORS = {400: "Bad request: an unknown or malformed parameter, or (bodies) malformed JSON, an unknown field "
               "or a wrong type, with `errors` by field",
          401: "No token, or one that does not work (mistyped or revoked)",
          403: "The token lacks the scope needed (`insufficient_scope`), or its user may not do this",
          404: "Not found (or not yours to see)", 409: "Not possible in its current state",
          410: "Withdrawn by its school", 413: "The body is larger than 1 MB", 415: "The body is not JSON",
          422: "Content that cannot be accepted: `errors` by field, or (publishing) privacy `warnings`"}
SECURITY_SCHEMES = {"bearerAuth": {
    "type": "http", "scheme": "bearer",
    "description": "A personal API token made at /account/tokens, with the scopes `read` (your schools' drafts), "
                   "`write` (start and change drafts) and `publish`. It acts as its user, with at most their "
                   "rights at the time of each request. Reads need no token; a token that is sent must work."}}


@dataclass(frozen=True)
class Answer:
    model: type[schemas.Answer]
    description: str
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes (query, path parameters, body) and what it answers."""

    method: str
    path: str
    summary: str
    answers: dict[int, Answer]
    errors: tuple[int, ...] = ()
    query: type[Query] = schemas.NoQuery
    path_parameters: dict[str, Any] = field(default_factory=dict)
    body: type[schemas.Body] | None = None
    body_required: bool = True
    scope: str | None = None  # None: a read, open to all (a token that is sent must work)


SLUG = {"slug": Slug}
DRAFT = {"id": schemas.DraftId}
OPERATIONS = [
    Operation("get", "/api/v1/search", "Ask a question; the case studies that answer it (then the nearest, marked as "
              "not answers), with their best passages, ranked and explained",
              {200: Answer(schemas.SearchResults, "Results")}, (400, 404), query=schemas.SearchQuery),
    Operation("get", "/api/v1/case-studies", "Published case studies without a question (as the web's topic pages "
              "and \"All case studies\"): newest first, or the most comparable to `school` first; the same filters "
              "as search; a page at a time (`page` of `limit`, starting `offset` further on), with the link to the "
              "next page", {200: Answer(schemas.CaseStudyPage, "A page")}, (400, 404),
              query=schemas.CaseStudiesQuery),
    Operation("get", "/api/v1/case-studies/{slug}", "One case study, whole, with licence and attribution",
              {200: Answer(schemas.CaseStudy, "The case study")}, (400, 404, 410), path_parameters=SLUG),
    Operation("get", "/api/v1/case-studies/{slug}/revisions", "Every published revision",
              {200: Answer(schemas.Revisions, "Revisions")}, (400, 404), path_parameters=SLUG),
    Operation("get", "/api/v1/schools/{urn}", "A school's context and its published case studies",
              {200: Answer(schemas.School, "The school")}, (400, 404), path_parameters={"urn": Urn}),
    Operation("get", "/api/v1/hubs", "Every hub", {200: Answer(schemas.Hubs, "Hubs")}, (400,)),
    Operation("get", "/api/v1/hubs/{slug}", "A hub and its published collections",
              {200: Answer(schemas.Hub, "The hub")}, (400, 404), path_parameters=SLUG),
    Operation("get", "/api/v1/collections/{slug}", "A published collection, in order, with curators' notes; a smart "
              "collection (`smart_query` set: its question and filters) lists its search's current results",
              {200: Answer(schemas.Collection, "The collection")}, (400, 404), path_parameters=SLUG),
    Operation("get", "/api/v1/drafts", "Drafts of the schools you write for, most recently changed first",
              {200: Answer(schemas.DraftPage, "A page of drafts")}, query=schemas.DraftsQuery, scope="read"),
    Operation("post", "/api/v1/drafts", "Start a draft for a school you write for, with any of the editor's fields",
              {201: Answer(schemas.Draft, "The new draft", {"Location": {"schema": {"type": "string"}}})},
              (413, 415, 422), body=schemas.NewDraft, scope="write"),
    Operation("get", "/api/v1/drafts/{id}", "One draft",
              {200: Answer(schemas.Draft, "The draft")}, (404,), path_parameters=DRAFT, scope="read"),
    Operation("patch", "/api/v1/drafts/{id}", "Change a draft: only the fields given (within `sections`, only the "
              "sections given)",
              {200: Answer(schemas.Draft, "The draft, changed")}, (404, 413, 415, 422), path_parameters=DRAFT,
              body=schemas.DraftFields, scope="write"),
    Operation("post", "/api/v1/case-studies/{slug}/draft", "Open the working copy of a published case study, to "
              "make a new revision (as the web's Edit)",
              {200: Answer(schemas.Draft, "The working copy that was already open"),
               201: Answer(schemas.Draft, "A new working copy, from the latest revision")},
              (404, 409), path_parameters=SLUG, scope="write"),
    Operation("post", "/api/v1/drafts/{id}/publish", "Publish a draft as a new case study or a new revision; "
              "searchable at once. Refused with the privacy check's warnings (422) unless `confirm_privacy` is "
              "true; with moderation on, sent for review",
              {200: Answer(schemas.Published, "Published"), 202: Answer(schemas.SentForReview, "Sent for review")},
              (404, 409, 413, 415, 422), path_parameters=DRAFT, body=schemas.Publish, body_required=False,
              scope="publish"),
]


class _OpenApi30(GenerateJsonSchema):
    """JSON Schema as OpenAPI 3.0 has it: ``nullable`` instead of a null type, ``enum`` for ``const``, no
    generated titles, and no default that only means "absent" (none at all in answers)."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        default = json_schema.get("default", 0)
        if self.mode == "serialization" or default is None or (isinstance(default, str | list | dict) and not default):
            json_schema.pop("default", None)
        return json_schema

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def generate(self, schema: Any, mode: Any = "validation") -> JsonSchemaValue:
        generated: JsonSchemaValue = _openapi(super().generate(schema, mode))
        return generated

    def generate_definitions(self, inputs: Any) -> Any:
        keys, definitions = super().generate_definitions(inputs)
        return keys, {name: _openapi(value) for name, value in definitions.items()}


def _openapi(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_openapi(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    schema = dict(schema)
    schema.pop("title", None)
    if schema.get("additionalProperties") is True:
        del schema["additionalProperties"]
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1 and "enum" in rest[0]:
            rest = [{**rest[0], "enum": [*rest[0]["enum"], None]}]  # null must be one of the choices too
        if len(rest) == 1:
            schema = {**({"allOf": rest} if "$ref" in rest[0] else rest[0]), **schema}  # the field's own keys win
        else:
            schema["anyOf"] = rest
        schema["nullable"] = True
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            schema[key] = {name: _openapi(part) for name, part in value.items()}
        elif key != "enum" and key != "default":
            schema[key] = _openapi(value)
    return schema


def _components() -> dict[str, Any]:
    bodies = {op.body for op in OPERATIONS if op.body is not None}
    answers = set(_answer_models(schemas.Answer))  # every answer, and every part of one
    models: list[tuple[type[BaseModel], Any]] = [(m, "validation") for m in sorted(bodies, key=_name)]
    models += [(m, "serialization") for m in sorted(answers, key=_name)]
    _, document = models_json_schema(models, ref_template=REF, schema_generator=_OpenApi30)
    definitions: dict[str, Any] = dict(document.get("$defs", {}))
    return _extensions_inline(definitions)


def _extensions_inline(definitions: dict[str, Any]) -> dict[str, Any]:
    """An answer that extends another (a search result is a case study summary and more) is written where it is
    used as ``allOf``: the other's reference, then the fields it adds."""
    extended: dict[str, Any] = {}
    for model in _answer_models(schemas.Answer):
        base = model.__bases__[0]
        if model.__name__ not in definitions or base is schemas.Answer or not issubclass(base, schemas.Answer):
            continue
        own = definitions.pop(model.__name__)
        added = [name for name in own.get("properties", {}) if name not in base.model_fields]
        extension: dict[str, Any] = {"type": "object", "properties": {name: own["properties"][name] for name in added}}
        required = [name for name in own.get("required", []) if name in added]
        if required:
            extension["required"] = required
        extended[REF.format(model=model.__name__)] = {"allOf": [_ref(base), extension]}

    def inline(part: Any) -> Any:
        if isinstance(part, list):
            return [inline(item) for item in part]
        if not isinstance(part, dict):
            return part
        if part.get("$ref") in extended:
            return inline(extended[part["$ref"]])
        return {key: inline(value) for key, value in part.items()}

    return {name: inline(schema) for name, schema in definitions.items()}


def _answer_models(root: type[schemas.Answer]) -> list[type[schemas.Answer]]:
    found = []
    for model in root.__subclasses__():
        found += [model, *_answer_models(model)]
    return found


def _name(model: type[BaseModel]) -> str:
    return model.__name__


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    answers = {str(code): _json(_ref(schemas.Error), ERRORS[code]) for code in codes}
    if 401 in codes:
        answers["401"]["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                                          "description": "Bearer"}}
    return answers


def _query_parameters(model: type[Query]) -> list[dict[str, Any]]:
    """One parameter per field of the query model, in the model's order."""
    document = model.model_json_schema(schema_generator=_OpenApi30)
    required = set(document.get("required", []))
    parameters = []
    for name, schema in document["properties"].items():
        schema = {k: v for k, v in schema.items() if k != "nullable"}  # a query parameter is left out, not null
        description = schema.pop("description", "")
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema,
                     "description": description}
        if schema.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _path_parameters(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True,
             "schema": TypeAdapter(kind).json_schema(schema_generator=_OpenApi30)}
            for name, kind in parameters.items()]


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, answer in op.answers.items():
        responses[str(status)] = _json(_ref(answer.model), answer.description)
        if answer.headers:
            responses[str(status)]["headers"] = answer.headers
    responses.update(_errors(*sorted({400, 401, *((403,) if op.scope else ()), *op.errors})))
    described: dict[str, Any] = {
        "summary": op.summary if op.scope is None else f"{op.summary} (scope: {op.scope})",
        "security": [{}, {"bearerAuth": []}] if op.scope is None else [{"bearerAuth": []}],
    }
    parameters = [*_path_parameters(op.path_parameters), *_query_parameters(op.query)]
    if parameters:
        described["parameters"] = parameters
    if op.body is not None:
        described["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": _ref(op.body)}}}
    described["responses"] = responses
    return described


def spec(server: str) -> dict[str, Any]:
    """The whole document: the read side (a token optional) and the write side (a token required)."""
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {"title": "School Improvement Commons API", "version": "1",
                 "description": "Everything published is CC BY 4.0; credit each case study as its attribution says.",
                 "license": {"name": "CC BY 4.0 (content)", "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": server}],
        "components": {"schemas": _components(), "securitySchemes": SECURITY_SCHEMES},
        "paths": paths,
    }
