"""A teacher asks a school about its case study and the head replies: in a real browser, without
JavaScript doing any of the work."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import samples
from tests.accounts import PASSWORD, make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.browser

TEACHER, HEAD = "teacher@asker.example", "head@fellside.example"


@pytest.fixture
def served(app: Flask, runner: Any, tmp_path: Path) -> Iterator[LiveServer]:
    samples.write(tmp_path / "in", "breakfast-club", urn=990003)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    make_user(app, TEACHER, name="Tom Teacher")
    make_user(app, HEAD, school=990003, name="Ann Example")
    with LiveServer(app) as server:
        yield server


def test_a_teacher_asks_and_the_head_replies(served: LiveServer, page: Any) -> None:
    base = served.url
    page.goto(base + "/case-studies/breakfast-club")
    page.get_by_role("link", name="Sign in to ask the school about this case study").click()
    page.get_by_label("Email address").fill(TEACHER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/case-studies/breakfast-club/ask")  # straight back to the question
    question = page.get_by_label("Your question to Fellside Church of England Primary School")
    question.fill("Too short?")
    page.get_by_role("button", name="Send question").click()
    assert "at least 20 characters" in page.locator(".error-summary").inner_text()
    assert question.input_value() == "Too short?"  # nothing typed is lost
    assert serious_accessibility_violations(page) == []
    question.fill("Too short? Who staffed the breakfast club before eight each morning?")
    page.get_by_role("button", name="Send question").click()
    page.wait_for_url("**/questions/asked")
    assert "Your question has gone to Fellside" in page.locator("[role=status]").inner_text()
    assert "Waiting for an answer" in page.locator("article.question").inner_text()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, HEAD)
    page.get_by_role("link", name="Questions (1 open)").click()
    assert "Who staffed the breakfast club" in page.locator("article.question").inner_text()
    assert TEACHER not in page.content()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Your reply").fill("Two teaching assistants on a rota, paid for the extra half hour.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**/questions")
    assert "Your reply has been sent" in page.locator("[role=status]").inner_text()
    assert "No questions yet" not in page.content() and "Nothing waiting" in page.content()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, TEACHER)
    page.goto(base + "/questions/asked")
    answered = page.locator("article.question").inner_text()
    assert "Two teaching assistants on a rota" in answered and "Answered" in answered
    assert HEAD not in page.content()
