"""Accounts, roles and authoring: the whole matrix of roles × actions × object states, and the journeys."""

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.domain.statuses import ReportStatus
from commons.models import CaseStudy, Draft, LoginAttempt, OutboxMessage, Report, User
from commons.search.engine import search
from commons.search.extension import search_index
from commons.services.accounts import SIGN_IN_FAILED, TOO_MANY
from commons.services.publishing import withdraw
from tests import samples
from tests.accounts import PASSWORD, csrf_token, make_user, sign_in, without_csrf

SCHOOL_A, SCHOOL_B = 990003, 990012
ROLES = ["anonymous", "reader", "claimant", "author", "other-author", "admin"]


@pytest.fixture
def world(app: Flask, runner, tmp_path: Path) -> dict[str, object]:
    """School A has a published case study, a withdrawn one and a private draft."""
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL_A)
    samples.write(tmp_path / "in", "a-withdrawn", urn=SCHOOL_A, title='"An old attendance plan"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    users = {
        "reader": make_user(app, "reader@example.org"),
        "claimant": make_user(app, "claimant@example.org", school=SCHOOL_A, status="pending"),
        "author": make_user(app, "author@example.org", school=SCHOOL_A),
        "other-author": make_user(app, "other@example.org", school=SCHOOL_B),
        "admin": make_user(app, "admin@example.org", admin=True),
    }
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-withdrawn")))
        draft = Draft(school_urn=SCHOOL_A, fields={"title": "Secret draft", "sections": {}}, created_by=users["author"],
                      updated_by=users["author"])
        db.session.add(draft)
        db.session.commit()
        return {"draft": draft.id, "users": users}


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, {"other-author": "other@example.org"}.get(role, f"{role}@example.org"))
    return client


# (action, object) -> roles allowed; everyone else is refused (403, 404 or sent to sign in)
ALLOWED = {
    ("view", "published"): set(ROLES),
    ("view", "withdrawn"): set(ROLES),  # as a tombstone (410)
    ("history", "published"): set(ROLES),
    ("history", "withdrawn"): {"author", "admin"},
    ("edit", "published"): {"author", "admin"},
    ("edit", "withdrawn"): set(),  # nobody revises a withdrawn case study (409 for authors)
    ("withdraw", "published"): {"author", "admin"},
    ("open", "draft"): {"author", "admin"},
    ("save", "draft"): {"author", "admin"},
}


def attempt(client: FlaskClient, action: str, target: str, draft_id: int) -> int:
    slug = {"published": "a-published", "withdrawn": "a-withdrawn"}.get(target, "")
    token = csrf_token(client)
    if action == "view":
        return client.get(f"/case-studies/{slug}").status_code
    if action == "history":
        return client.get(f"/case-studies/{slug}/history").status_code
    if action in ("edit", "withdraw"):
        return client.post(f"/case-studies/{slug}/{action}", data={"csrf_token": token}).status_code
    if action == "open":
        return client.get(f"/author/drafts/{draft_id}").status_code
    save = {"csrf_token": token, "title": "Changed", "action": "save"}
    return client.post(f"/author/drafts/{draft_id}", data=save).status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action, target", list(ALLOWED))
def test_authorisation_matrix(app: Flask, world: dict, role: str, action: str, target: str) -> None:
    status = attempt(client_as(app, role), action, target, world["draft"])
    allowed = role in ALLOWED[(action, target)]
    case = (role, action, target, status)
    if allowed:
        assert status in (200, 303, 410), case
    else:
        assert status in (303, 403, 404, 409) and not (status == 303 and role != "anonymous"), case
    with app.app_context():
        published = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "a-published"))
        draft = db.session.get(Draft, world["draft"])
        if not allowed:  # a refused action changed nothing
            assert published.status == "published"
            assert draft.fields["title"] == "Secret draft"
            assert db.session.scalar(select(Draft).where(Draft.case_study_id == published.id)) is None


def test_the_withdrawn_page_is_a_tombstone_with_the_citation(app: Flask, world: dict) -> None:
    page = app.test_client().get("/case-studies/a-withdrawn")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "This case study has been withdrawn" in text and "CC BY 4.0" in text and "An old attendance plan" in text


def test_a_head_writes_publishes_revises_and_withdraws(app: Flask, world: dict) -> None:
    client = client_as(app, "author")
    token = csrf_token(client)
    created = client.post("/author/drafts", data={"csrf_token": token, "school_urn": SCHOOL_A})
    assert created.status_code == 303
    editor = created.headers["Location"]
    form = {"csrf_token": token, "title": "Walking buses in a fell village",
            "summary": "Walking buses got children in on time.", "years": "2023-2024",
            "evidence_strength": "internal data", "topics": ["attendance"], "action": "publish",
            **{f"section-{k}": v for k, v in samples.BODY.items()},
            "impact-0-measure": "Persistent absence", "impact-0-before": "24%", "impact-0-after": "11%",
            "impact-0-period": "2022–2024", "impact-0-pupils": "4"}
    warned = client.post(editor, data=form)
    assert warned.status_code == 400
    page = warned.get_data(as_text=True)
    assert "Check for pupil data before publishing" in page and "fewer than 6 pupils" in page
    assert 'value="Walking buses in a fell village"' in page  # nothing typed is lost
    form["impact-0-pupils"] = "84"
    published = client.post(editor, data=form)
    assert published.status_code == 303, published.get_data(as_text=True)[:2000]
    slug = published.headers["Location"].split("/case-studies/")[1].split("?")[0]
    with app.app_context():
        results = search(db.session, search_index.state, "walking buses to get children to school on time")
        assert results.results[0].case_study.slug == slug  # searchable at once
    shown = client.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "<svg" in shown and "Persistent absence" in shown

    redraft = client.post(f"/case-studies/{slug}/edit", data={"csrf_token": token})
    form["section-what-we-did"] = "Parent volunteers led two walking buses from the far end of the village."
    assert client.post(redraft.headers["Location"], data=form).status_code == 303
    changes = client.get(f"/case-studies/{slug}/diff?from=1&to=2").get_data(as_text=True)
    assert "<ins>Parent volunteers led two walking buses from the far end of the village.</ins>" in changes
    assert "<del>We phoned families on the first morning of any absence and ran a breakfast club.</del>" in changes

    assert client.post(f"/case-studies/{slug}/withdraw", data={"csrf_token": token}).status_code == 200  # asks first
    withdrawn = client.post(f"/case-studies/{slug}/withdraw",
                            data={"csrf_token": token, "confirm": "yes", "reason": "Out of date."})
    assert withdrawn.status_code == 303
    assert client.get(f"/case-studies/{slug}").status_code == 410
    with app.app_context():
        assert all(r.case_study.slug != slug for r in search(db.session, search_index.state, "walking buses").results)


def test_sign_in_never_says_which_addresses_have_accounts_and_is_rate_limited(app: Flask, world: dict) -> None:
    client = app.test_client()
    wrong = client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": "author@example.org",
                                          "password": "nope"})
    unknown = client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": "nobody@example.org",
                                            "password": "nope"})
    assert SIGN_IN_FAILED in wrong.get_data(as_text=True) and SIGN_IN_FAILED in unknown.get_data(as_text=True)
    for _ in range(4):
        client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": "author@example.org",
                                      "password": "nope"})
    blocked = client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": "author@example.org",
                                            "password": PASSWORD})
    assert blocked.status_code == 400 and TOO_MANY in blocked.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(LoginAttempt).count() >= 5  # shared by every worker: in the database
    registered = client.post("/register", data={"csrf_token": csrf_token(client), "name": "X",
                                                "email": "author@example.org", "password": "a long enough password"})
    fresh = client.post("/register", data={"csrf_token": csrf_token(client), "name": "Y", "email": "new@example.org",
                                           "password": "a long enough password"})
    # the same page either way
    assert without_csrf(registered.get_data(as_text=True)) == without_csrf(fresh.get_data(as_text=True))


def test_password_reset_link_works_once_and_signs_in_with_a_fresh_session(app: Flask, world: dict) -> None:
    client = app.test_client()
    client.post("/forgot-password", data={"csrf_token": csrf_token(client), "email": "author@example.org"})
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert mail.to == "author@example.org"
        link = "/" + mail.body.split(app.config["COMMONS_PUBLIC_URL"] + "/", 1)[1].split()[0]
    other = client_as(app, "author")  # a session from before the reset
    assert other.get("/author").status_code == 200
    changed = client.post(link, data={"csrf_token": csrf_token(client), "password": "a brand new long password"})
    assert changed.status_code == 303
    assert client.get("/author").status_code == 200
    assert other.get("/author").status_code == 303  # the old session ended with the password change
    reused = client.post(link, data={"csrf_token": csrf_token(client), "password": "yet another long password"})
    assert reused.status_code == 400
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "author@example.org"))
        assert user.password_hash.startswith("$argon2id$")


def test_create_admin_command(app: Flask, runner) -> None:
    result = runner.invoke(args=["users", "create-admin", "head@example.org", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    short = runner.invoke(args=["users", "create-admin", "x@example.org", "--password", "short"])
    assert short.exit_code != 0 and "password" in short.output


def test_moderation_queue_and_reader_reports(database_url: str, tmp_path: Path, embedder: object) -> None:
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path / "moderated", embedder)
    app.config["COMMONS_MODERATION"] = "1"
    from commons.services.demo import SCHOOLS_CSV
    from commons.services.schools import import_schools

    with app.app_context():
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
    make_user(app, "author@example.org", school=SCHOOL_A)
    make_user(app, "admin@example.org", admin=True)
    author = client_as(app, "author")
    token = csrf_token(author)
    editor = author.post("/author/drafts", data={"csrf_token": token, "school_urn": SCHOOL_A}).headers["Location"]
    form = {"csrf_token": token, "title": "Reading dogs on Fridays", "summary": "A reading dog visited weekly.",
            "years": "2024", "evidence_strength": "self-reported", "topics": ["reading"], "action": "publish",
            **{f"section-{k}": v for k, v in samples.BODY.items()}}
    sent = author.post(editor, data=form)
    assert sent.status_code == 200 and "Sent for review" in sent.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CaseStudy).where(CaseStudy.title == "Reading dogs on Fridays")) is None
    resaved = author.post(editor, data={**form, "action": "save", "summary": "A reading dog visited every Friday."})
    assert resaved.status_code == 303  # editing while waiting takes it out of the queue, and says so
    admin = client_as(app, "admin")
    assert "Reading dogs on Fridays" not in admin.get("/admin").get_data(as_text=True)
    resent = author.post(editor, data={**form, "summary": "A reading dog visited every Friday."})
    assert "Sent for review" in resent.get_data(as_text=True)
    queue = admin.get("/admin").get_data(as_text=True)
    assert "Reading dogs on Fridays" in queue
    draft_id = int(editor.rstrip("/").split("/")[-1])
    review = admin.get(f"/admin/drafts/{draft_id}/review").get_data(as_text=True)
    assert "A reading dog visited every Friday." in review
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', review)
    assert fingerprint is not None
    approval = {"csrf_token": csrf_token(admin), "fingerprint": fingerprint.group(1)}
    published = admin.post(f"/admin/drafts/{draft_id}/publish", data=approval)
    assert published.status_code == 303
    slug = published.headers["Location"].split("/case-studies/")[1].split("?")[0]
    with app.app_context():  # the author is credited, not the admin who approved it
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        assert [a["name"] for a in case_study.authors] == ["Test User"]

    reader = app.test_client()
    report = {"csrf_token": csrf_token(reader), "reason": "Names a pupil."}
    reported = reader.post(f"/case-studies/{slug}/report", data=report)
    assert reported.status_code == 200
    assert "Names a pupil." in admin.get("/admin").get_data(as_text=True)
    assert author.post(f"/admin/case-studies/{slug}/unpublish", data={"csrf_token": token}).status_code == 403
    unpublished = admin.post(f"/admin/case-studies/{slug}/unpublish", data={"csrf_token": csrf_token(admin)})
    assert unpublished.status_code == 303
    assert reader.get(f"/case-studies/{slug}").status_code == 410
    open_reports = admin.get("/admin").get_data(as_text=True).split('id="reports-h"')[1].split("</section>")[0]
    assert "Names a pupil." not in open_reports and "No open reports." in open_reports
    with app.app_context():  # acted on: the report is resolved, and kept
        assert [r.status for r in db.session.scalars(select(Report))] == [ReportStatus.RESOLVED]
    with app.app_context():
        db.engine.dispose()


def test_my_school_is_kept_on_the_profile_of_a_signed_in_user(app: Flask, world: dict) -> None:
    visitor = app.test_client()
    visitor.post("/my-school", data={"csrf_token": csrf_token(visitor), "urn": str(SCHOOL_B)})
    sign_in(visitor, "reader@example.org")  # chosen before signing in: kept on the profile
    elsewhere = client_as(app, "reader")  # another browser, signed in as the same reader
    page = elsewhere.get("/my-school").get_data(as_text=True)
    assert "Corve Dale Primary School" in page.split("Find your school")[0]
    elsewhere.post("/my-school/forget", data={"csrf_token": csrf_token(elsewhere)})
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "reader@example.org")).my_school is None
