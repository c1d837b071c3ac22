"""Hardening of the web pages and the API (issue 15): each test is named after the defect it keeps fixed.

28 private pages cached, 18 huge ids, odd digits and deep JSON answered 500, 5 hub leads deciding
claims already decided, 13 a hub manager making themselves owner and removing the owner; and the
one rate-limiting mechanism, which now limits searches per client too.
"""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commons.db import db
from commons.models import Hub, LoginAttempt, Membership, OutboxMessage, School, User
from commons.services import api_tokens, collections, hub_schools, rate_limits
from tests.accounts import csrf_token, make_user, sign_in

SCHOOL = 990003
HUGE = "9" * 25


def _signed_in(app: Flask, email: str = "admin@example.org", *, admin: bool = True) -> tuple[FlaskClient, int]:
    user_id = make_user(app, email, school=SCHOOL, admin=admin)
    client = app.test_client()
    sign_in(client, email)
    return client, user_id


def _bearer(app: Flask, user_id: int) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        secret = api_tokens.create(db.session, user, "Probe", ["read", "write", "publish"]).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


PRIVATE_PAGES = ["/author", "/questions", "/admin", "/account/tokens", "/following", "/my-school"]


def test_defect_28_private_pages_are_not_cached(app: Flask) -> None:
    client, _ = _signed_in(app)
    for path in PRIVATE_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    posted = client.post("/my-school/forget", data={"csrf_token": csrf_token(client)})
    assert "no-store" in posted.headers.get("Cache-Control", "")
    anonymous = app.test_client()
    for path in ["/", "/search?q=attendance", f"/schools/{SCHOOL}"]:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
    refused = anonymous.post("/sign-in", data={"csrf_token": csrf_token(anonymous), "email": "x@example.org",
                                               "password": "wrong password"})
    assert "no-store" in refused.headers.get("Cache-Control", "")


# (method, path) that take an id in the URL: a 25-digit id is "not found", never a crash
HUGE_IDS = [
    ("GET", f"/schools/{HUGE}"),
    ("GET", f"/author/drafts/{HUGE}"),
    ("POST", f"/author/drafts/{HUGE}"),
    ("GET", f"/admin/drafts/{HUGE}/review"),
    ("POST", f"/admin/drafts/{HUGE}/publish"),
    ("POST", f"/admin/drafts/{HUGE}/return"),
    ("GET", f"/questions/{HUGE}"),
    ("POST", f"/questions/{HUGE}/reply"),
    ("GET", f"/feeds/school/{HUGE}.atom"),
    ("GET", "/feeds/school/²³.atom"),
    ("POST", f"/account/tokens/{HUGE}/revoke"),
    ("POST", f"/unfollow/{HUGE}"),
    ("POST", f"/admin/claims/{HUGE}"),
    ("POST", f"/hub-schools/{HUGE}"),
    ("GET", f"/api/v1/schools/{HUGE}"),
    ("GET", f"/api/v1/drafts/{HUGE}"),
    ("PATCH", f"/api/v1/drafts/{HUGE}"),
    ("POST", f"/api/v1/drafts/{HUGE}/publish"),
]
# (path, form) where a field holds a number
ODD_FIELDS = [
    ("/my-school", {"urn": HUGE}),
    ("/my-school", {"urn": "²"}),
    ("/my-school/describe", {"phase": "Primary", "pupils": "inf"}),
    ("/my-school/describe", {"phase": "Primary", "pupils": "nan"}),
    ("/my-school/describe", {"phase": "Primary", "pupils": "1e400"}),
    ("/my-school/describe", {"phase": "Primary", "fsm_pct": "nan"}),
    ("/account/schools", {"urn": HUGE, "role": "Head"}),
    ("/account/schools", {"urn": "²"}),
    ("/author/drafts", {"school_urn": HUGE}),
    ("/follow", {"kind": "school", "target": HUGE}),
    ("/follow", {"kind": "school", "target": "²"}),
]


PROBES = ([(method, path, None) for method, path in HUGE_IDS] + [("POST", path, form) for path, form in ODD_FIELDS]
          + [("POST", "/api/v1/drafts", "deep")])


@pytest.mark.parametrize(("method", "path", "form"), PROBES)
def test_defect_18_huge_ids_odd_digits_and_deep_json_are_400_or_404(
        app: Flask, method: str, path: str, form: dict[str, str] | str | None) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client, user_id = _signed_in(app)
    headers = _bearer(app, user_id) if path.startswith("/api/") else {}
    if form == "deep":
        deep = "[" * 100_000 + "]" * 100_000
        response = client.post(path, data=deep, content_type="application/json", headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"] == "malformed_json"
        return
    if isinstance(form, dict):
        response = client.post(path, data=form)
        if "pupils" in form or "fsm_pct" in form:
            assert response.status_code == 400, response.status_code
            assert "must be a number" in response.get_data(as_text=True)
        else:  # refused, "no such school" shown, or a redirect with a message: never a crash
            assert response.status_code in (303, 400, 403, 404), response.status_code
        return
    body = {"json": {"title": "x"}} if method == "PATCH" else {}
    response = client.open(path, method=method, headers=headers, **body)  # type: ignore[arg-type]
    assert response.status_code in (400, 404), response.status_code


def _claim_status(app: Flask, claim_id: int) -> str:
    with app.app_context():
        claim = db.session.get(Membership, claim_id)
        assert claim is not None
        return claim.status


def test_defect_05_hub_leads_decide_only_pending_claims(app: Flask) -> None:
    admin_id = make_user(app, "admin@example.org", admin=True)
    owner_id = make_user(app, "owner@example.org")
    manager_id = make_user(app, "manager@example.org")
    approved_user = make_user(app, "approved@example.org", school=SCHOOL, status="pending")
    rejected_user = make_user(app, "rejected@example.org", school=SCHOOL, status="pending")
    waiting_user = make_user(app, "waiting@example.org", school=SCHOOL, status="pending")
    with app.app_context():
        owner, admin = db.session.get(User, owner_id), db.session.get(User, admin_id)
        assert owner is not None and admin is not None
        hub = collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub", owner)
        collections.set_member(db.session, hub, db.session.get(User, manager_id), "manager")
        link = hub_schools.request_link(db.session, hub, db.session.get(School, SCHOOL), owner)
        hub_schools.decide_link(link, admin, "approved")
        db.session.commit()
        claim_of = {uid: db.session.get(User, uid).memberships[0].id  # type: ignore[union-attr]
                    for uid in (approved_user, rejected_user, waiting_user)}
    admin_client = app.test_client()
    sign_in(admin_client, "admin@example.org")
    for uid, decision in ((approved_user, "approved"), (rejected_user, "rejected")):
        response = admin_client.post(f"/admin/claims/{claim_of[uid]}",
                                     data={"csrf_token": csrf_token(admin_client), "decision": decision})
        assert response.status_code == 303
    for email in ("manager@example.org", "owner@example.org"):
        lead = app.test_client()
        sign_in(lead, email)
        token = csrf_token(lead)
        rejecting = lead.post(f"/admin/claims/{claim_of[approved_user]}", data={"csrf_token": token,
                                                                                "decision": "rejected"})
        assert rejecting.status_code == 409 and "already approved" in rejecting.get_data(as_text=True)
        assert _claim_status(app, claim_of[approved_user]) == "approved"
        approving = lead.post(f"/admin/claims/{claim_of[rejected_user]}", data={"csrf_token": token,
                                                                                "decision": "approved"})
        assert approving.status_code == 409 and "already rejected" in approving.get_data(as_text=True)
        assert _claim_status(app, claim_of[rejected_user]) == "rejected"
    manager = app.test_client()
    sign_in(manager, "manager@example.org")
    pending = manager.post(f"/admin/claims/{claim_of[waiting_user]}", data={"csrf_token": csrf_token(manager),
                                                                           "decision": "approved"})
    assert pending.status_code == 303 and _claim_status(app, claim_of[waiting_user]) == "approved"
    # stopping an approved author is an admin's separate act, offered on the admin page
    assert manager.post(f"/admin/authors/{claim_of[approved_user]}/revoke",
                        data={"csrf_token": csrf_token(manager)}).status_code == 403
    assert f"/admin/authors/{claim_of[approved_user]}/revoke" in admin_client.get("/admin").get_data(as_text=True)
    revoked = admin_client.post(f"/admin/authors/{claim_of[approved_user]}/revoke",
                                data={"csrf_token": csrf_token(admin_client)})
    assert revoked.status_code == 303 and _claim_status(app, claim_of[approved_user]) == "rejected"
    again = admin_client.post(f"/admin/authors/{claim_of[approved_user]}/revoke",
                              data={"csrf_token": csrf_token(admin_client)})
    assert again.status_code == 409


def _roles(app: Flask, slug: str) -> dict[str, str]:
    with app.app_context():
        hub = db.session.scalar(select(Hub).where(Hub.slug == slug))
        assert hub is not None
        return {m.user.email: m.role for m in hub.members}


def test_defect_13_only_owners_grant_lead_roles_and_nobody_changes_their_own(app: Flask) -> None:
    owner_id = make_user(app, "owner@example.org")
    manager_id = make_user(app, "manager@example.org")
    for email in ("other@example.org", "curator@example.org", "second@example.org"):
        make_user(app, email)
    with app.app_context():
        owner = db.session.get(User, owner_id)
        assert owner is not None
        hub = collections.create_hub(db.session, "Coast Trust", "trust", owner)
        collections.set_member(db.session, hub, db.session.get(User, manager_id), "manager")  # type: ignore[arg-type]
        db.session.commit()
        slug = hub.slug
    before = _roles(app, slug)
    manager = app.test_client()
    sign_in(manager, "manager@example.org")

    def as_manager(email: str, role: str) -> str:
        response = manager.post(f"/hubs/{slug}/members", data={"csrf_token": csrf_token(manager), "email": email,
                                                               "role": role}, follow_redirects=True)
        assert response.status_code in (200, 400)  # a refusal shows the form again, as typed
        return response.get_data(as_text=True)

    assert "cannot change your own role" in as_manager("manager@example.org", "owner")
    assert "Only the hub&#39;s owners" in as_manager("owner@example.org", "remove")
    assert "Only the hub&#39;s owners" in as_manager("owner@example.org", "curator")
    assert "Only the hub&#39;s owners" in as_manager("other@example.org", "manager")
    assert "Only the hub&#39;s owners" in as_manager("nobody@example.org", "owner")  # the same, account or not
    assert _roles(app, slug) == before
    as_manager("curator@example.org", "curator")  # managers still invite, and remove, curators
    curator = app.test_client()
    sign_in(curator, "curator@example.org")
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == "curator@example.org")).one()
    link = re.search(r"/hub-invitations/\S+", mail.body)
    assert link is not None
    assert curator.post(link.group(0), data={"csrf_token": csrf_token(curator)}).status_code == 303
    assert _roles(app, slug)["curator@example.org"] == "curator"
    as_manager("curator@example.org", "remove")
    assert "curator@example.org" not in _roles(app, slug)
    assert 'value="owner"' not in manager.get(f"/hubs/{slug}").get_data(as_text=True)

    owner_client = app.test_client()
    sign_in(owner_client, "owner@example.org")

    def as_owner(email: str, role: str) -> str:
        response = owner_client.post(f"/hubs/{slug}/members", data={
            "csrf_token": csrf_token(owner_client), "email": email, "role": role}, follow_redirects=True)
        return response.get_data(as_text=True)

    as_owner("second@example.org", "owner")
    assert "cannot change your own role" in as_owner("owner@example.org", "manager")
    assert _roles(app, slug)["owner@example.org"] == "owner"
    as_owner("manager@example.org", "curator")  # an owner changes and removes managers
    assert _roles(app, slug)["manager@example.org"] == "curator"


def test_searches_are_rate_limited_per_client_through_the_one_mechanism(app: Flask) -> None:
    app.config["COMMONS_SEARCHES_PER_MINUTE"] = rate_limits.SEARCH.most  # the default (tests turn it off)
    client = app.test_client()
    question = "boys reading for pleasure <in> a small rural primary"
    for _ in range(rate_limits.SEARCH.most):
        assert client.get("/search", query_string={"q": question, "phase": "primary"}).status_code == 200
    refused = client.get("/search", query_string={"q": question, "phase": "primary"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    page = refused.get_data(as_text=True)
    assert "Too many searches from here in the last minute" in page
    assert 'value="boys reading for pleasure &lt;in&gt; a small rural primary"' in page  # kept in the box
    assert 'value="primary" selected' in page  # and the filters
    assert client.get("/api/v1/search", query_string={"q": question}).status_code == 429  # one budget
    assert client.get("/search").status_code == 200  # the page without a question is not counted

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.get("/search", query_string={"q": question}).status_code == 200  # per client
    assert elsewhere.get("/api/v1/search", query_string={"q": question}).status_code == 200

    with app.app_context():  # counted as rows of the one counter table, pruned to the window
        rows = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                                 .where(LoginAttempt.key == rate_limits.key(rate_limits.SEARCH, "127.0.0.1")))
    assert rows == rate_limits.SEARCH.most
    app.config["COMMONS_SEARCHES_PER_MINUTE"] = 0
    assert client.get("/search", query_string={"q": question}).status_code == 200  # 0 turns it off
