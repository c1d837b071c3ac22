"""In a real browser: a question nothing answers, and undoing how a question was read, by keyboard alone."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import LiveServer

pytestmark = pytest.mark.browser
QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"
REMOVE_RURAL = "Remove ‘rural’ from how we read your question"


def accessibility_violations(page: Any) -> list[str]:
    """Every axe-core violation on the current page, whatever its impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


def test_a_question_nothing_answers_says_so_and_shows_the_nearest_apart(live_demo: LiveServer, page: Any) -> None:
    page.goto(live_demo.url + "/search")
    page.get_by_label("Ask a question in your own words").fill("asdfghjkl qwerty")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=*")

    assert page.get_by_role("heading", name="Nothing in the Commons answers this closely yet").is_visible()
    assert page.locator("li.result:not(.result--nearest)").count() == 0
    assert page.locator(".results-heading").count() == 0
    nearest = page.locator("section.nearest")
    assert nearest.get_by_role("heading", name="Nearest we have").is_visible()
    items = nearest.locator("li.result--nearest")
    assert 1 <= items.count() <= 3
    for i in range(items.count()):
        assert items.nth(i).get_by_text("Not a close match").is_visible()
    invite = page.locator("section.invite")
    assert invite.get_by_role("link", name="Ask your network").get_attribute("href") == "/hubs"
    assert invite.get_by_role("link", name="Write it up for the Commons").is_visible()
    assert accessibility_violations(page) == []


def test_reading_this_as_can_be_undone_by_keyboard_alone(live_demo: LiveServer, page: Any) -> None:
    page.goto(live_demo.url + "/search?" + f"q={QUESTION.replace(' ', '+').replace('?', '%3F')}")
    reading = page.locator("section.reading")
    assert "Reading this as:" in reading.inner_text()
    assert reading.get_by_role("link", name=REMOVE_RURAL).is_visible()
    assert accessibility_violations(page) == []

    for _ in range(60):  # Tab from the top of the page to the link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == REMOVE_RURAL:
            break
    else:
        pytest.fail("the remove link for ‘rural’ was never reached with Tab")
    focus_style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_style == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    query = parse_qs(urlsplit(page.url).query)
    assert query["ignore"] == ["setting"] and query["q"] == [QUESTION]
    reading = page.locator("section.reading")
    assert reading.get_by_role("link", name=REMOVE_RURAL).count() == 0
    assert reading.get_by_role("link", name="Remove ‘small’ from how we read your question").is_visible()
    assert reading.get_by_role("link", name="Put back ‘rural’ as your school’s setting").is_visible()
    assert "a small primary" in reading.inner_text()
    assert page.locator(".results-heading").is_visible()  # the search ran again
    # the keyboard goes on from where it was, not from the top of the page
    assert urlsplit(page.url).fragment == "reading"
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('section.reading')"):
            break
    else:
        pytest.fail("after removing a part, Tab did not go on inside “Reading this as”")
    assert accessibility_violations(page) == []

    # a new question is read afresh: what was undone for the old one is not carried over
    box = page.get_by_label("Ask a question in your own words")
    box.fill("how do rural schools improve reading?")
    with page.expect_navigation():
        box.press("Enter")
    assert "ignore" not in parse_qs(urlsplit(page.url).query)


@pytest.mark.parametrize("path", ["/", "/search?q=" + QUESTION, "/search?q=asdfghjkl+qwerty",
                                  "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E+PP+" + "unbrokenword" * 12])
def test_no_search_page_scrolls_sideways_on_a_320_pixel_phone(live_demo: LiveServer, page: Any, path: str) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_demo.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.locator("script", has_text="alert").count() == 0  # the question is shown as text, never as markup


def test_no_demo_case_study_scrolls_sideways_on_a_320_pixel_phone(live_demo: LiveServer, page: Any) -> None:
    """Tables in a section scroll inside their own box; long words and context values wrap."""
    from pathlib import Path

    import commons

    slugs = sorted(p.stem for p in (Path(commons.__file__).parent / "demo" / "case_studies").glob("*.md"))
    assert len(slugs) >= 90
    page.set_viewport_size({"width": 320, "height": 800})
    wide = []
    for slug in slugs:
        page.goto(f"{live_demo.url}/case-studies/{slug}")
        if page.evaluate("document.documentElement.scrollWidth") > 320:
            wide.append(slug)
    assert wide == []


def test_a_rules_question_points_to_guidance_and_a_way_back_by_keyboard_axe_clean_at_both_widths(
        live_demo: LiveServer, page: Any) -> None:
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_demo.url + "/search?q=Can+teachers+be+required+to+do+lunchtime+duty%3F")
        notice = page.locator(".notice--rules")
        assert "(“Can teachers be required”)" in notice.inner_text()
        assert notice.get_by_role("link", name="https://www.gov.uk/browse/education").is_visible()
        assert page.get_by_role("heading", name="Nothing in the Commons answers this closely yet").is_visible()
        assert accessibility_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    for _ in range(40):  # the way back, reached with Tab
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "search your words exactly as typed":
            break
    else:
        pytest.fail("“search your words exactly as typed” was never reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlsplit(page.url).query)["read"] == ["0"]
    assert page.locator(".notice--rules").count() == 0


def test_a_search_page_with_impact_table_snippets_is_axe_clean_on_a_phone(live_demo: LiveServer, page: Any) -> None:
    """A snippet table scrolls sideways at 320 px, so it takes the keyboard focus (axe: scrollable-region-focusable)."""
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_demo.url + "/search?q=impact on attendance")  # the answers' impact tables hold the figures
    assert page.locator("table.snippet-table").count() >= 1
    assert accessibility_violations(page) == []
