"""JSON API v1: schemathesis over the OpenAPI document, plus the promises a client relies on."""

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commons.db import db
from commons.models import ApiToken, Draft, User
from commons.services import api_tokens
from tests import samples
from tests.accounts import make_user

API_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
WRITE_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
SCHOOL = 990003


def _operations(app: Flask) -> tuple[Any, list[Any], list[Any]]:
    """The schema, its read operations (a token optional) and its write-side ones (a token required)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    secured = [op for op in operations if op.definition.raw.get("security") == [{"bearerAuth": []}]]
    return schema, [op for op in operations if op not in secured], secured


def test_every_operation_conforms_and_never_fails_on_our_side(demo_app: Flask) -> None:
    """Schemathesis generates requests for every read operation of the OpenAPI document (valid and
    invalid values) and checks: no 5xx, documented status codes and content types, responses
    that match their schemas."""
    _, operations, secured = _operations(demo_app)
    assert len(operations) == 8 and len(secured) == 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @API_SETTINGS
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate()

        check()


def test_search_explains_pages_and_refuses_unknown_parameters(demo_app: Flask) -> None:
    client = demo_app.test_client()
    first = client.get("/api/v1/search?q=attendance&school=990003&limit=3").get_json()
    second = client.get("/api/v1/search?q=attendance&school=990003&limit=3&offset=3").get_json()
    assert len(first["results"]) == 3 and first["results"][0]["why"]["line"]
    assert not {r["slug"] for r in first["results"]} & {r["slug"] for r in second["results"]}
    answering = sum(1 for r in first["results"] + second["results"] if r["answers"])
    assert first["answer_count"] == second["answer_count"] >= answering  # the total, whatever page is asked
    unknown = client.get("/api/v1/search?q=attendance&colour=blue")
    assert unknown.status_code == 400 and unknown.get_json()["error"] == "unknown_parameter"
    too_many = client.get("/api/v1/search?q=attendance&limit=500")
    assert too_many.status_code == 400 and "limit" in too_many.get_json()["message"]
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json


def test_a_case_study_carries_licence_and_attribution(demo_app: Flask) -> None:
    client = demo_app.test_client()
    slug = client.get("/api/v1/case-studies?limit=1").get_json()["items"][0]["slug"]
    record = client.get(f"/api/v1/case-studies/{slug}").get_json()
    assert record["licence"] == "CC-BY-4.0" and "CC BY 4.0" in record["attribution"]
    assert set(record["sections"]) >= {"context", "active-ingredients", "expertise"}


@pytest.fixture
def writable(app: Flask, runner, tmp_path: Path) -> dict[str, Any]:
    """A published case study and a draft of school 990003, and tokens of one of its authors."""
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    author = make_user(app, "author@example.org", school=SCHOOL)
    with app.app_context():
        user = db.session.get(User, author)
        scopes_by_name = [("all", ["read", "write", "publish"]), ("read", ["read"]),
                          ("revoked", ["read", "write", "publish"])]
        tokens = {name: api_tokens.create(db.session, user, name, scopes).secret for name, scopes in scopes_by_name}
        api_tokens.revoke(db.session, user, db.session.scalar(select(ApiToken.id).where(ApiToken.name == "revoked")))
        draft = Draft(school_urn=SCHOOL, fields={"title": "A draft", "sections": {}},
                      created_by=author, updated_by=author)
        complete = Draft(school_urn=SCHOOL, created_by=author, updated_by=author, fields={
            "title": "Walking buses", "summary": "Walking buses got children in on time.", "years": "2024",
            "evidence_strength": "self-reported", "topics": ["attendance"], "sections": samples.BODY})
        db.session.add_all([draft, complete])
        db.session.commit()
        return {"tokens": tokens, "draft": draft.id, "complete": complete.id}


def test_every_write_operation_conforms_with_a_valid_token(app: Flask, writable: dict[str, Any]) -> None:
    """Schemathesis over the write side, with a working token and (mostly) objects the token's
    user may write to: no 5xx, documented statuses, content types and schemas; and for every
    success its ``ignored_auth`` check repeats the request without the token and with a wrong one,
    expecting a refusal. A well-formed draft may still be unpublishable, so 422 is accepted too."""
    schema, _, secured = _operations(app)
    assert len(secured) == 6  # every write operation is exercised, none silently skipped
    schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "401", "403", "404", "409", "422"]
    headers = {"Authorization": f"Bearer {writable['tokens']['all']}"}
    for operation in secured:
        known = {"id": writable["draft"], "slug": "a-published"}
        path_parameters = {k: v for k, v in known.items() if "{" + k + "}" in operation.path}

        # check() runs within this iteration; @given refuses default arguments, so `operation` is not bound as one
        @given(case=operation.as_strategy(headers=headers, path_parameters=path_parameters), ours=st.booleans())
        @WRITE_SETTINGS
        def check(case, ours: bool) -> None:  # type: ignore[no-untyped-def]
            if ours and isinstance(case.body, dict) and "school_urn" in case.body:
                case.body["school_urn"] = SCHOOL  # a school the user writes for, half the time
            if ours and case.path_parameters and operation.path.endswith("/publish"):  # noqa: B023
                case.path_parameters["id"] = writable["complete"]  # publishable (once)
            case.call_and_validate()

        check()


def test_every_write_operation_refuses_missing_wrong_revoked_and_read_only_tokens(
        app: Flask, writable: dict[str, Any]) -> None:
    """For every operation the document says needs a token: 401 without one, with a garbage one and
    with a revoked one; and 403 for a read-only token on every operation that changes something."""
    _, _, secured = _operations(app)
    client = app.test_client()
    path_values = {"{id}": str(writable["draft"]), "{slug}": "a-published"}
    tokens = writable["tokens"]
    for operation in secured:
        path = operation.path
        for placeholder, value in path_values.items():
            path = path.replace(placeholder, value)
        body = {"school_urn": SCHOOL} if path.endswith("/drafts") else {}
        for auth in [None, "Bearer sic_garbage", "Bearer not-even-shaped-right", f"Bearer {tokens['revoked']}"]:
            response = client.open(path, method=operation.method.upper(), json=body,
                                   headers={"Authorization": auth} if auth else {})
            assert response.status_code == 401, (operation.label, auth, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Bearer") and response.is_json
        if operation.method.upper() != "GET":
            response = client.open(path, method=operation.method.upper(), json=body,
                                   headers={"Authorization": f"Bearer {tokens['read']}"})
            assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope", operation.label
    with app.app_context():
        assert db.session.get(Draft, writable["draft"]).fields["title"] == "A draft"


def test_a_token_is_checked_even_on_public_reads(demo_app: Flask) -> None:
    client = demo_app.test_client()
    assert client.get("/api/v1/case-studies?limit=1").status_code == 200
    refused = client.get("/api/v1/case-studies?limit=1", headers={"Authorization": "Bearer sic_garbage"})
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorised"
