"""A reader asks for an email as soon as their school publishes, gets it in the outbox, and stops it
from the mail's link without signing in: in a real browser, at desktop and phone widths."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import Follow, OutboxMessage
from tests.accounts import make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in
from tests.test_alerts import AUTHOR, DRAFT, READER, SCHOOL, publish_over_api

pytestmark = pytest.mark.browser
WIDTHS = (1280, 320)


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[LiveServer, int]]:
    author = make_user(app, AUTHOR, school=SCHOOL, name="Ann Example")
    make_user(app, READER, name="Rita Reader")
    with LiveServer(app) as server:
        yield server, author


def check_page(page: Any) -> None:
    """Axe-clean and no sideways scrolling, at each width."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_accessibility_violations(page) == [], width
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w)
            .map(e => e.tagName + '.' + e.className + ' ' + (e.id || '')).slice(0, 5)""", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def test_an_alert_arrives_after_a_matching_publish_and_its_link_stops_it(
        app: Flask, served: tuple[LiveServer, int], browser: Any) -> None:
    server, author = served
    base = server.url
    reader = browser.new_context().new_page()
    sign_in(reader, base, READER)
    reader.goto(base + f"/schools/{SCHOOL}")
    reader.get_by_role("button", name="Follow this school").click()
    assert "You are following Fellside" in reader.locator("[role=status]").inner_text()
    reader.get_by_role("link", name="Following", exact=True).click()  # in the signed-in menu
    reader.get_by_text("What is a feed?").click()
    assert "feed reader" in reader.locator("details.help").inner_text()
    choice = reader.get_by_label("Email me about Fellside Church of England Primary School")
    choice.select_option(label="As soon as something is published")
    reader.get_by_role("button", name="Save email choice for Fellside Church of England Primary School").click()
    assert "as soon as something is published will be emailed" in reader.locator("[role=status]").inner_text()
    assert choice.input_value() == "immediate"
    check_page(reader)

    slug = publish_over_api(app, author)

    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == READER)).one()
        assert f"/case-studies/{slug}" in mail.body and mail.headers is not None
        link = mail.headers["List-Unsubscribe"].strip("<>")
    assert DRAFT["title"] in mail.subject

    stranger = browser.new_context().new_page()  # the mail opened anywhere: no session
    stranger.goto(base + urlsplit(link).path)
    assert "Fellside" in stranger.locator("main").inner_text()
    check_page(stranger)
    stranger.get_by_role("button", name="Stop these emails").click()
    assert stranger.get_by_role("heading", name="Emails stopped").is_visible()
    check_page(stranger)
    with app.app_context():
        assert db.session.scalars(select(Follow.alert)).all() == ["off"]
    reader.reload()
    assert reader.get_by_label("Email me about Fellside Church of England Primary School").input_value() == "off"
