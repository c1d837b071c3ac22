""""Ask the author": a reader asks the publishing school, its authors reply or decline; addresses
stay private, only the school's authors and admins see its questions, and asking is rate-limited."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from commons.db import db
from commons.models import AuthorQuestion, CaseStudy, OutboxMessage, User, utcnow
from commons.services import questions
from commons.services.publishing import withdraw
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in
from tests.conftest import make_app

SCHOOL_A, SCHOOL_B, SCHOOL_C = 990003, 990012, 990005  # C has no author on the Commons
ASKER = "rita.reader@asker.example"
AUTHORS = ("head@fellside.example", "deputy@fellside.example")
EMAILS = {
    "reader": ASKER,
    "author": AUTHORS[0],
    "other-author": "head@elsewhere.example",
    "claimant": "claimant@fellside-claim.example",
    "admin": "admin@commons.example",
}
QUESTION = "How did you get the breakfast club staffed before eight each morning?"
REPLY = "Two teaching assistants start at 7.45 on a rota; we pay them for the extra half hour."


@pytest.fixture
def world(app: Flask, runner, tmp_path: Path) -> dict[str, int]:
    """School A (two authors, one pending claimant) has two published case studies and a withdrawn
    one; school C has a published case study and nobody who writes for it."""
    folder = tmp_path / "in"
    samples.write(folder, "a-published", urn=SCHOOL_A)
    samples.write(folder, "a-second", urn=SCHOOL_A, title='"Walking buses in a fell village"')
    samples.write(folder, "a-withdrawn", urn=SCHOOL_A, title='"An old attendance plan"')
    samples.write(folder, "c-unclaimed", urn=SCHOOL_C, title='"Reasoning aloud in maths"')
    assert runner.invoke(args=["import", str(folder)]).exit_code == 0
    users = {
        "reader": make_user(app, ASKER, name="Rita Reader"),
        "author": make_user(app, AUTHORS[0], school=SCHOOL_A, name="Ann Example"),
        "deputy": make_user(app, AUTHORS[1], school=SCHOOL_A, name="Dev Deputy"),
        "claimant": make_user(app, EMAILS["claimant"], school=SCHOOL_A, status="pending", name="Cal Claimant"),
        "other-author": make_user(app, EMAILS["other-author"], school=SCHOOL_B, name="Olu Other"),
        "admin": make_user(app, EMAILS["admin"], admin=True, name="Ada Admin"),
    }
    with app.app_context():
        db.session.get(User, users["reader"]).my_school = {"urn": 990007}  # Copperfield Primary School
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-withdrawn")))
        db.session.commit()
    return users


def as_role(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, EMAILS[role])
    return client


def ask(client: FlaskClient, slug: str = "a-published", body: str = QUESTION):  # type: ignore[no-untyped-def]
    return client.post(f"/case-studies/{slug}/ask", data={"csrf_token": csrf_token(client), "body": body})


def mails(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        found = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(found)


def question_rows(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            select(AuthorQuestion.id, AuthorQuestion.status, AuthorQuestion.reply).order_by(AuthorQuestion.id))]


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_a_teacher_asks_and_the_head_replies_without_either_address_showing(app: Flask, world: dict) -> None:
    reader = as_role(app, "reader")
    page = text(reader.get("/case-studies/a-published"))
    assert "Ask Fellside Church of England Primary School about this" in page and "Send question" in page
    assert "Rita Reader, Copperfield Primary School" in page  # what the school will see
    sent = ask(reader)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/questions/asked")
    mine = text(reader.get("/questions/asked"))
    assert "Your question has gone to Fellside" in mine and "Waiting for an answer" in mine and QUESTION in mine

    to_authors = mails(app)
    assert sorted(m.to for m in to_authors) == sorted(AUTHORS)  # every approved author, not the claimant
    question_id = question_rows(app)[0][0]
    for mail in to_authors:
        assert QUESTION in mail.body and "Rita Reader, Copperfield Primary School" in mail.body
        assert f"/questions/{question_id}" in mail.body and "Breakfast and a phone call" in mail.subject
        assert ASKER not in mail.body + mail.subject and "asker.example" not in mail.body

    head = as_role(app, "author")
    assert "Questions (1 open)" in text(head.get("/author"))
    inbox = text(head.get("/questions"))
    assert QUESTION in inbox and "Rita Reader, Copperfield Primary School" in inbox and "Send reply" in inbox
    link = "/" + to_authors[0].body.split(app.config["COMMONS_PUBLIC_URL"] + "/", 1)[1].split()[0]
    assert QUESTION in text(head.get(link))
    replied = head.post(f"/questions/{question_id}/reply", data={"csrf_token": csrf_token(head), "reply": REPLY})
    assert replied.status_code == 303
    assert "Your reply has been sent" in text(head.get("/questions"))

    to_asker = mails(app)[2:]
    assert [m.to for m in to_asker] == [ASKER]
    assert REPLY in to_asker[0].body and QUESTION in to_asker[0].body and "Ann Example (Headteacher" in to_asker[0].body
    assert "fellside.example" not in to_asker[0].body + to_asker[0].subject
    mine = text(reader.get("/questions/asked"))
    assert REPLY in mine and "Answered" in mine and "Ann Example" in mine

    again = head.post(f"/questions/{question_id}/reply", data={"csrf_token": csrf_token(head), "reply": "And more."})
    assert again.status_code == 409 and "already replied to" in text(again)
    admin = as_role(app, "admin")
    late = admin.post(f"/questions/{question_id}/decline", data={"csrf_token": csrf_token(admin)})
    assert late.status_code == 409 and "already replied to" in text(late)
    assert len(mails(app)) == 3 and question_rows(app)[0][1:] == ("replied", REPLY)  # nothing more sent


@pytest.mark.parametrize("reason", ["", "We are not able to share our rota; it names staff."])
def test_a_declined_question_is_answered_politely(app: Flask, world: dict, reason: str) -> None:
    reader = as_role(app, "reader")
    assert ask(reader).status_code == 303
    question_id = question_rows(app)[0][0]
    head = as_role(app, "author")
    declined = head.post(f"/questions/{question_id}/decline", data={"csrf_token": csrf_token(head), "reason": reason})
    assert declined.status_code == 303
    told = mails(app)[-1]
    assert told.to == ASKER and "not able to answer it" in told.body and "Thank you for your question" in told.body
    assert (reason in told.body) if reason else "They said" not in told.body
    assert "fellside.example" not in told.body
    mine = text(reader.get("/questions/asked"))
    assert "Declined" in mine and "is not able to answer this one" in mine and (not reason or reason in mine)
    assert question_rows(app)[0][1] == "declined"
    inbox = text(head.get("/questions"))
    assert "Nothing waiting: every question has been answered." in inbox and "Declined by Ann Example" in inbox


def test_no_page_or_mail_shows_the_other_sides_address(app: Flask, world: dict) -> None:
    reader, head = as_role(app, "reader"), as_role(app, "author")
    ask(reader)
    ask(reader, "a-second", "Who drove the walking buses in the dark winter mornings?")
    first, second = (row[0] for row in question_rows(app))
    head.post(f"/questions/{first}/reply", data={"csrf_token": csrf_token(head), "reply": REPLY})
    head.post(f"/questions/{second}/decline", data={"csrf_token": csrf_token(head), "reason": "Too busy this term."})
    asker_side = [text(reader.get(path)) for path in
                  ("/case-studies/a-published", "/case-studies/a-second", "/questions/asked", "/author",
                   "/case-studies/a-published/ask")]
    author_pages = ("/questions", f"/questions/{first}", f"/questions/{second}", "/author", "/case-studies/a-published")
    author_side = [text(head.get(path)) for path in author_pages]
    admin_side = [text(as_role(app, "admin").get(path)) for path in ("/questions", f"/questions/{first}")]
    for page in asker_side:
        assert all(address not in page for address in AUTHORS) and "fellside.example" not in page
    for page in author_side + admin_side:
        assert ASKER not in page and "asker.example" not in page
    for mail in mails(app):
        other_side = AUTHORS if mail.to == ASKER else (ASKER,)
        assert all(address not in mail.body + mail.subject for address in other_side), mail.body


ROLES = ["anonymous", "reader", "claimant", "other-author", "author", "admin"]
ACTIONS = ["view", "reply", "decline"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_only_the_schools_authors_and_admins_see_or_answer_its_questions(
        app: Flask, world: dict, role: str, action: str) -> None:
    ask(as_role(app, "reader"))
    question_id = question_rows(app)[0][0]
    before = len(mails(app))
    client = as_role(app, role)
    if action == "view":
        response = client.get(f"/questions/{question_id}")
    else:
        response = client.post(f"/questions/{question_id}/{action}",
                               data={"csrf_token": csrf_token(client), "reply": "Yes.", "reason": "No."})
    allowed = role in ("author", "admin")
    if allowed:
        assert response.status_code in (200, 303), (role, action, response.status_code)
    elif role == "anonymous":
        assert response.status_code == 303 and "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == 404, (role, action, response.status_code)
    if not allowed:  # a refusal changes nothing and sends nothing
        assert question_rows(app)[0][1:] == ("open", "") and len(mails(app)) == before
        if role != "anonymous":
            assert QUESTION not in text(client.get("/questions"))


def test_the_inbox_for_someone_who_writes_for_no_school_and_the_empty_states(app: Flask, world: dict) -> None:
    reader = as_role(app, "reader")
    assert "Questions (" not in text(reader.get("/author")) and ">Questions</a>" not in text(reader.get("/author"))
    assert "You do not write for a school" in text(reader.get("/questions"))
    assert "No questions yet" in text(reader.get("/questions/asked"))
    head = as_role(app, "author")
    assert "No questions yet. When a reader asks" in text(head.get("/questions"))
    assert 'href="/questions">Questions</a>' in text(head.get("/author"))  # in the navigation, no count yet


def test_signed_out_readers_are_asked_to_sign_in_and_unclaimed_schools_say_so(app: Flask, world: dict) -> None:
    anonymous = app.test_client()
    page = text(anonymous.get("/case-studies/a-published"))
    assert "Sign in to ask the school about this case study" in page and 'name="body"' not in page
    assert "/sign-in?next=/case-studies/a-published/ask" in page
    form = {"csrf_token": csrf_token(anonymous), "body": QUESTION}
    refused = anonymous.post("/case-studies/a-published/ask", data=form)
    assert refused.status_code == 303 and "/sign-in" in refused.headers["Location"]

    reader = as_role(app, "reader")
    unclaimed = text(reader.get("/case-studies/c-unclaimed"))
    assert "Nobody from Kestrel Ridge Primary Academy writes on the Commons yet" in unclaimed
    assert 'name="body"' not in unclaimed
    assert "Nobody from Kestrel Ridge" in text(anonymous.get("/case-studies/c-unclaimed"))
    sent = ask(reader, "c-unclaimed")
    assert sent.status_code == 400 and "no one to read a question" in text(sent) and QUESTION in text(sent)

    head = as_role(app, "author")
    own = text(head.get("/case-studies/a-published"))
    assert "arrive in your <a href=\"/questions\">Questions inbox</a>" in own and 'name="body"' not in own
    assert "arrive in your" in text(head.get("/case-studies/a-published/ask"))
    assert ask(head).status_code == 400  # a school does not ask itself
    assert question_rows(app) == [] and mails(app) == []


@pytest.mark.parametrize("body, problem", [
    ("", "Write your question."),
    ("   \n  ", "Write your question."),
    ("  Staffing costs?  ", "Write a little more: at least 20 characters"),
    ("x" * 2001, "Keep it to 2,000 characters (you wrote 2,001)"),
])
def test_bad_questions_are_refused_and_keep_what_was_typed(app: Flask, world: dict, body: str, problem: str) -> None:
    reader = as_role(app, "reader")
    refused = ask(reader, body=body)
    page = text(refused)
    assert refused.status_code == 400 and problem in page and "Your question was not sent" in page
    assert re.search(r'<textarea id="f-body"[^>]*>' + re.escape(body) + "</textarea>", page)
    assert question_rows(app) == [] and mails(app) == []


def test_the_limits_on_length_count_after_trimming(app: Flask, world: dict) -> None:
    assert questions.clean_body("  " + "a" * 20 + "\n") == "a" * 20
    assert questions.clean_body("b" * 2000) == "b" * 2000
    assert questions.clean_body("line one\r\nline two is here") == "line one\nline two is here"


def test_bad_replies_are_refused_and_keep_what_was_typed(app: Flask, world: dict) -> None:
    ask(as_role(app, "reader"))
    question_id = question_rows(app)[0][0]
    head = as_role(app, "author")
    empty = head.post(f"/questions/{question_id}/reply", data={"csrf_token": csrf_token(head), "reply": "  "})
    assert empty.status_code == 400 and "Write your reply." in text(empty)
    long_reason = "r" * 501
    too_long = head.post(f"/questions/{question_id}/decline",
                         data={"csrf_token": csrf_token(head), "reason": long_reason})
    assert too_long.status_code == 400 and "Keep the reason to 500 characters" in text(too_long)
    assert f">{long_reason}</textarea>" in text(too_long)
    assert question_rows(app)[0][1:] == ("open", "") and len(mails(app)) == 2


def test_one_open_question_per_case_study(app: Flask, world: dict) -> None:
    reader = as_role(app, "reader")
    assert ask(reader).status_code == 303
    page = text(reader.get("/case-studies/a-published"))
    assert "have not answered yet" in page and 'name="body"' not in page
    second = ask(reader, body="And what did the breakfast club cost per pupil each term?")
    assert second.status_code == 429 and "You can ask again once they reply or decline" in text(second)
    assert "what did the breakfast club cost per pupil" in text(second)  # kept, to copy
    assert ask(reader, "a-second", "Who drove the walking buses in the dark?").status_code == 303  # another case study
    head = as_role(app, "author")
    head.post(f"/questions/{question_rows(app)[0][0]}/reply", data={"csrf_token": csrf_token(head), "reply": REPLY})
    assert ask(reader, body="And what did the breakfast club cost per pupil each term?").status_code == 303
    assert len(question_rows(app)) == 3


def test_at_most_five_questions_a_day_counted_in_the_database(
        app: Flask, world: dict, database_url: str, tmp_path: Path, embedder: object) -> None:
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-second"))
        for n in range(questions.MAX_PER_WINDOW):  # answered, so only the daily limit applies
            db.session.add(AuthorQuestion(case_study_id=case_study.id, school_urn=SCHOOL_A, sender_id=world["reader"],
                                          body=f"An earlier question, number {n}.", status="replied", reply="Yes."))
        db.session.commit()
    reader = as_role(app, "reader")
    assert "You have asked 5 questions in the last 24 hours" in text(reader.get("/case-studies/a-published"))
    refused = ask(reader)
    assert refused.status_code == 429 and "You can ask again in about 24 hours" in text(refused)
    assert QUESTION in text(refused)
    other_worker = make_app(database_url, tmp_path / "second-worker", embedder)  # another process, same database
    elsewhere = other_worker.test_client()
    sign_in(elsewhere, ASKER)
    assert ask(elsewhere).status_code == 429
    with app.app_context():
        db.session.execute(update(AuthorQuestion).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert ask(reader).status_code == 303  # the window has moved on
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuthorQuestion)) == questions.MAX_PER_WINDOW + 1
    with other_worker.app_context():
        db.engine.dispose()


def test_withdrawn_case_studies_take_no_questions_but_open_ones_can_still_be_answered(app: Flask, world: dict) -> None:
    reader = as_role(app, "reader")
    tombstone = reader.get("/case-studies/a-withdrawn")
    assert tombstone.status_code == 410 and "Send question" not in text(tombstone)
    assert reader.get("/case-studies/a-withdrawn/ask").status_code == 404
    assert ask(reader, "a-withdrawn").status_code == 404
    assert ask(reader, "no-such-case-study").status_code == 404
    assert question_rows(app) == [] and mails(app) == []

    assert ask(reader).status_code == 303
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-published")))
        db.session.commit()
    head = as_role(app, "author")
    question_id = question_rows(app)[0][0]
    assert QUESTION in text(head.get("/questions"))
    replied = head.post(f"/questions/{question_id}/reply", data={"csrf_token": csrf_token(head), "reply": REPLY})
    assert replied.status_code == 303
    assert REPLY in text(reader.get("/questions/asked"))


def test_every_question_form_needs_its_csrf_token(app: Flask, world: dict) -> None:
    reader = as_role(app, "reader")
    assert reader.post("/case-studies/a-published/ask", data={"body": QUESTION}).status_code == 400
    assert question_rows(app) == []
    ask(reader)
    head = as_role(app, "author")
    question_id = question_rows(app)[0][0]
    assert head.post(f"/questions/{question_id}/reply", data={"reply": REPLY}).status_code == 400
    assert question_rows(app)[0][1] == "open"
    for page in (text(reader.get("/case-studies/a-second")), text(head.get("/questions"))):
        for form in re.findall(r"<form method=\"post\".*?</form>", page, flags=re.S):
            assert 'name="csrf_token"' in form
