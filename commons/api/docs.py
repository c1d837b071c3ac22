"""Human-readable API documentation at ``/docs``, rendered on the server from the OpenAPI document.

No script and nothing from another site: it works offline and behind any firewall. ``/api`` and
``/api/v1`` lead here.
"""

import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from commons import settings
from commons.api.spec import spec

bp = Blueprint("api_docs", __name__)

EXAMPLE_VALUES = {"q": "how did small rural primaries improve attendance?", "slug": "breakfast-club",
                  "urn": "990003", "id": "1", "school": "990003", "limit": "5"}
MAX_EXAMPLE_DEPTH = 4


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    document = spec(public_url())
    return render_template("api_docs.html", document=document, operations=operations(document),
                           schemas=document["components"]["schemas"], server=public_url(),
                           openapi_url=url_for("api.openapi"))


@bp.get("/api")
@bp.get("/api/")
@bp.get("/api/v1")
@bp.get("/api/v1/")
def to_docs() -> ResponseReturnValue:
    return redirect(url_for("api_docs.docs"), code=302)


def public_url() -> str:
    return settings.current().public_base


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each path and method, with what the page shows: parameters, body, responses and examples."""
    schemas = document["components"]["schemas"]
    server = document["servers"][0]["url"]
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            needs_token = all(option for option in operation.get("security", [{}])) and "security" in operation
            body_schema = (operation.get("requestBody", {}).get("content", {})
                           .get("application/json", {}).get("schema"))
            responses = []
            for code, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                responses.append({"code": code, "description": response.get("description", ""),
                                  "schema": _ref_name(schema),
                                  "example": _dump(example(schema, schemas)) if schema and code.startswith("2")
                                  else None})
            found.append({
                "id": f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "parameters": parameters, "token": needs_token,
                "body": _ref_name(body_schema),
                "body_example": _dump(example(body_schema, schemas)) if body_schema else None,
                "responses": responses,
                "curl": _curl(server, method, path, parameters, needs_token, body_schema is not None),
            })
    return found


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if schema and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def example(schema: dict[str, Any] | None, schemas: dict[str, Any], depth: int = 0) -> Any:
    """A made-up value that has the schema's shape, for the documentation."""
    if not schema:
        return None
    if "$ref" in schema:
        name = _ref_name(schema)
        return example(schemas.get(name or "", {}), schemas, depth) if depth < MAX_EXAMPLE_DEPTH else {}
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return next((value for value in schema["enum"] if value is not None), None)
    if "anyOf" in schema:
        return example(schema["anyOf"][0], schemas, depth)
    if "allOf" in schema:  # a reference (perhaps nullable), or a schema extended with more fields
        parts = [example(part, schemas, depth) for part in schema["allOf"]]
        if all(isinstance(part, dict) for part in parts):
            return {key: value for part in parts for key, value in part.items()}
        return parts[0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth >= MAX_EXAMPLE_DEPTH:
            return {}
        return {name: example(part, schemas, depth + 1) for name, part in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items"), schemas, depth + 1)] if depth < MAX_EXAMPLE_DEPTH else []
    if kind == "integer":
        return schema.get("default", schema.get("minimum", 1))
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return schema.get("default", False)
    return schema.get("default", "…") if kind == "string" else None


def _curl(server: str, method: str, path: str, parameters: list[dict[str, Any]], token: bool, body: bool) -> str:
    filled = path
    for parameter in parameters:
        if parameter["in"] == "path":
            filled = filled.replace("{" + parameter["name"] + "}", EXAMPLE_VALUES.get(parameter["name"], "1"))
    query = [f"{p['name']}={quote(EXAMPLE_VALUES[p['name']])}" for p in parameters
             if p["in"] == "query" and p.get("required")]
    url = server + filled + ("?" + "&".join(query) if query else "")
    parts = ["curl"] + ([f"-X {method.upper()}"] if method != "get" else [])
    if token:
        parts.append('-H "Authorization: Bearer $COMMONS_TOKEN"')
    if body:
        parts.append("-H 'Content-Type: application/json' -d '{…}'")
    return " ".join([*parts, f"'{url}'"])
