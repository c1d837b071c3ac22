"""Hardening of the web pages and the API (issue 15): each test is named after the defect it keeps fixed.

28 private pages cached, 18 huge ids, odd digits and deep JSON answered 500.
"""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commons.db import db
from commons.models import User
from commons.services import api_tokens
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
