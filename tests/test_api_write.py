"""JSON API v1 writes: personal API tokens, scopes and roles, and the draft → publish journey."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.models import ApiToken, CaseStudy, Draft, Membership, User, utcnow
from commons.services import api_tokens
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in

SCHOOL_A, SCHOOL_B = 990003, 990012
EVERYTHING = ["read", "write", "publish"]
COMPLETE = {"title": "Walking buses in a fell village", "summary": "Two walking buses got children to school on time.",
            "years": "2023-2024", "evidence_strength": "internal data", "topics": ["attendance"]}
# Every write operation, with a body that would be accepted: (method, path template, JSON body)
WRITES = [
    ("POST", "/api/v1/drafts", {"school_urn": SCHOOL_A, "title": "Should never be made"}),
    ("PATCH", "/api/v1/drafts/{draft}", {"title": "Changed"}),
    ("POST", "/api/v1/case-studies/a-published/draft", None),
    ("POST", "/api/v1/drafts/{draft}/publish", {"confirm_privacy": True}),
]
READS_OF_DRAFTS = [("GET", "/api/v1/drafts", None), ("GET", "/api/v1/drafts/{draft}", None)]


def token_for(app: Flask, user_id: int, scopes: list[str] | None = None, name: str = "Trust website") -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = api_tokens.create(db.session, user, name, scopes or EVERYTHING).secret
        db.session.commit()
        return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(app: Flask, runner, tmp_path: Path) -> dict[str, int]:
    """School A has a published case study and a private draft; users of every kind."""
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL_A)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    ids = {
        "author": make_user(app, "author@example.org", school=SCHOOL_A, name="Ann Author"),
        "other": make_user(app, "other@example.org", school=SCHOOL_B),
        "reader": make_user(app, "reader@example.org"),
        "admin": make_user(app, "admin@example.org", admin=True),
    }
    with app.app_context():
        draft = Draft(school_urn=SCHOOL_A, fields={"title": "Secret draft", "sections": {}}, created_by=ids["author"],
                      updated_by=ids["author"])
        db.session.add(draft)
        db.session.commit()
        ids["draft"] = draft.id
    return ids


def call(client: FlaskClient, method: str, path: str, body: object, draft: int,
         headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.open(path.format(draft=draft), method=method, json=body, headers=headers)


def draft_title(app: Flask, draft_id: int) -> str | None:
    with app.app_context():
        found = db.session.get(Draft, draft_id)
        return None if found is None else found.fields.get("title")


def test_a_token_is_made_shown_once_used_and_revoked(app: Flask, world: dict[str, int]) -> None:
    browser = app.test_client()
    sign_in(browser, "author@example.org")
    assert "/account/tokens" in browser.get("/author").get_data(as_text=True)
    empty = browser.get("/account/tokens").get_data(as_text=True)
    assert "You have no API tokens" in empty
    no_csrf = browser.post("/account/tokens", data={"name": "Trust website", "scopes": ["read"]})
    assert no_csrf.status_code == 400  # a web form still needs its CSRF token
    refused = browser.post("/account/tokens", data={"csrf_token": csrf_token(browser), "name": " ", "scopes": []})
    assert refused.status_code == 400 and "Give the token a name" in refused.get_data(as_text=True)

    made = browser.post("/account/tokens", data={"csrf_token": csrf_token(browser), "name": "Trust website",
                                                 "scopes": ["read", "write"]})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(sic_[A-Za-z0-9_-]{40,})"', made.get_data(as_text=True)).group(1)
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.digest == api_tokens.digest(secret) and secret not in (stored.digest, stored.prefix)
        assert secret.startswith(stored.prefix) and stored.scopes == ["read", "write"] and stored.last_used_at is None
        token_id = stored.id
    listed = browser.get("/account/tokens").get_data(as_text=True)
    assert secret not in listed and f"{secret[:12]}…" in listed and "Trust website" in listed and "never" in listed

    api = app.test_client()
    assert api.get("/api/v1/drafts", headers=bearer(secret)).status_code == 200
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None
    assert "never" not in browser.get("/account/tokens").get_data(as_text=True)

    stranger = app.test_client()
    sign_in(stranger, "other@example.org")
    not_theirs = stranger.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(stranger)})
    assert not_theirs.status_code == 404
    assert api.get("/api/v1/drafts", headers=bearer(secret)).status_code == 200  # someone else cannot revoke it
    revoked = browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(browser)})
    assert revoked.status_code == 303
    assert "revoked" in browser.get(revoked.headers["Location"]).get_data(as_text=True)
    refused = api.get("/api/v1/drafts", headers=bearer(secret))
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorised"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_last_used_is_noted_at_most_once_a_minute(app: Flask, world: dict[str, int]) -> None:
    secret = token_for(app, world["author"])
    start = utcnow()
    with app.app_context():
        token = api_tokens.authenticate(db.session, secret, now=start)
        db.session.commit()
        assert api_tokens.authenticate(db.session, secret, now=start + timedelta(seconds=30)) is token
        assert not db.session.dirty  # not written again within the minute
        api_tokens.authenticate(db.session, secret, now=start + timedelta(seconds=61))
        assert token.last_used_at == start + timedelta(seconds=61)
        assert api_tokens.authenticate(db.session, secret[:-1] + "x") is None
        assert api_tokens.authenticate(db.session, "not-a-token") is None


@pytest.mark.parametrize("method, path, body", WRITES + READS_OF_DRAFTS)
def test_auth_is_never_ignored(app: Flask, world: dict[str, int], method: str, path: str, body: object) -> None:
    """No token, a garbage one, a revoked one, another scheme, or a browser session: 401, and nothing changes."""
    revoked = token_for(app, world["author"])
    with app.app_context():
        api_tokens.revoke(db.session, db.session.get(User, world["author"]), db.session.scalar(select(ApiToken.id)))
        db.session.commit()
    signed_in = app.test_client()
    sign_in(signed_in, "author@example.org")  # cookies never authorise the API
    for client, headers in [(app.test_client(), {}), (app.test_client(), bearer("sic_garbage")),
                            (app.test_client(), bearer(revoked)), (app.test_client(), {"Authorization": "Basic YTpi"}),
                            (signed_in, {})]:
        response = call(client, method, path, body, world["draft"], headers)
        assert response.status_code == 401 and response.is_json, (headers, response.status_code)
        assert response.get_json()["error"] == "unauthorised"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert draft_title(app, world["draft"]) == "Secret draft"
    with app.app_context():
        assert db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-published")).status == "published"
        assert len(db.session.scalars(select(Draft)).all()) == 1


@pytest.mark.parametrize("method, path, body", WRITES)
def test_a_read_only_token_cannot_write(
    app: Flask, world: dict[str, int], method: str, path: str, body: object
) -> None:
    secret = token_for(app, world["author"], ["read"])
    response = call(app.test_client(), method, path, body, world["draft"], bearer(secret))
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert draft_title(app, world["draft"]) == "Secret draft"


def test_a_token_does_no_more_than_its_user_can_do_now(app: Flask, world: dict[str, int]) -> None:
    client = app.test_client()
    other = bearer(token_for(app, world["other"]))
    for method, path, body in WRITES[1:2] + WRITES[3:] + READS_OF_DRAFTS[1:]:  # school A's draft, for B's author
        response = call(client, method, path, body, world["draft"], other)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
        assert "Secret draft" not in response.get_data(as_text=True)
    assert client.get("/api/v1/drafts", headers=other).get_json()["items"] == []
    assert client.post("/api/v1/drafts", json={"school_urn": SCHOOL_A}, headers=other).status_code == 403
    assert client.post("/api/v1/case-studies/a-published/draft", headers=other).status_code == 403
    assert draft_title(app, world["draft"]) == "Secret draft"

    reader = bearer(token_for(app, world["reader"]))
    refused = client.post("/api/v1/drafts", json={"school_urn": SCHOOL_A, "title": "Mine now"}, headers=reader)
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_your_school"
    assert client.get("/api/v1/drafts", headers=reader).get_json()["total"] == 0

    admin = bearer(token_for(app, world["admin"]))
    fixed = client.patch(f"/api/v1/drafts/{world['draft']}", json={"title": "Fixed by an admin"}, headers=admin)
    assert fixed.status_code == 200
    assert client.post("/api/v1/drafts", json={"school_urn": SCHOOL_B}, headers=admin).status_code == 201
    assert client.get("/api/v1/drafts", headers=admin).get_json()["total"] == 2

    author = bearer(token_for(app, world["author"]))
    assert client.get(f"/api/v1/drafts/{world['draft']}", headers=author).status_code == 200
    with app.app_context():  # the school takes the author off its list
        membership = db.session.scalar(select(Membership).where(Membership.user_id == world["author"]))
        db.session.delete(membership)
        db.session.commit()
    assert client.get(f"/api/v1/drafts/{world['draft']}", headers=author).status_code == 404  # at once
    assert client.patch(f"/api/v1/drafts/{world['draft']}", json={"title": "x"}, headers=author).status_code == 404
    assert client.post("/api/v1/drafts", json={"school_urn": SCHOOL_A}, headers=author).status_code == 403
    assert client.get("/api/v1/drafts", headers=author).get_json()["items"] == []
    assert draft_title(app, world["draft"]) == "Fixed by an admin"


def test_create_update_publish_then_revise_over_the_api(app: Flask, world: dict[str, int]) -> None:
    client, auth = app.test_client(), bearer(token_for(app, world["author"]))
    created = client.post("/api/v1/drafts", json={"school_urn": SCHOOL_A, **COMPLETE}, headers=auth)
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/drafts/{draft['id']}")
    assert draft["school"]["urn"] == SCHOOL_A and draft["fields"]["title"] == COMPLETE["title"]

    sections = dict(samples.BODY, **{"what-we-did": "Parent volunteers led two walking buses from the fell's far end."})
    changed = client.patch(draft["api_url"], headers=auth, json={
        "sections": {k: v for k, v in sections.items() if k != "impact"},
        "impact": [{"measure": "Persistent absence", "before": "24%", "after": "11%", "period": "2022–2024",
                    "pupils": 38}]})
    assert changed.status_code == 200, changed.get_json()
    one_section = client.patch(draft["api_url"], json={"sections": {"impact": sections["impact"]}}, headers=auth)
    assert one_section.status_code == 200
    fetched = client.get(draft["api_url"], headers=auth).get_json()
    assert fetched["fields"]["sections"] == sections  # a PATCH changes only the sections given
    assert fetched["fields"]["title"] == COMPLETE["title"] and fetched["fields"]["impact"][0]["pupils"] == "38"
    assert client.get("/api/v1/drafts", headers=auth).get_json()["items"][0]["id"] == draft["id"]

    published = client.post(f"/api/v1/drafts/{draft['id']}/publish", headers=auth)
    assert published.status_code == 200, published.get_json()
    slug = published.get_json()["slug"]
    assert published.get_json()["status"] == "published" and published.get_json()["revision"] == 1
    found = client.get("/api/v1/search?q=walking buses to get children to school on time").get_json()
    assert found["results"][0]["slug"] == slug  # searchable at once
    assert client.get(f"/api/v1/case-studies/{slug}").get_json()["authors"][0]["name"] == "Ann Author"
    assert client.get(draft["api_url"], headers=auth).status_code == 404  # the draft is spent

    opened = client.post(f"/api/v1/case-studies/{slug}/draft", headers=auth)
    assert opened.status_code == 201 and opened.get_json()["case_study"]["slug"] == slug
    again = client.post(f"/api/v1/case-studies/{slug}/draft", headers=auth)
    assert again.status_code == 200 and again.get_json()["id"] == opened.get_json()["id"]
    revision = opened.get_json()["api_url"]
    revised = client.patch(revision, json={"summary": "Two walking buses, led by parents."}, headers=auth)
    assert revised.status_code == 200
    republished = client.post(f"{revision}/publish", json={"confirm_privacy": False}, headers=auth)
    assert republished.status_code == 200 and republished.get_json()["revision"] == 2
    assert len(client.get(f"/api/v1/case-studies/{slug}/revisions").get_json()["revisions"]) == 2


def test_the_privacy_check_refuses_until_confirmed(app: Flask, world: dict[str, int]) -> None:
    client, auth = app.test_client(), bearer(token_for(app, world["author"]))
    draft = client.post("/api/v1/drafts", headers=auth, json={
        "school_urn": SCHOOL_A, **COMPLETE, "sections": samples.BODY,
        "impact": [{"measure": "Persistent absence", "before": "24%", "after": "11%", "pupils": "4"}]}).get_json()
    publish = f"/api/v1/drafts/{draft['id']}/publish"
    warned = client.post(publish, json={}, headers=auth)
    assert warned.status_code == 422 and warned.get_json()["error"] == "privacy_check"
    assert [w["kind"] for w in warned.get_json()["warnings"]] == ["small-group"]
    assert client.get(draft["api_url"], headers=auth).status_code == 200  # nothing published, the draft kept
    confirmed = client.post(publish, json={"confirm_privacy": True}, headers=auth)
    assert confirmed.status_code == 200
    assert client.get(f"/api/v1/case-studies/{confirmed.get_json()['slug']}").status_code == 200


def test_with_moderation_a_publish_is_sent_for_review(app: Flask) -> None:
    app.config["COMMONS_MODERATION"] = "1"
    client = app.test_client()
    author = bearer(token_for(app, make_user(app, "author@example.org", school=SCHOOL_A)))
    admin = bearer(token_for(app, make_user(app, "admin@example.org", admin=True)))
    draft = client.post("/api/v1/drafts", json={"school_urn": SCHOOL_A, **COMPLETE, "sections": samples.BODY},
                        headers=author).get_json()
    sent = client.post(f"/api/v1/drafts/{draft['id']}/publish", headers=author)
    assert sent.status_code == 202
    assert sent.get_json()["status"] == "submitted" and sent.get_json()["draft"]["submitted"]
    with app.app_context():
        assert db.session.scalar(select(CaseStudy).where(CaseStudy.title == COMPLETE["title"])) is None
    edited = client.patch(draft["api_url"], json={"years": "2024"}, headers=author)
    assert edited.get_json()["submitted"] is False  # a change takes it out of the queue
    assert client.post(f"/api/v1/drafts/{draft['id']}/publish", headers=author).get_json()["draft"]["submitted"]
    approved = client.post(f"/api/v1/drafts/{draft['id']}/publish", headers=admin)
    assert approved.status_code == 200
    assert client.get(f"/api/v1/case-studies/{approved.get_json()['slug']}").status_code == 200


@pytest.mark.parametrize("body, content_type, status, code", [
    ('{"school_urn": 990003, "colour": "blue"}', "application/json", 400, "unknown_field"),
    ('{"school_urn": 990003, "sections": {"epilogue": "x"}}', "application/json", 400, "unknown_field"),
    ('{"school_urn": 990003, "impact": [{"measure": "x", "colour": "y"}]}', "application/json", 400, "unknown_field"),
    ('{"school_urn": 990003, "title": ', "application/json", 400, "malformed_json"),
    ('{"school_urn": 990003, "years": NaN}', "application/json", 400, "malformed_json"),
    ('["school_urn", 990003]', "application/json", 400, "wrong_type"),
    ('{"school_urn": "990003"}', "application/json", 400, "wrong_type"),
    ('{"school_urn": true}', "application/json", 400, "wrong_type"),
    ('{"school_urn": 990003, "topics": "attendance"}', "application/json", 400, "wrong_type"),
    ('{"school_urn": 990003, "impact": [{"measure": 5}]}', "application/json", 400, "wrong_type"),
    ('{"title": "No school"}', "application/json", 422, "invalid"),
    ('{"school_urn": 990003, "topics": ["astrology"]}', "application/json", 422, "invalid"),
    ('{"school_urn": 990003, "evidence_strength": "very strong"}', "application/json", 422, "invalid"),
    ('{"school_urn": 990003, "title": "' + "x" * 301 + '"}', "application/json", 422, "invalid"),
    ("school_urn=990003", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ('{"school_urn": 990003, "title": "' + "x" * 1_100_000 + '"}', "application/json", 413, "too_large"),
])
def test_bad_bodies_are_refused_and_nothing_is_made(app: Flask, world: dict[str, int], body: str, content_type: str,
                                                     status: int, code: str) -> None:
    response = app.test_client().post("/api/v1/drafts", data=body, content_type=content_type,
                                      headers=bearer(token_for(app, world["author"])))
    assert response.status_code == status and response.is_json, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == code
    if code in ("unknown_field", "invalid"):
        assert response.get_json()["errors"]  # field by field
    with app.app_context():
        assert len(db.session.scalars(select(Draft)).all()) == 1


def test_field_errors_name_the_field_and_publishing_problems_come_back_by_field(
    app: Flask, world: dict[str, int]
) -> None:
    client, auth = app.test_client(), bearer(token_for(app, world["author"]))
    typed = client.patch(f"/api/v1/drafts/{world['draft']}", json={"title": 3, "sections": {"context": ["a"]}},
                         headers=auth)
    assert typed.status_code == 400 and set(typed.get_json()["errors"]) == {"title", "sections.context"}
    unknown = client.patch(f"/api/v1/drafts/{world['draft']}", json={"titel": "Typo"}, headers=auth)
    assert unknown.status_code == 400 and unknown.get_json()["errors"] == {"titel": "is not a known field"}
    assert client.patch(f"/api/v1/drafts/{world['draft']}?force=1", json={}, headers=auth).status_code == 400
    assert draft_title(app, world["draft"]) == "Secret draft"
    incomplete = client.post(f"/api/v1/drafts/{world['draft']}/publish", headers=auth)
    assert incomplete.status_code == 422 and incomplete.get_json()["error"] == "cannot_publish"
    assert {"summary", "years"} <= set(incomplete.get_json()["errors"])
    not_a_tick = client.post(f"/api/v1/drafts/{world['draft']}/publish", json={"confirm_privacy": "yes"}, headers=auth)
    assert not_a_tick.status_code == 400
    assert not_a_tick.get_json()["errors"] == {"confirm_privacy": "must be true or false"}
    assert client.post("/api/v1/case-studies/no-such-study/draft", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/drafts/{world['draft']}", headers=auth).is_json  # 405, still JSON


def test_web_forms_still_need_their_csrf_token(app: Flask, world: dict[str, int]) -> None:
    browser = app.test_client()
    sign_in(browser, "author@example.org")
    assert browser.post("/author/drafts", data={"school_urn": SCHOOL_A}).status_code == 400
    saved = browser.post(f"/author/drafts/{world['draft']}", data={"title": "Changed", "action": "save"})
    assert saved.status_code == 400
    assert draft_title(app, world["draft"]) == "Secret draft"
