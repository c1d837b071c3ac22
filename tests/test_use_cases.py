"""The use cases web, API and command line share, the one error model and the one transaction helper.

A case study is loaded by its slug for what someone means to do with it, by every page and endpoint,
with the same answer everywhere: not found (404), forbidden (403), withdrawn (410) or not published
(409). A refusal is a domain error with its code, status and messages by field, shown by each
surface in one place; the writes of a refused request are rolled back, never half kept.
"""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from commons.db import db
from commons.domain.errors import CommonsError, Conflict, Forbidden, Gone, Invalid, NotFound, Refused, TooMany
from commons.domain.statuses import CaseStudyStatus
from commons.models import CaseStudy, Draft, Follow, Report, User
from commons.services import case_studies, rate_limits
from commons.services.publishing import withdraw
from commons.services.transactions import transaction
from tests import samples
from tests.accounts import client_for, csrf_token, make_user

SCHOOL_A, SCHOOL_B = 990003, 990012
ROLES = ("anonymous", "reader", "author", "other", "admin")


@pytest.fixture
def world(app: Flask, runner, tmp_path: Path) -> dict[str, int]:
    """School A has a published case study and a withdrawn one; the users of every role."""
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL_A)
    samples.write(tmp_path / "in", "a-withdrawn", urn=SCHOOL_A, title='"An old attendance plan"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    users = {"reader": make_user(app, "reader@example.org"), "author": make_user(app, "author@example.org",
                                                                                school=SCHOOL_A),
             "other": make_user(app, "other@example.org", school=SCHOOL_B),
             "admin": make_user(app, "admin@example.org", admin=True)}
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-withdrawn")))
        db.session.commit()
    return users


# (purpose, case study) -> what each role gets: the case study ("ok") or the refusal's class
EXPECTED: dict[tuple[str, str], dict[str, str | type[CommonsError]]] = {
    ("read", "a-published"): dict.fromkeys(ROLES, "ok"),
    ("read", "a-withdrawn"): dict.fromkeys(ROLES, case_studies.Withdrawn),
    ("read", "no-such-slug"): dict.fromkeys(ROLES, NotFound),
    ("report", "a-withdrawn"): dict.fromkeys(ROLES, "ok"),
    ("ask", "a-withdrawn"): dict.fromkeys(ROLES, NotFound),
    ("history", "a-published"): dict.fromkeys(ROLES, "ok"),
    ("history", "a-withdrawn"): {"anonymous": Forbidden, "reader": Forbidden, "other": Forbidden, "author": "ok",
                                 "admin": "ok"},
    ("edit", "a-published"): {"anonymous": Forbidden, "reader": Forbidden, "other": Forbidden, "author": "ok",
                              "admin": "ok"},
    ("edit", "a-withdrawn"): {"anonymous": Forbidden, "reader": Forbidden, "other": Forbidden, "author": Conflict,
                              "admin": Conflict},
    ("withdraw", "a-withdrawn"): {"anonymous": Forbidden, "reader": Forbidden, "other": Forbidden, "author": "ok",
                                  "admin": "ok"},
}


@pytest.mark.parametrize(("purpose", "slug"), list(EXPECTED))
def test_a_case_study_is_visible_for_a_purpose_with_one_answer_for_every_role(
        app: Flask, world: dict[str, int], purpose: str, slug: str) -> None:
    with app.app_context():
        for role in ROLES:
            user = db.session.get(User, world[role]) if role != "anonymous" else None
            expected = EXPECTED[(purpose, slug)][role]
            if expected == "ok":
                assert case_studies.visible(db.session, slug, user, purpose).slug == slug  # type: ignore[arg-type]
                continue
            assert isinstance(expected, type)
            with pytest.raises(expected) as refused:
                case_studies.visible(db.session, slug, user, purpose)  # type: ignore[arg-type]
            assert refused.value.status == {NotFound: 404, Forbidden: 403, Conflict: 409,
                                            case_studies.Withdrawn: 410}[expected], (role, purpose, slug)
            assert refused.value.message and refused.value.code


def test_the_web_and_the_api_answer_a_slug_alike(app: Flask, world: dict[str, int]) -> None:
    """The page and the endpoint call the same use case: the same status for the same case study."""
    client = app.test_client()
    for slug, status in (("a-published", 200), ("a-withdrawn", 410), ("no-such-slug", 404)):
        page, endpoint = client.get(f"/case-studies/{slug}"), client.get(f"/api/v1/case-studies/{slug}")
        assert page.status_code == endpoint.status_code == status, slug
        if status != 200:
            assert endpoint.get_json()["error"] == {410: "withdrawn", 404: "not_found"}[status]
    page = client.get("/case-studies/no-such-slug").get_data(as_text=True)
    assert "There is no published case study called “no-such-slug”." in page  # the error's own message


def test_an_error_carries_its_code_status_and_messages_by_field() -> None:
    problem = Invalid(errors={"title": "Give it a title.", "summary": "Keep it short."})
    assert (problem.status, problem.code) == (400, "invalid")
    assert problem.message == "title: Give it a title.; summary: Keep it short."
    assert problem.envelope() == {"error": "invalid", "message": problem.message, "errors": problem.errors}
    conflict = Conflict("Already decided.", code="already_decided")
    assert (conflict.status, conflict.code, str(conflict)) == (409, "already_decided", "Already decided.")
    assert Refused(413, "too_large", "Too large.").envelope() == {"error": "too_large", "message": "Too large."}
    assert (Gone("x").status, TooMany("x").status, NotFound("x").status, Forbidden("x").status) == (410, 429, 404, 403)


def test_a_refused_transaction_keeps_none_of_its_writes_and_a_finished_one_keeps_all(
        app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        reader = db.session.get(User, world["reader"])
        with pytest.raises(Invalid), transaction(db.session):
            db.session.add(Follow(user_id=reader.id, kind="topic", target="attendance", label="Attendance"))
            db.session.flush()
            raise Invalid("refused after a write")
        assert db.session.scalar(select(func.count()).select_from(Follow)) == 0
        with transaction(db.session):
            db.session.add(Follow(user_id=reader.id, kind="topic", target="attendance", label="Attendance"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow)) == 1


def test_reports_are_a_use_case_refused_without_a_reason_and_when_too_many(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        case_study = case_studies.visible(db.session, "a-withdrawn", None, "report")
        with pytest.raises(Invalid) as empty:
            case_studies.report(db.session, case_study, "   ", None, "address:203.0.113.9")
        assert "Say what the problem is" in empty.value.message
        with pytest.raises(TooMany) as limited:
            for _ in range(rate_limits.REPORT.most + 1):
                with transaction(db.session):
                    case_studies.report(db.session, case_study, "It names a pupil.", None, "address:203.0.113.9")
        assert limited.value.message == rate_limits.REPORT.message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == rate_limits.REPORT.most
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-withdrawn"))
        case_studies.resolve_reports(db.session, case_study)
        db.session.commit()
        assert case_studies.open_reports(db.session) == []


def test_drafts_for_a_user_are_their_schools_and_every_school_for_an_admin_who_asks(
        app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        author, other, admin = (db.session.get(User, world[r]) for r in ("author", "other", "admin"))
        ours = case_studies.start_draft(db.session, author, SCHOOL_A)
        theirs = case_studies.start_draft(db.session, other, SCHOOL_B)
        db.session.commit()
        assert [d.id for d in case_studies.drafts_for(db.session, author).items] == [ours.id]
        assert [d.id for d in case_studies.drafts_for(db.session, other).items] == [theirs.id]
        assert case_studies.drafts_for(db.session, admin).total == 0  # writes for no school
        everything = case_studies.drafts_for(db.session, admin, every_school=True)
        assert everything.total == 2 and {d.id for d in everything.items} == {ours.id, theirs.id}
        assert case_studies.drafts_for(db.session, admin, every_school=True, school=SCHOOL_B).total == 1
        with pytest.raises(Forbidden) as refused:
            case_studies.start_draft(db.session, other, SCHOOL_A)
        assert refused.value.code == "not_your_school"
        with pytest.raises(NotFound):
            case_studies.draft(db.session, ours.id, other)
        assert case_studies.draft(db.session, ours.id, admin).id == ours.id


def test_publish_or_submit_answers_warnings_then_submits_or_publishes(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        author = db.session.get(User, world["author"])
        draft, made = case_studies.open_for_revision(db.session, author, "a-published")
        assert made and case_studies.open_for_revision(db.session, author, "a-published") == (draft, False)
        draft.fields = {**draft.fields, "impact": [{"measure": "Persistent absence", "before": "24%", "after": "11%",
                                                    "pupils": "4"}]}  # a group small enough to identify
        flagged = case_studies.publish_or_submit(db.session, draft, author, None, confirm_privacy=False,  # type: ignore[arg-type]
                                                 moderated=True)
        assert flagged.warnings and flagged.case_study is None and not flagged.submitted
        sent = case_studies.publish_or_submit(db.session, draft, author, None, confirm_privacy=True,  # type: ignore[arg-type]
                                              moderated=True)
        assert sent.submitted and draft.status == "submitted" and sent.case_study is None
        db.session.rollback()
        withdrawn = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-withdrawn"))
        revising = Draft(school_urn=SCHOOL_A, case_study_id=withdrawn.id, fields={"title": "x", "sections": {}},
                         created_by=author.id, updated_by=author.id)
        db.session.add(revising)
        db.session.flush()
        with pytest.raises(Conflict) as refused:
            case_studies.publish_or_submit(db.session, revising, author, None, confirm_privacy=True,  # type: ignore[arg-type]
                                           moderated=False)
        assert refused.value.code == "not_published" and withdrawn.status == CaseStudyStatus.WITHDRAWN


def test_a_refused_form_is_shown_again_with_what_was_typed_and_a_refused_action_is_flashed(
        app: Flask, world: dict[str, int]) -> None:
    """The web's one handler: the view's own form again (the error's status, everything typed kept), or a
    flash and the way back; nothing the refused request wrote is kept."""
    client = client_for(app, "reader")
    token = csrf_token(client)
    typed = {"csrf_token": token, "name": "My <script> laptop", "scopes": ["nonsense"]}
    again = client.post("/account/tokens", data=typed)
    page = again.get_data(as_text=True)
    assert again.status_code == 400 and "My &lt;script&gt; laptop" in page and "<script> laptop" not in page
    followed = client.post("/follow", data={"csrf_token": token, "kind": "planet", "target": "mars"})
    assert followed.status_code == 303 and followed.headers["Location"].endswith("/following")
    shown = client.get("/following").get_data(as_text=True)
    assert "You can follow a" in shown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow)) == 0
    stranger = client.post("/following/999999/alert", data={"csrf_token": token, "alert": "daily"})
    assert stranger.status_code == 404  # someone else's (or no) follow: not a flash, a page that says so


def test_the_describe_your_school_form_says_what_each_field_takes() -> None:
    from werkzeug.datastructures import MultiDict

    from commons.web.forms import DescribeSchool

    with pytest.raises(Invalid) as refused:
        DescribeSchool(MultiDict({"phase": "", "provision": "boarding", "pupils": "180.5", "fsm_pct": "nan",
                                  "sen_pct": "120", "eal_pct": "lots", "region": "", "setting": ""})).context()
    assert refused.value.errors == {
        "phase": "Choose one: primary, secondary, all-through, early years, sixth form.",
        "provision": "“boarding” is not one of: mainstream, special, alternative provision.",
        "pupils": "Pupils on roll must be a whole number.",
        "fsm_pct": "Free school meals must be a number, like 38; you entered nan.",
        "sen_pct": "SEN must be between 0 and 100; you entered 120.",
        "eal_pct": "EAL must be a number, like 38.",
    }
    described = DescribeSchool(MultiDict({"phase": " primary ", "pupils": "180", "fsm_pct": "38%",
                                          "setting": "rural"})).context()
    assert (described.phase, described.provision, described.pupils, described.fsm_pct, described.setting) == (
        "primary", "mainstream", 180, 38.0, "rural")
    assert described.name
