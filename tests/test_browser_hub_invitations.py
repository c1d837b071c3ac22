"""Inviting someone to a hub and accepting the invitation, in a real browser: keyboard only for the
form, axe clean, and no sideways scrolling on a 320-pixel phone."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import OutboxMessage, User
from commons.services import collections
from tests.accounts import make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_server(app: Flask) -> Iterator[LiveServer]:
    owner = make_user(app, "owner@example.org", name="Olive Owner")
    make_user(app, "teacher@example.org", name="Tess Teacher")
    with app.app_context():
        collections.create_hub(db.session, "Fells Hub", "trust", db.session.get(User, owner))
        db.session.commit()
    with LiveServer(app) as server:
        yield server


def _invitation_path(app: Flask, to: str) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to == to)).one()
    found = re.search(r"/hub-invitations/\S+", body)
    assert found is not None
    return found.group(0)


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", [1280, 320])
def test_invite_by_keyboard_then_accept(app: Flask, hub_server: LiveServer, browser: Any, width: int) -> None:
    base = hub_server.url
    owner = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(owner, base, "owner@example.org")
    owner.goto(base + "/hubs/fells-hub")
    owner.get_by_label("Email address to invite, or of a member").focus()
    owner.keyboard.type("teacher@example.org")
    owner.keyboard.press("Tab")  # to the role, Curator chosen already
    owner.keyboard.press("Tab")
    owner.keyboard.press("Enter")  # Save
    owner.wait_for_url("**/hubs/fells-hub*")
    assert "emailed it an invitation" in owner.locator(".notice--ok").inner_text()
    members = owner.locator("#members-h + ul").inner_text()
    assert "Invited: teacher@example.org, curator" in members and "Tess Teacher" not in members
    assert serious_accessibility_violations(owner) == []
    assert _no_sideways_scroll(owner)

    teacher = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(teacher, base, "teacher@example.org")
    teacher.goto(base + _invitation_path(app, "teacher@example.org"))
    assert teacher.get_by_role("heading", level=1).inner_text() == "Join Fells Hub"
    assert serious_accessibility_violations(teacher) == []
    assert _no_sideways_scroll(teacher)
    teacher.get_by_role("button", name="Accept and join Fells Hub").click()
    teacher.wait_for_url("**/hubs/fells-hub")
    assert "You have joined Fells Hub as a curator" in teacher.locator(".notice--ok").inner_text()
    assert "Tess Teacher, curator" in teacher.locator("#members-h + ul").inner_text()
