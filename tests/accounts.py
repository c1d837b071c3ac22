"""Helpers for tests that need accounts: create users with roles, sign in through the real form."""

import functools
import re

from flask import Flask
from flask.testing import FlaskClient

from commons.db import db
from commons.models import Membership, User
from commons.services import accounts

PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    """One real Argon2id hash of PASSWORD for every test user (hashing is slow on purpose)."""
    return accounts.hash_password(PASSWORD)


def make_user(app: Flask, email: str, *, school: int | None = None, status: str = "approved",
              admin: bool = False, name: str = "Test User") -> int:
    with app.app_context():
        user = User(email=accounts.normalise_email(email), name=name, password_hash=_password_hash(), is_admin=admin)
        db.session.add(user)
        db.session.flush()
        if school is not None:
            db.session.add(Membership(user_id=user.id, school_urn=school, status=status, role_at_school="Headteacher"))
        db.session.commit()
        return user.id


def without_csrf(page: str) -> str:
    """A page with its forms' CSRF tokens left out: they carry the second they were made in, so
    two renderings of the same page may differ there and nowhere else."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def csrf_token(client: FlaskClient) -> str:
    page = client.get("/my-school").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def client_for(app: Flask, role: str) -> FlaskClient:
    """A test client signed in as ``{role}@example.org``, or not signed in for "anonymous"."""
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, f"{role}@example.org")
    return client
