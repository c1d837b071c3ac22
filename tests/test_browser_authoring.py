"""A head signs in, writes a draft, previews it, fixes a privacy warning, publishes, finds it by a
question, revises it, reads the diff and withdraws it: in a real browser."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import samples
from tests.accounts import PASSWORD, make_user
from tests.browser import LiveServer, serious_accessibility_violations
from tests.conftest import make_app

pytestmark = pytest.mark.browser


@pytest.fixture
def writable_demo(demo_copy: Path, embedder: object) -> Iterator[LiveServer]:
    app: Flask = make_app(f"sqlite:///{demo_copy / 'commons.db'}", demo_copy, embedder)
    make_user(app, "head@fellside.example", school=990003, name="Ann Example")
    with LiveServer(app) as server:
        yield server


def test_a_head_publishes_revises_and_withdraws(writable_demo: LiveServer, page: Any) -> None:
    base = writable_demo.url
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill("head@fellside.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/author")
    page.get_by_role("button", name="Start writing").click()
    page.wait_for_url("**/author/drafts/*")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Title").fill("Walking buses in a fell village")
    page.get_by_label("Summary").fill("Two parent-led walking buses got children to school on time in winter.")
    page.get_by_label("Years of the work").fill("2023-2024")
    page.get_by_label("Attendance", exact=True).check()
    page.get_by_label("Strength of evidence").select_option("internal data")
    for key, text in samples.BODY.items():
        page.locator(f"#f-section-{key}").fill(text)
    page.locator("#f-section-what-we-did").fill("Parents led **two walking buses** from the far farms.")
    preview = page.locator("#preview-what-we-did strong")
    preview.wait_for()
    assert preview.inner_text() == "two walking buses"  # the live preview renders the Markdown
    page.get_by_label("Row 1: measure").fill("Persistent absence")
    page.get_by_label("Row 1: before").fill("24%")
    page.get_by_label("Row 1: after").fill("11%")
    page.get_by_label("Row 1: period").fill("2022–2024")
    page.get_by_label("Row 1: pupils").fill("4")
    page.get_by_role("button", name="Publish").click()

    warning = page.locator(".privacy-check")
    assert "fewer than 6 pupils" in warning.inner_text()
    assert page.get_by_label("Title").input_value() == "Walking buses in a fell village"  # nothing lost
    page.get_by_label("Row 1: pupils").fill("31")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/case-studies/**published=1")
    assert page.locator("h1").inner_text() == "Walking buses in a fell village"
    assert page.locator("figure.impact svg[role=img]").count() == 1
    assert serious_accessibility_violations(page) == []
    slug_url = page.url.split("?")[0]

    page.goto(base + "/search?q=parents+walking+children+to+school+from+farms")
    assert page.locator("li.result h3").first.inner_text() == "Walking buses in a fell village"

    page.goto(slug_url)
    page.get_by_role("button", name="Edit").click()
    page.wait_for_url("**/author/drafts/*")
    page.locator("#f-section-cost-and-time").fill("Nothing but volunteers' time and four hi-vis vests (£40).")
    page.get_by_role("button", name="Publish this revision").click()
    page.wait_for_url("**/case-studies/**")
    page.get_by_role("link", name="History", exact=True).click()
    page.get_by_role("button", name="Show the changes").click()
    assert "four hi-vis vests" in page.locator("section.diff ins").first.inner_text()
    assert serious_accessibility_violations(page) == []

    page.goto(slug_url)
    page.get_by_role("button", name="Withdraw").click()
    page.get_by_label("Why are you withdrawing it?").fill("The walking buses stopped.")
    page.get_by_role("button", name="Withdraw it").click()
    page.goto(slug_url)
    assert page.locator("h1").inner_text() == "This case study has been withdrawn"
    page.goto(base + "/search?q=parents+walking+children+to+school+from+farms")
    assert "Walking buses in a fell village" not in page.locator("main").inner_text()  # neither an answer nor near
