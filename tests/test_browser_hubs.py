"""A curator builds a collection from search results, reorders and annotates it, publishes it;
a reader follows it and finds it in the feed: in a real browser."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from commons.db import db
from commons.models import User
from commons.services import collections
from tests.accounts import make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in
from tests.conftest import make_app

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_demo(demo_copy: Path, embedder: object) -> Iterator[LiveServer]:
    app: Flask = make_app(f"sqlite:///{demo_copy / 'commons.db'}", demo_copy, embedder)
    curator = make_user(app, "curator@hub.example", name="Cara Curator")
    make_user(app, "reader@school.example", name="Rita Reader")
    with app.app_context():
        owner = db.session.get(User, curator)
        collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub", owner)
        db.session.commit()
    with LiveServer(app) as server:
        yield server


def test_curate_publish_follow_and_read_the_feed(hub_demo: LiveServer, browser: Any) -> None:
    base = hub_demo.url
    curator = browser.new_context().new_page()
    sign_in(curator, base, "curator@hub.example")
    curator.goto(base + "/hubs/fells-teaching-school-hub")
    curator.get_by_label("New collection title").fill("Attendance in rural primaries")
    curator.get_by_role("button", name="Start a collection").click()
    curator.wait_for_url("**/collections/attendance-in-rural-primaries")

    curator.goto(base + "/search?q=improving+attendance+in+a+rural+primary")
    results = curator.locator("li.result")
    titles = [results.nth(i).locator("h3").inner_text() for i in range(2)]
    for i in range(2):
        curator.locator("li.result").nth(i).get_by_role("button", name="Add to collection").click()
        curator.wait_for_url("**/search?**")
        assert "Added" in curator.locator(".notice--ok").inner_text()
    assert serious_accessibility_violations(curator) == []

    curator.goto(base + "/collections/attendance-in-rural-primaries")
    items = curator.locator("li.collection__item h2")
    assert items.all_inner_texts() == titles
    curator.locator("li.collection__item").nth(1).get_by_role("button", name="Move up").click()
    assert curator.locator("li.collection__item h2").all_inner_texts() == titles[::-1]
    first = curator.locator("li.collection__item").first
    first.get_by_role("textbox").fill("Read this one for how they used the bus timetable.")
    first.get_by_role("button", name="Save note").click()
    curator.get_by_label("Published: anyone can read it").check()
    curator.get_by_role("button", name="Save settings").click()
    assert serious_accessibility_violations(curator) == []

    reader = browser.new_context().new_page()
    sign_in(reader, base, "reader@school.example")
    reader.goto(base + "/collections/attendance-in-rural-primaries")
    assert reader.locator("li.collection__item h2").all_inner_texts() == titles[::-1]
    assert "Read this one for how they used the bus timetable." in reader.locator(".curator-note").first.inner_text()
    reader.get_by_role("button", name="Follow this collection").click()
    reader.wait_for_url("**/collections/attendance-in-rural-primaries")
    reader.goto(base + "/following")
    section = reader.locator("section.following", has_text="Attendance in rural primaries")
    assert titles[0] in section.inner_text()
    feed_url = section.get_by_role("link", name=re.compile("^Feed for a feed reader")).get_attribute("href")
    feed = ET.fromstring(reader.request.get(base + feed_url).body())
    entries = [e.find("{http://www.w3.org/2005/Atom}title").text for e in feed.findall("{http://www.w3.org/2005/Atom}entry")]
    assert set(entries) == set(titles)
    assert serious_accessibility_violations(reader) == []
    curator.context.close()
    reader.context.close()
