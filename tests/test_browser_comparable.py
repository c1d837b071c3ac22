"""A teacher picks their school, asks, moves the context control and reads "Before you adapt this"."""

from typing import Any

import pytest

from tests.browser import LiveServer, serious_accessibility_violations

pytestmark = pytest.mark.browser
QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"


def _results(page: Any) -> tuple[list[str], list[str]]:
    titles = page.locator("li.result h3").all_inner_texts()
    why_lines = page.locator("li.result .why-line").all_inner_texts()
    why = [line.split("Why this school:", 1)[-1].strip() for line in why_lines]
    return titles, why


def test_pick_a_school_move_the_control_and_read_before_you_adapt(live_demo: LiveServer, page: Any) -> None:
    page.goto(live_demo.url + "/search?q=" + QUESTION.replace(" ", "+"))
    page.get_by_role("link", name="Tell us your school").click()
    page.wait_for_url("**/my-school**")

    finder = page.get_by_label("School name, postcode or URN")
    finder.fill("Fellsi")  # the type-ahead suggests as the teacher types
    suggestion = page.locator("#school-suggestions option").first
    suggestion.wait_for(state="attached")
    assert "Fellside Church of England Primary School" in suggestion.get_attribute("value")
    finder.fill("Fellside")
    page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url("**school=Fellside**")
    assert serious_accessibility_violations(page) == []
    page.locator("li", has_text="Fellside Church of England Primary School").get_by_role(
        "button", name="This is my school").click()
    page.wait_for_url("**/search**")
    assert "My school: Fellside" in page.locator(".site-nav").inner_text()
    assert serious_accessibility_violations(page) == []

    default_titles, default_why = _results(page)
    assert page.get_by_label("Somewhat").is_checked()
    assert len(default_why) == len(default_titles) == 10
    assert default_why[0].startswith(("Comparable", "Partly comparable")) and "(yours 38)" in default_why[0]

    page.get_by_label("Not at all").check()  # nothing happens on change (WCAG 3.2.2): the reader updates
    assert "context=0" not in page.url
    page.get_by_role("button", name="Update results").click()
    page.wait_for_url("**context=0*")
    plain_titles, plain_why = _results(page)
    assert plain_titles != default_titles and plain_why != default_why
    page.get_by_label("Strongly").check()
    page.get_by_role("button", name="Update results").click()
    page.wait_for_url("**context=4*")
    _, strong_why = _results(page)
    comparable = lambda lines: sum(line.startswith("Comparable") for line in lines[:5])  # noqa: E731
    assert comparable(strong_why) > comparable(plain_why)
    assert not any(line.startswith("Different kind of school") for line in strong_why[:5])

    page.locator("li.result h3 a", has_text="Early shifts, no bus").click()
    panel = page.locator("section.adapt")
    assert panel.get_by_role("heading", name="Before you adapt this").is_visible()
    differences = panel.locator(".adapt__differences li").all_inner_texts()
    assert any("212 pupils against your 38" in d for d in differences), differences
    assert any("41% of pupils eligible for free school meals against your 18%" in d for d in differences), differences
    assert panel.get_by_role("heading", name="Keep these tight").is_visible()
    assert panel.get_by_role("heading", name="The expertise it depended on").is_visible()
    assert serious_accessibility_violations(page) == []
