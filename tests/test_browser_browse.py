"""A new teacher browses without a question, in a real browser: topics, a topic's pages, filters, hubs."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from commons.db import db
from commons.services.browsing import PER_PAGE
from commons.services.demo import load_demo, load_demo_hubs
from indexer import Embedder
from tests.browser import LiveServer, serious_accessibility_violations

pytestmark = pytest.mark.browser
WIDTHS = (1280, 320)


@pytest.fixture
def live(app: Flask, app_embedder: Embedder) -> Iterator[LiveServer]:
    """The demo commons (the fast stand-in for the model: browsing needs no ranking) with its demo hubs."""
    with app.app_context():
        load_demo(db.session, app_embedder)
        load_demo_hubs(db.session)
    with LiveServer(app) as server:
        yield server


def _check(page: Any, width: int) -> None:
    """Axe finds nothing serious, and the page does not scroll sideways."""
    assert serious_accessibility_violations(page) == [], (width, page.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, page.url)


def test_browse_a_topic_page_by_page_from_the_menu(live: LiveServer, page: Any) -> None:
    page.goto(live.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topics").click()
    page.wait_for_url("**/topics")
    assert page.locator("h1").inner_text() == "Topics"
    page.get_by_role("link", name="SEND and inclusion").click()
    page.wait_for_url("**/topics/send")
    results = page.locator("li.result--listed")
    assert results.count() == PER_PAGE
    first_page = results.locator("h3").all_inner_texts()
    total = int(page.locator(".pager__count").inner_text().split(" of ")[1])
    assert total > PER_PAGE

    page.get_by_role("link", name="More results").click()
    page.wait_for_url("**/topics/send?page=2")
    second_page = page.locator("li.result--listed h3").all_inner_texts()
    assert len(second_page) == min(PER_PAGE, total - PER_PAGE)
    assert not set(first_page) & set(second_page)
    shown = f"Showing {PER_PAGE + 1} to {PER_PAGE + len(second_page)} of {total}"
    assert page.locator(".pager__count").inner_text() == shown
    page.get_by_role("link", name="Previous results").click()
    page.wait_for_url("**/topics/send")
    assert page.locator("li.result--listed h3").all_inner_texts() == first_page

    # A topic tag on a result is a link to its topic.
    tag = page.locator("li.result--listed .tag--link a").filter(has_text="Transition").first
    tag.click()
    page.wait_for_url("**/topics/transition")
    assert page.locator("h1").inner_text() == "Transition"


def test_filters_work_without_a_question_and_only_update_when_asked(live: LiveServer, page: Any) -> None:
    page.goto(live.url + "/case-studies")
    everything = int(page.locator(".pager__count").inner_text().split(" of ")[1])
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Phase").select_option("primary")
    assert page.url.endswith("/case-studies")  # choosing does not submit (WCAG 3.2.2)
    page.get_by_label("Region").select_option("Yorkshire and the Humber")
    page.get_by_role("button", name="Update results").click()
    page.wait_for_url("**/case-studies?*phase=primary*")
    count = page.locator(".results-heading").inner_text()
    shown = page.locator("li.result--listed")
    assert 0 < shown.count() < everything and "with your filters" in count
    lines = shown.locator(".context-line").all_inner_texts()
    assert all("primary" in line and "Yorkshire and the Humber" in line for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_new_page_is_accessible_and_fits_the_screen(live: LiveServer, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("/topics", "/topics/send", "/topics/send?page=2", "/case-studies", "/case-studies?phase=primary",
                 "/case-studies?phase=special&region=London&topic=maths", "/hubs",
                 "/hubs/north-moors-teaching-school-hub", "/collections/attendance-in-rural-and-coastal-schools",
                 "/search?q=", "/search?q=reading&page=2"):
        page.goto(live.url + path)
        _check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_skip_link_comes_first_on_the_home_page(live: LiveServer, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    _check(page, width)


def test_ten_search_results_read_at_a_glance(live: LiveServer, page: Any) -> None:
    """Title, school, summary and one or two passages: ten results (answers, then the nearest) in
    well under the 6,450 px they took, under 480 px a result."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live.url + "/search?q=how+did+a+small+rural+primary+improve+attendance+of+disadvantaged+pupils%3F")
    results = page.locator("ol.results > li")
    shown = results.count()
    assert shown >= 3
    height = sum(lists.evaluate("el => el.getBoundingClientRect().height")
                 for lists in page.locator("ol.results").all())
    assert height < 480 * shown
    for n in range(shown):
        assert results.nth(n).locator("a[href^='/case-studies/']").count() == 1
        assert results.nth(n).locator(".passage-hit").count() <= 2
    _check(page, 1280)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_without_an_account_reports_a_problem_from_a_case_study(
        live: LiveServer, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live.url + "/case-studies")
    page.locator("li.result--listed a[href^='/case-studies/']").first.click()
    case_study = page.url
    _check(page, width)
    page.get_by_role("link", name="Report a problem with this case study").click()
    assert page.url == case_study + "/report"
    _check(page, width)
    page.get_by_role("button", name="Send to an administrator").click()  # nothing written yet
    assert "Say what the problem is" in page.locator(".error-summary").inner_text()
    _check(page, width)
    page.get_by_label("What is wrong?").fill("The second paragraph names a pupil.")
    page.get_by_role("button", name="Send to an administrator").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    page.get_by_role("link", name="Back to the case study").click()
    assert page.url == case_study
