"""A teacher asks, agreeing that the answer may be shared; the head replies and publishes it; the
next reader finds the question and answer on the case study, and by searching: in a real browser, at desktop and
phone widths."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import samples
from tests.accounts import make_user
from tests.browser import LiveServer, sign_in
from tests.test_browser_alerts import check_page

pytestmark = pytest.mark.browser

TEACHER, HEAD = "teacher@asker.example", "head@fellside.example"
QUESTION = "Who staffed the breakfast club before eight each morning, and how was it paid for?"
REPLY = "Two teaching assistants on a rota, paid for the extra half hour from the pupil premium."


@pytest.fixture
def served(app: Flask, runner: Any, tmp_path: Path) -> Iterator[LiveServer]:
    samples.write(tmp_path / "in", "breakfast-club", urn=990003)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    make_user(app, TEACHER, name="Tom Teacher")
    make_user(app, HEAD, school=990003, name="Ann Example")
    with LiveServer(app) as server:
        yield server


def test_a_published_answer_is_found_on_the_case_study(served: LiveServer, browser: Any) -> None:
    base = served.url
    teacher = browser.new_context().new_page()
    sign_in(teacher, base, TEACHER)
    teacher.goto(base + "/case-studies/breakfast-club/ask")
    teacher.get_by_label("Your question to Fellside Church of England Primary School").fill(QUESTION)
    teacher.get_by_label("The school may publish my question and its answer on this case study").check()
    check_page(teacher)
    teacher.get_by_role("button", name="Send question").click()
    teacher.wait_for_url("**/questions/asked")

    head = browser.new_context().new_page()
    sign_in(head, base, HEAD)
    head.get_by_role("link", name="Questions (1 open)").click()
    head.get_by_label("Your reply").fill(REPLY)
    head.get_by_role("button", name="Send reply").click()
    head.wait_for_url("**/questions")
    card = head.locator("article.question")
    assert "without their name" in card.inner_text()
    check_page(head)
    card.get_by_role("button", name="Publish on the case study").click()
    head.wait_for_url("**/case-studies/breakfast-club#questions-answered")
    assert "now on the case study" in head.locator("[role=status]").inner_text()

    reader = browser.new_context().new_page()  # the next teacher, not signed in
    reader.goto(base + "/case-studies/breakfast-club")
    answered = reader.get_by_role("region", name="Questions readers asked, and Fellside Church of England "
                                                "Primary School's answers")
    assert QUESTION in answered.inner_text() and REPLY in answered.inner_text()
    assert "A reader asked" in answered.inner_text() and "Tom Teacher" not in reader.content()
    check_page(reader)

    reader.goto(base + "/")  # and by searching for what the answer says
    reader.get_by_role("searchbox").first.fill("teaching assistants on a rota for the extra half hour")
    reader.keyboard.press("Enter")
    reader.wait_for_url("**/search?**")
    result = reader.locator("li.result").filter(has_text="Two teaching assistants on a rota")
    assert result.count() == 1
    check_page(reader)
