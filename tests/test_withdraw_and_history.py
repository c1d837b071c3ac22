"""Withdrawing with a confirmation and a reason, publishing again, and a history that shows every
field a revision changed, with its note, author and date."""

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy, Revision
from commons.search.engine import search
from commons.search.extension import search_index
from commons.services.demo import load_demo
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in

SCHOOL_A, SCHOOL_B = 990003, 990012
QUESTION = "same-day phone call and breakfast club for attendance"


@pytest.fixture
def published(app: Flask, runner, tmp_path: Path) -> str:
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL_A)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    make_user(app, "author@example.org", school=SCHOOL_A, name="Ann Author")
    make_user(app, "other@example.org", school=SCHOOL_B)
    make_user(app, "admin@example.org", admin=True, name="Ada Admin")
    return "a-published"


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, email)
    return client, csrf_token(client)


def found(app: Flask, slug: str) -> bool:
    with app.app_context():
        return any(r.case_study.slug == slug for r in search(db.session, search_index.state, QUESTION).results)


def status(app: Flask, slug: str) -> CaseStudy:
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        assert case_study is not None
        db.session.expunge(case_study)
        return case_study


def test_withdraw_asks_first_needs_a_reason_and_keeps_what_was_typed(app: Flask, published: str) -> None:
    client, token = signed_in(app, "author@example.org")
    asked = client.get(f"/case-studies/{published}/withdraw")
    assert asked.status_code == 200 and "Why are you withdrawing it?" in asked.get_data(as_text=True)
    button = client.post(f"/case-studies/{published}/withdraw", data={"csrf_token": token})  # the page's button
    assert button.status_code == 200 and status(app, published).status == "published"

    no_reason = client.post(f"/case-studies/{published}/withdraw", data={"csrf_token": token, "confirm": "yes",
                                                                         "reason": "   "})
    assert no_reason.status_code == 400 and "Say why you are withdrawing it" in no_reason.get_data(as_text=True)
    assert status(app, published).status == "published" and found(app, published)

    done = client.post(f"/case-studies/{published}/withdraw",
                       data={"csrf_token": token, "confirm": "yes", "reason": "The approach   changed."})
    assert done.status_code == 303 and done.headers["Location"].endswith("/author#published-h")
    withdrawn = status(app, published)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_reason == "The approach changed."
    assert not withdrawn.withdrawn_by_admin and not found(app, published)
    dashboard = client.get("/author").get_data(as_text=True)
    assert "The approach changed." in dashboard and f"/case-studies/{published}/republish" in dashboard


def test_another_schools_author_cannot_withdraw_or_republish(app: Flask, published: str) -> None:
    client, token = signed_in(app, "other@example.org")
    assert client.get(f"/case-studies/{published}/withdraw").status_code == 403
    assert client.post(f"/case-studies/{published}/withdraw",
                       data={"csrf_token": token, "confirm": "yes", "reason": "x"}).status_code == 403
    assert status(app, published).status == "published"
    author, author_token = signed_in(app, "author@example.org")
    author.post(f"/case-studies/{published}/withdraw", data={"csrf_token": author_token, "confirm": "yes",
                                                             "reason": "Out of date."})
    assert client.post(f"/case-studies/{published}/republish",
                       data={"csrf_token": token, "confirm": "yes"}).status_code == 403
    assert app.test_client().get(f"/case-studies/{published}/republish").status_code == 303  # sign in first
    assert status(app, published).status == "withdrawn"


def test_its_authors_publish_it_again_as_a_new_revision(app: Flask, published: str) -> None:
    client, token = signed_in(app, "author@example.org")
    client.post(f"/case-studies/{published}/withdraw", data={"csrf_token": token, "confirm": "yes",
                                                             "reason": "Checking the figures."})
    page = client.get(f"/case-studies/{published}/republish").get_data(as_text=True)
    assert "Checking the figures." in page and "Publish it again" in page
    again = client.post(f"/case-studies/{published}/republish",
                        data={"csrf_token": token, "confirm": "yes", "change_note": "Figures checked."})
    assert again.status_code == 303
    back = status(app, published)
    assert back.status == "published" and back.withdrawn_reason == "" and found(app, published)
    history = client.get(f"/case-studies/{published}/history").get_data(as_text=True)
    assert "Revision 2" in history and "Figures checked." in history and "By Ann Author" in history
    assert client.get(f"/case-studies/{published}/republish").status_code == 409  # published already


def test_an_admins_unpublishing_is_undone_only_by_an_admin(app: Flask, published: str) -> None:
    admin, admin_token = signed_in(app, "admin@example.org")
    assert admin.post(f"/admin/case-studies/{published}/unpublish",
                      data={"csrf_token": admin_token, "reason": "It names a pupil."}).status_code == 303
    assert status(app, published).withdrawn_by_admin
    assert status(app, published).withdrawn_reason == "It names a pupil."
    author, token = signed_in(app, "author@example.org")
    dashboard = author.get("/author").get_data(as_text=True)
    assert "only an administrator can publish it again" in dashboard
    assert f"/case-studies/{published}/republish\"" not in dashboard
    refused = author.post(f"/case-studies/{published}/republish", data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 409 and status(app, published).status == "withdrawn"
    assert admin.post(f"/case-studies/{published}/republish",
                      data={"csrf_token": admin_token, "confirm": "yes"}).status_code == 303
    assert status(app, published).status == "published"


def revise(client: FlaskClient, token: str, slug: str, **changes: object) -> None:
    draft = client.post(f"/case-studies/{slug}/edit", data={"csrf_token": token}).headers["Location"]
    form: dict[str, object] = {
        "csrf_token": token, "title": "Breakfast and a phone call: attendance in a village school",
        "summary": "A same-day phone call and a breakfast club lifted attendance.", "years": "2022-2024",
        "evidence_strength": "internal data", "topics": ["attendance", "disadvantage"], "action": "publish",
        **{f"section-{k}": v for k, v in samples.BODY.items()},
        "impact-0-measure": "FSM attendance", "impact-0-before": "88%", "impact-0-after": "94%",
        "impact-0-period": "2022-2024", "impact-0-pupils": "9",
        "impact-1-measure": "Persistent absence", "impact-1-before": "20%", "impact-1-after": "12%",
        "impact-1-period": "2022-2024", "impact-1-pupils": "38",
    }
    form.update(changes)
    response = client.post(draft, data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]


def test_the_diff_shows_evidence_impact_rows_topics_years_and_offers(app: Flask, published: str) -> None:
    client, token = signed_in(app, "author@example.org")
    revise(client, token, published, change_note="Added the impact table.")
    revise(client, token, published, evidence_strength="external evaluation", topics=["attendance"],
           years="2022-2025", open_to=["visits"], **{"impact-1-measure": "", "impact-1-before": "",
                                                       "impact-1-after": "", "impact-1-period": "",
                                                       "impact-1-pupils": ""},
           change_note="Evaluated by the local authority; one measure dropped.")
    diff = client.get(f"/case-studies/{published}/diff?from=2&to=3").get_data(as_text=True)
    assert "<h2>Strength of evidence</h2>" in diff
    assert "<del>Internal data</del> <ins>External evaluation</ins>" in diff
    assert "<del>Persistent absence: 20% → 12% (2022-2024, 38 pupils)</del>" in diff
    assert "<li>FSM attendance: 88% → 94% (2022-2024, 9 pupils)</li>" in diff  # the row kept is shown, unmarked
    assert "<del>Disadvantaged pupils" in diff or "<del>Disadvantage" in diff
    assert "<del>2022-2024</del> <ins>2022-2025</ins>" in diff and "<ins>Visits</ins>" in diff
    assert "Evaluated by the local authority; one measure dropped." in diff and "by Ann Author" in diff
    unchanged = diff.split("Unchanged:")[1]
    assert "Strength of evidence" not in unchanged and "Impact table" not in unchanged and "Context" in unchanged

    public = app.test_client()
    history = public.get(f"/case-studies/{published}/history").get_data(as_text=True)
    assert "changed: Strength of evidence, Years of the work, Topics, Open to, Impact table" in history
    assert "Added the impact table." in history and "first published" in history
    page = public.get(f"/case-studies/{published}").get_data(as_text=True)
    with app.app_context():
        latest = db.session.scalars(select(Revision).order_by(Revision.id.desc())).first()
        assert latest is not None and latest.note.startswith("Evaluated") and latest.author_id is not None
        updated = latest.created_at.strftime("%-d %B %Y")
    assert f"Updated {updated}" in page and "History (3 revisions)</a>" in page


def test_a_change_note_waits_with_the_draft_until_it_is_published(app: Flask, published: str) -> None:
    client, token = signed_in(app, "author@example.org")
    draft = client.post(f"/case-studies/{published}/edit", data={"csrf_token": token}).headers["Location"]
    client.post(draft, data={"csrf_token": token, "action": "save", "title": "T", "change_note": "Kept  note"})
    assert "Kept note</textarea>" in client.get(draft).get_data(as_text=True)


def test_a_demo_snapshot_is_dated_when_it_was_published(app: Flask, app_embedder: object) -> None:
    with app.app_context():
        load_demo(db.session, app_embedder)  # type: ignore[arg-type]
        case_studies = db.session.scalars(select(CaseStudy)).all()
        assert case_studies
        for case_study in case_studies:
            assert case_study.published_on is not None
            assert case_study.school_snapshot["taken_on"] == case_study.published_on.isoformat()
