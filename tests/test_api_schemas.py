"""The OpenAPI document is generated from the models that check requests: what it says, the API does."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from commons.api.spec import OPERATIONS
from commons.db import db
from commons.models import User
from commons.services import api_tokens
from tests import samples
from tests.accounts import make_user

SCHOOL = 990003


@pytest.fixture
def author(app: Flask, runner: Any, tmp_path: Path) -> dict[str, Any]:
    """An author of school 990003 with a token that may write, and a draft of theirs."""
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    user_id = make_user(app, "author@example.org", school=SCHOOL)
    with app.app_context():
        secret = api_tokens.create(db.session, db.session.get(User, user_id), "t", ["read", "write"]).secret
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    made = app.test_client().post("/api/v1/drafts", json={"school_urn": SCHOOL}, headers=headers)
    assert made.status_code == 201
    return {"headers": headers, "draft": "/api/v1/drafts/" + str(made.get_json()["id"])}


def _schemas(app: Flask) -> dict[str, Any]:
    schemas: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    return schemas


def test_every_documented_length_and_choice_is_the_one_the_api_enforces(app: Flask, author: dict[str, Any]) -> None:
    """For each draft field the document limits, the longest value it allows is kept and one more character is
    refused (422, by field); each documented choice is kept and anything else refused."""
    client = app.test_client()
    fields = _schemas(app)["DraftFields"]["properties"]
    limited = {name: schema["maxLength"] for name, schema in fields.items() if "maxLength" in schema}
    limited |= {f"sections.{key}": schema["maxLength"] for key, schema in fields["sections"]["properties"].items()}
    assert {"title", "summary", "years", "co_authors", "sections.context", "sections.impact"} <= set(limited)
    for name, most in limited.items():
        def body(text: str, name: str = name) -> dict[str, Any]:
            section, _, key = name.partition(".")
            return {"sections": {key: text}} if key else {section: text}
        kept = client.patch(author["draft"], json=body("x" * most), headers=author["headers"])
        assert kept.status_code == 200, (name, kept.get_json())
        refused = client.patch(author["draft"], json=body("x" * (most + 1)), headers=author["headers"])
        assert refused.status_code == 422 and refused.get_json()["error"] == "invalid", name
        assert refused.get_json()["errors"] == {name: f"is {most + 1} characters; keep it under {most}"}
    for name, choices in [("evidence_strength", fields["evidence_strength"]["enum"]),
                          ("topics", fields["topics"]["items"]["enum"]),
                          ("open_to", fields["open_to"]["items"]["enum"])]:
        for choice in choices:
            value = [choice] if name != "evidence_strength" else choice
            assert client.patch(author["draft"], json={name: value}, headers=author["headers"]).status_code == 200
        value = ["no-such-choice"] if name != "evidence_strength" else "no-such-choice"
        refused = client.patch(author["draft"], json={name: value}, headers=author["headers"])
        assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {name}, name


def test_every_documented_parameter_is_taken_and_any_other_refused(app: Flask, author: dict[str, Any]) -> None:
    """Each read's query parameters, as documented: its lowest allowed value is taken, one below refused (400,
    naming it); an undocumented parameter is refused as unknown."""
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, methods in document["paths"].items():
        if "get" not in methods or "{" in path:
            continue
        url = path
        base = {"q": "attendance"} if path.endswith("/search") else {}
        for parameter in methods["get"].get("parameters", []):
            schema = parameter["schema"]
            if "minimum" not in schema:
                continue
            name, low = parameter["name"], schema["minimum"]
            if name == "school":
                low = SCHOOL  # the lowest URN that is a school here
            taken = client.get(url, query_string={**base, name: low}, headers=author["headers"])
            assert taken.status_code == 200, (path, name, taken.get_json())
            refused = client.get(url, query_string={**base, name: schema["minimum"] - 1}, headers=author["headers"])
            assert refused.status_code == 400 and name.replace("_", " ") in refused.get_json()["message"].replace(
                "_", " "), (path, name)
            checked += 1
        unknown = client.get(url, query_string={**base, "colour": "blue"}, headers=author["headers"])
        assert unknown.status_code == 400 and unknown.get_json()["error"] == "unknown_parameter", path
    assert checked >= 12


def test_every_operation_is_documented_once() -> None:
    assert len({(op.method, op.path) for op in OPERATIONS}) == len(OPERATIONS) == 14
