"""JSON API v1: schemathesis over the OpenAPI document, plus the promises a client relies on."""

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

API_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


def test_every_operation_conforms_and_never_fails_on_our_side(demo_app: Flask) -> None:
    """Schemathesis generates requests for every operation of the OpenAPI document (valid and
    invalid values) and checks: no 5xx, documented status codes and content types, responses
    that match their schemas."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
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
