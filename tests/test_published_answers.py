"""Questions answered in the open (with the asker's consent, anonymous unless they choose), a
school described by hand named sensibly and kept in its form, the asker's context sent with a
question, and "Find leaders" pointing at the real way to ask."""

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.models import AuthorQuestion, OutboxMessage
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in

TEACHER, HEAD, OUTSIDER = "teacher@asker.example", "head@fellside.example", "head@elsewhere.example"
QUESTION = "Who staffed the breakfast club before eight each morning, and how was it paid for?"
REPLY = "Two teaching assistants on a rota, paid for the extra half hour from the pupil premium."


@pytest.fixture
def world(app: Flask, runner: Any, tmp_path: Path) -> dict[str, FlaskClient]:
    samples.write(tmp_path / "in", "breakfast-club", urn=990003, open_to="[visits]")
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    make_user(app, TEACHER, name="Tom Teacher")
    make_user(app, HEAD, school=990003, name="Ann Example")
    make_user(app, OUTSIDER, school=990001, name="Olive Other")
    clients = {}
    for who, email in (("teacher", TEACHER), ("head", HEAD), ("outsider", OUTSIDER)):
        clients[who] = app.test_client()
        sign_in(clients[who], email)
    return clients


def describe(client: FlaskClient) -> None:
    response = client.post("/my-school/describe", data={
        "csrf_token": csrf_token(client), "phase": "primary", "pupils": "180", "fsm_pct": "38", "setting": "rural",
        "region": "North East"})
    assert response.status_code == 303


def ask(client: FlaskClient, **share: str) -> None:
    response = client.post("/case-studies/breakfast-club/ask",
                           data={"csrf_token": csrf_token(client), "body": QUESTION, **share})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def answer(app: Flask, head: FlaskClient) -> int:
    with app.app_context():
        question_id = db.session.scalars(select(AuthorQuestion.id).order_by(AuthorQuestion.id.desc())).first()
    assert question_id is not None
    replied = head.post(f"/questions/{question_id}/reply", data={"csrf_token": csrf_token(head), "reply": REPLY})
    assert replied.status_code == 303
    return question_id


def test_a_described_school_is_named_by_what_was_said_kept_in_the_form_and_sent_with_a_question(
        app: Flask, world: dict[str, FlaskClient]) -> None:
    teacher = world["teacher"]
    describe(teacher)
    page = teacher.get("/my-school").get_data(as_text=True)
    assert "My school: A rural primary school of 180 pupils" in page
    assert "described by hand" not in page and "Your school (" not in page
    assert re.search(r'name="pupils"[^>]*value="180"', page) and re.search(r'name="fsm_pct"[^>]*value="38"', page)
    assert '<option value="primary" selected>' in page and '<option value="rural" selected>' in page
    assert '<option value="North East" selected>' in page

    ask(teacher)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == HEAD)).one()
    assert mail.body.startswith("Tom Teacher, from a rural primary school of 180 pupils asked Fellside")
    assert "Their school: primary · 180 pupils · FSM 38% · rural · North East." in mail.body
    assert "Your school" not in mail.body and "publish the question" not in mail.body  # no consent given
    inbox = world["head"].get("/questions").get_data(as_text=True)
    assert "Their school when they asked: primary · 180 pupils · FSM 38% · rural · North East" in inbox
    assert "Your school" not in inbox


def test_an_answer_is_published_on_the_case_study_only_with_the_askers_consent(
        app: Flask, world: dict[str, FlaskClient]) -> None:
    teacher, head = world["teacher"], world["head"]
    describe(teacher)
    ask(teacher, share="yes")  # consent, but not their name
    shared = answer(app, head)
    page = head.get(f"/questions/{shared}").get_data(as_text=True)
    assert "The asker agreed" in page and "without their name" in page
    assert world["outsider"].post(f"/questions/{shared}/publish",
                                  data={"csrf_token": csrf_token(world["outsider"])}).status_code == 404
    assert teacher.post(f"/questions/{shared}/publish", data={"csrf_token": csrf_token(teacher)}).status_code == 404
    done = head.post(f"/questions/{shared}/publish", data={"csrf_token": csrf_token(head)})
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/case-studies/breakfast-club#questions-answered")

    reader = app.test_client()  # anyone, signed in or not
    case_study = reader.get("/case-studies/breakfast-club").get_data(as_text=True)
    section = case_study[case_study.index('id="questions-answered"'):]
    assert "Questions readers asked" in section and QUESTION in section and REPLY in section
    assert "A reader from a school like this: primary · 180 pupils" in section
    assert "Tom Teacher" not in case_study and TEACHER not in case_study

    def answer_passages() -> list[dict[str, Any]]:  # what search finds of the published answer
        found = reader.get("/api/v1/search", query_string={"q": "teaching assistants rota extra half hour",
                                                           "limit": 10}).get_json()
        return [p for r in found["results"] if r["slug"] == "breakfast-club" for p in r["passages"]
                if p["section"] == "questions"]

    passages = answer_passages()
    assert passages and REPLY in passages[0]["text"] and QUESTION in passages[0]["text"]
    assert passages[0]["url"].endswith(f"/case-studies/breakfast-club#answered-{shared}")

    head.post(f"/questions/{shared}/unpublish", data={"csrf_token": csrf_token(head)})
    assert 'id="questions-answered"' not in reader.get("/case-studies/breakfast-club").get_data(as_text=True)
    assert answer_passages() == []  # out of search too


def test_a_question_asked_privately_stays_private_and_a_named_one_shows_the_name(
        app: Flask, world: dict[str, FlaskClient]) -> None:
    teacher, head = world["teacher"], world["head"]
    ask(teacher)  # no consent
    private = answer(app, head)
    assert "Publish on the case study" not in head.get(f"/questions/{private}").get_data(as_text=True)
    refused = head.post(f"/questions/{private}/publish", data={"csrf_token": csrf_token(head)}, follow_redirects=True)
    assert "did not agree" in refused.get_data(as_text=True)
    assert QUESTION not in app.test_client().get("/case-studies/breakfast-club").get_data(as_text=True)

    ask(teacher, share="yes", share_name="yes")
    named = answer(app, head)
    head.post(f"/questions/{named}/publish", data={"csrf_token": csrf_token(head)})
    shown = app.test_client().get("/case-studies/breakfast-club").get_data(as_text=True)
    assert "Tom Teacher asked" in shown and shown.count(QUESTION) == 1


def test_a_question_not_yet_answered_cannot_be_published(app: Flask, world: dict[str, FlaskClient]) -> None:
    ask(world["teacher"], share="yes")
    with app.app_context():
        question_id = db.session.scalars(select(AuthorQuestion.id)).one()
    head = world["head"]
    refused = head.post(f"/questions/{question_id}/publish", data={"csrf_token": csrf_token(head)},
                        follow_redirects=True)
    assert "Only a question the school has answered" in refused.get_data(as_text=True)


def test_the_ask_form_keeps_the_sharing_choices_when_the_question_is_refused(world: dict[str, FlaskClient]) -> None:
    teacher = world["teacher"]
    page = teacher.post("/case-studies/breakfast-club/ask",
                        data={"csrf_token": csrf_token(teacher), "body": "Too short?", "share": "yes"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="f-share" name="share" value="yes" checked' in text
    assert 'id="f-share-name" name="share_name" value="yes">' in text


@pytest.mark.slow
def test_find_leaders_links_to_asking_the_school_on_the_commons(app: Flask, world: dict[str, FlaskClient]) -> None:
    page = app.test_client().get("/peers?q=breakfast+club+attendance").get_data(as_text=True)
    assert "Messaging through the Commons is coming" not in page
    assert 'href="/case-studies/breakfast-club/ask"' in page and "(you sign in first)" in page
    assert "your email address stays private" in page


def test_a_published_answer_stays_searchable_when_the_case_study_is_revised(
        app: Flask, world: dict[str, FlaskClient], runner: Any, tmp_path: Path) -> None:
    teacher, head = world["teacher"], world["head"]
    ask(teacher, share="yes")
    shared = answer(app, head)
    assert head.post(f"/questions/{shared}/publish", data={"csrf_token": csrf_token(head)}).status_code == 303
    samples.write(tmp_path / "again", "breakfast-club", urn=990003, open_to="[visits]")
    assert runner.invoke(args=["import", "--update", str(tmp_path / "again")]).exit_code == 0
    found = app.test_client().get("/api/v1/search", query_string={
        "q": "teaching assistants rota extra half hour", "limit": 10}).get_json()
    texts = [p["text"] for r in found["results"] if r["slug"] == "breakfast-club" for p in r["passages"]
             if p["section"] == "questions"]
    assert texts and REPLY in texts[0]
