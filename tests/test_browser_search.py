"""A teacher asks a question in a real browser, reads the results, opens a case study."""

from typing import Any

import pytest

from tests.browser import LiveServer, serious_accessibility_violations

pytestmark = pytest.mark.browser
QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"


def test_ask_see_results_open_a_case_study_at_the_matching_passage(live_demo: LiveServer, page: Any) -> None:
    page.goto(live_demo.url + "/")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Ask a question in your own words").fill(QUESTION)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=*")
    results = page.locator("li.result")
    assert results.count() == 10
    assert "pupils" in results.first.locator(".context-line").inner_text()
    assert serious_accessibility_violations(page) == []

    first_link = results.first.locator("h3 a")
    title = first_link.inner_text()
    anchor = first_link.get_attribute("href").split("#")[1]
    first_link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    assert page.evaluate("location.hash") == f"#{anchor}"
    target = page.locator(f"#{anchor}")
    assert target.is_visible()
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert serious_accessibility_violations(page) == []
