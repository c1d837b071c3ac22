"""Hardening of writing and publishing: each test is named after the defect it keeps fixed.

2: a reviewer approves exactly the text they read, with the privacy check's warnings shown.
4: an author cannot undo an administrator's Unpublish.
9: the public revision diff takes bounded time, and is kept per pair of revisions.
14: the web editor never cuts what was typed short, and counts a line end once.
20: a summary with a line '---' is published as typed.
12: the id of a published (deleted) draft was given to the next draft, so a stale client overwrote it.
"""

import html
import random
import re
import time
from pathlib import Path

from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from commons.db import db
from commons.models import CaseStudy, Draft, Follow, User
from commons.ops.migrate import alembic_config, upgrade
from commons.services import api_tokens, authoring
from tests import samples
from tests.accounts import client_for, csrf_token, make_user

SCHOOL = 990003
COMPLETE = {"title": "Reading dogs on Fridays", "summary": "A reading dog visited every Friday.", "years": "2024",
            "evidence_strength": "self-reported", "topics": ["reading"], "sections": samples.BODY}
PUPIL_DATA = "Ring Jane Doe's mum on 07700 900123 or jane.doe@example.com; UPN A12345678901B, born 12/03/2015."


def bearer(app: Flask, user_id: int) -> dict[str, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = api_tokens.create(db.session, user, "Trust website", ["read", "write", "publish"]).secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def fingerprint_on(page: str) -> str:
    match = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def published(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CaseStudy.slug).where(CaseStudy.status == "published")))


def moderated(app: Flask) -> tuple[FlaskClient, dict[str, str], FlaskClient, int]:
    """Moderation on; an author's clean draft sent for review over the API; an admin signed in."""
    app.config["COMMONS_MODERATION"] = "1"
    author = bearer(app, make_user(app, "author@example.org", school=SCHOOL, name="Ruth Armitage"))
    make_user(app, "admin@example.org", admin=True)
    api = app.test_client()
    draft = api.post("/api/v1/drafts", json={"school_urn": SCHOOL, **COMPLETE}, headers=author).get_json()
    sent = api.post(f"/api/v1/drafts/{draft['id']}/publish", headers=author)
    assert sent.status_code == 202 and sent.get_json()["draft"]["submitted"]
    return api, author, client_for(app, "admin"), draft["id"]


def test_defect_02_approval_is_bound_to_the_text_reviewed(app: Flask) -> None:
    api, author, admin, draft_id = moderated(app)
    page = admin.get(f"/admin/drafts/{draft_id}/review")
    assert page.status_code == 200 and "A reading dog visited every Friday." in page.get_data(as_text=True)
    seen = fingerprint_on(page.get_data(as_text=True))

    # the author changes the text after the reviewer opened it, and sends it again
    changed = api.patch(f"/api/v1/drafts/{draft_id}", headers=author,
                        json={"sections": {"context": PUPIL_DATA}})
    assert changed.status_code == 200
    assert api.post(f"/api/v1/drafts/{draft_id}/publish", json={"confirm_privacy": True},
                    headers=author).status_code == 202
    approval = {"csrf_token": csrf_token(admin), "fingerprint": seen, "confirm_privacy": "yes"}
    refused = admin.post(f"/admin/drafts/{draft_id}/publish", data=approval)
    assert refused.status_code == 409
    text = html.unescape(refused.get_data(as_text=True))
    assert "changed after you opened it" in text and "07700 900123" in text  # shown the text as it is now
    # the old form, which said nothing about the text it approved, publishes nothing either
    blind = admin.post(f"/admin/drafts/{draft_id}/publish",
                       data={"csrf_token": csrf_token(admin), "confirm_privacy": "yes"})
    assert blind.status_code == 409
    assert published(app) == []

    again = {"csrf_token": csrf_token(admin), "fingerprint": fingerprint_on(text), "confirm_privacy": "yes"}
    assert admin.post(f"/admin/drafts/{draft_id}/publish", data=again).status_code == 303
    assert len(published(app)) == 1


def test_defect_02_an_edit_takes_a_draft_out_of_the_review_queue(app: Flask) -> None:
    api, author, admin, draft_id = moderated(app)
    unchanged = api.patch(f"/api/v1/drafts/{draft_id}", json={"years": "2024"}, headers=author)
    assert unchanged.get_json()["submitted"]  # saving the same text keeps its place in the queue
    edited = api.patch(f"/api/v1/drafts/{draft_id}", json={"years": "2023-2024"}, headers=author)
    assert edited.status_code == 200 and edited.get_json()["submitted"] is False
    assert "Reading dogs on Fridays" not in admin.get("/admin").get_data(as_text=True).split("Reports from")[0]

    web = client_for(app, "author")  # the web editor: the same, and it says so
    api.post(f"/api/v1/drafts/{draft_id}/publish", headers=author)
    form = {"csrf_token": csrf_token(web), **{k: v for k, v in COMPLETE.items() if k != "sections"},
            **{f"section-{k}": v for k, v in samples.BODY.items()}, "years": "2022-2024", "action": "save"}
    saved = web.post(f"/author/drafts/{draft_id}", data=form, follow_redirects=True)
    assert "no longer waiting" in saved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Draft, draft_id).status == "writing"


def test_defect_02_the_reviewer_sees_and_confirms_the_privacy_warnings(app: Flask) -> None:
    api, author, admin, draft_id = moderated(app)
    api.patch(f"/api/v1/drafts/{draft_id}", json={"sections": {"context": PUPIL_DATA}}, headers=author)
    api.post(f"/api/v1/drafts/{draft_id}/publish", json={"confirm_privacy": True}, headers=author)
    page = admin.get(f"/admin/drafts/{draft_id}/review").get_data(as_text=True)
    assert "looks like a phone number" in page and "looks like a date of birth" in page
    assert 'name="confirm_privacy" value="yes" required' in page
    assert 'type="hidden" name="confirm_privacy"' not in page
    approval = {"csrf_token": csrf_token(admin), "fingerprint": fingerprint_on(page)}
    unconfirmed = admin.post(f"/admin/drafts/{draft_id}/publish", data=approval)
    assert unconfirmed.status_code == 400 and "looks like a phone number" in unconfirmed.get_data(as_text=True)
    assert published(app) == []
    confirmed = admin.post(f"/admin/drafts/{draft_id}/publish", data={**approval, "confirm_privacy": "yes"})
    assert confirmed.status_code == 303 and len(published(app)) == 1


def test_defect_04_an_author_cannot_undo_an_admins_unpublish(app: Flask, runner, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "a-published", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    author_id = make_user(app, "author@example.org", school=SCHOOL)
    admin_id = make_user(app, "admin@example.org", admin=True)
    author, api = client_for(app, "author"), app.test_client()
    token = bearer(app, author_id)
    opened = api.post("/api/v1/case-studies/a-published/draft", headers=token).get_json()
    web_draft = author.post("/case-studies/a-published/edit", data={"csrf_token": csrf_token(author)})
    assert web_draft.headers["Location"].endswith(f"/author/drafts/{opened['id']}")

    admin = client_for(app, "admin")
    report = {"csrf_token": csrf_token(app.test_client()), "reason": "Names a pupil."}
    app.test_client().post("/case-studies/a-published/report", data=report)
    assert admin.post("/admin/case-studies/a-published/unpublish",
                      data={"csrf_token": csrf_token(admin)}).status_code == 303

    over_api = api.post(f"/api/v1/drafts/{opened['id']}/publish", json={"confirm_privacy": True}, headers=token)
    assert over_api.status_code == 409 and over_api.get_json()["error"] == "not_published"
    form = {"csrf_token": csrf_token(author), **{k: v for k, v in COMPLETE.items() if k != "sections"},
            **{f"section-{k}": v for k, v in samples.BODY.items()}, "action": "publish", "confirm_privacy": "yes"}
    over_web = author.post(f"/author/drafts/{opened['id']}", data=form)
    assert over_web.status_code == 409 and "only an administrator" in over_web.get_data(as_text=True)
    app.config["COMMONS_MODERATION"] = "1"  # nor is it sent to a reviewer as if it could be published
    assert api.post(f"/api/v1/drafts/{opened['id']}/publish", json={"confirm_privacy": True},
                    headers=token).status_code == 409
    assert published(app) == []
    app.config["COMMONS_MODERATION"] = ""
    assert app.test_client().get("/case-studies/a-published").status_code == 410

    lifted = api.post(f"/api/v1/drafts/{opened['id']}/publish", json={"confirm_privacy": True},
                      headers=bearer(app, admin_id))
    assert lifted.status_code == 200 and published(app) == ["a-published"]  # an administrator may


def _long_section(rng: random.Random, words: int) -> str:
    vocabulary = ["the", "pupils", "and", "a", "of", "to", "in", "school", "attendance", "reading", "we", "our"]
    return " ".join(rng.choice(vocabulary) + ("." if rng.random() < 0.08 else "") for _ in range(words))


def test_defect_09_the_revision_diff_is_bounded_and_kept_per_pair(app: Flask, runner, tmp_path: Path,
                                                                   monkeypatch) -> None:
    rng = random.Random(9)
    first = {key: _long_section(rng, 2800) for key in ("context", "what-we-did")}
    second = {key: " ".join(w if rng.random() < 0.97 else "changed" for w in text.split(" "))
              for key, text in first.items()}
    samples.write(tmp_path / "one", "long-one", urn=SCHOOL, sections=first)
    assert runner.invoke(args=["import", str(tmp_path / "one")]).exit_code == 0
    samples.write(tmp_path / "two", "long-one", urn=SCHOOL, sections=second)
    assert runner.invoke(args=["import", "--update", str(tmp_path / "two")]).exit_code == 0

    client = app.test_client()
    started = time.perf_counter()
    page = client.get("/case-studies/long-one/diff?from=1&to=2")
    took = time.perf_counter() - started
    assert page.status_code == 200 and "<ins>changed</ins>" in page.get_data(as_text=True)
    assert took < 2.0, f"the diff took {took:.1f} s"

    calls = []
    monkeypatch.setattr(authoring, "_word_diff", lambda *args: calls.append(args))
    again = client.get("/case-studies/long-one/diff?from=1&to=2")
    assert again.get_data(as_text=True) == page.get_data(as_text=True) and calls == []  # kept, not redone


def test_defect_09_a_very_long_rewrite_falls_back_to_whole_sentences() -> None:
    rng = random.Random(90)
    old, new = _long_section(rng, 12_000), _long_section(rng, 12_000)
    started = time.perf_counter()
    marked = authoring._word_diff(old, new)
    assert time.perf_counter() - started < 2.0
    removed = "".join(re.findall(r"<del>(.*?)</del>", str(marked), re.S))
    kept = re.sub(r"<ins>.*?</ins>", "", str(marked), flags=re.S).replace("<del>", "").replace("</del>", "")
    assert html.unescape(kept) == old and removed  # every word of the old text is there, once


def test_defect_14_the_web_editor_never_truncates_and_counts_a_line_end_once(app: Flask) -> None:
    make_user(app, "author@example.org", school=SCHOOL)
    author = client_for(app, "author")
    token = csrf_token(author)
    editor = author.post("/author/drafts", data={"csrf_token": token, "school_urn": SCHOOL}).headers["Location"]
    draft_id = int(editor.rstrip("/").split("/")[-1])
    crlf = "Line of the plan.\r\n" * 1100  # 20,900 characters as sent, 19,800 as the browser counted them
    too_long = "x" * 20_001
    form = {"csrf_token": token, "title": "Walking buses", "section-context": crlf, "section-challenge": too_long,
            "impact-0-measure": "m" * 130, "action": "save"}
    saved = author.post(editor, data=form)
    assert saved.status_code == 400
    page = saved.get_data(as_text=True)
    assert "The challenge is 20001 characters; keep it under 20000." in page
    assert "row 1, measure is 130 characters; keep it under 120." in page
    assert "Context is" not in page  # CRLF counted once: within the limit
    assert too_long in page  # kept in the form, as typed
    with app.app_context():
        fields = db.session.get(Draft, draft_id).fields
        assert fields["sections"]["context"] == "Line of the plan.\n" * 1100
        assert fields["sections"]["challenge"] == too_long and fields["impact"][0]["measure"] == "m" * 130
    publish = author.post(editor, data={**form, "action": "publish"})
    assert publish.status_code == 400 and published(app) == []
    # nor does the browser: no field carries a maxlength, which cuts pasted text without a word
    assert "maxlength" not in author.get(editor).get_data(as_text=True).split('<form method="post"', 1)[1]


def test_defect_20_a_summary_with_a_line_of_three_dashes_is_published(app: Flask) -> None:
    token = bearer(app, make_user(app, "author@example.org", school=SCHOOL))
    api = app.test_client()
    summary = "Attendance rose by six points over two years.\n---\nThen it stayed up, and the club stayed open."
    draft = api.post("/api/v1/drafts", json={"school_urn": SCHOOL, **COMPLETE, "summary": summary},
                     headers=token).get_json()
    done = api.post(f"/api/v1/drafts/{draft['id']}/publish", headers=token)
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == done.get_json()["slug"]))
        assert case_study.summary == summary.strip()
        assert case_study.revisions[-1].sections["context"] == samples.BODY["context"]


def test_defect_12_a_published_drafts_id_is_never_given_to_a_new_draft(app: Flask) -> None:
    first = bearer(app, make_user(app, "first@example.org", school=SCHOOL, name="Ruth Armitage"))
    second = bearer(app, make_user(app, "second@example.org", school=SCHOOL, name="Sam Okafor"))
    api = app.test_client()
    old = api.post("/api/v1/drafts", json={"school_urn": SCHOOL, **COMPLETE}, headers=first).get_json()["id"]
    assert api.post(f"/api/v1/drafts/{old}/publish", headers=first).get_json()["status"] == "published"
    new = api.post("/api/v1/drafts", json={"school_urn": SCHOOL, "title": "Sam's own draft"}, headers=second)
    assert new.status_code == 201 and new.get_json()["id"] != old

    stale = api.patch(f"/api/v1/drafts/{old}", json={"title": "A stale client's edit"}, headers=first)
    assert stale.status_code in (404, 410)
    assert api.get(f"/api/v1/drafts/{new.get_json()['id']}", headers=second).get_json()["fields"]["title"] == \
        "Sam's own draft"

    with app.app_context():  # follows, collection items and hub schools keep their ids the same way
        user = db.session.scalar(select(User).where(User.email == "first@example.org"))
        followed = Follow(user_id=user.id, kind="topic", target="reading", label="Reading")
        db.session.add(followed)
        db.session.commit()
        gone = followed.id
        db.session.delete(followed)
        db.session.commit()
        again = Follow(user_id=user.id, kind="topic", target="reading", label="Reading")
        db.session.add(again)
        db.session.commit()
        assert again.id != gone
        if db.engine.dialect.name == "sqlite":
            for table in ("drafts", "follows", "collection_items", "hub_schools"):
                ddl = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                                        {"t": table})
                assert "AUTOINCREMENT" in ddl, table


def test_defect_12_the_sqlite_migration_keeps_every_row_and_id(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'before.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    stamp = "'2026-01-01 00:00:00'"
    with engine.begin() as connection:  # rows as a 0006 database holds them (foreign keys not checked here)
        for draft_id in (3, 7):
            connection.execute(text(f"INSERT INTO drafts (id, school_urn, fields, created_by, updated_by, created_at, "
                                    f"updated_at) VALUES ({draft_id}, {SCHOOL}, '{{}}', 1, 1, {stamp}, {stamp})"))
        connection.execute(text(f"INSERT INTO follows (id, user_id, kind, target, label, last_seen_at, created_at) "
                                f"VALUES (5, 1, 'topic', 'reading', 'Reading', {stamp}, {stamp})"))
    upgrade(engine)
    with engine.begin() as connection:
        assert list(connection.scalars(text("SELECT id FROM drafts ORDER BY id"))) == [3, 7]
        assert list(connection.scalars(text("SELECT target FROM follows WHERE id = 5"))) == ["reading"]
        connection.execute(text("DELETE FROM drafts WHERE id = 7"))
        connection.execute(text(f"INSERT INTO drafts (school_urn, fields, created_by, updated_by, created_at, "
                                f"updated_at) VALUES ({SCHOOL}, '{{}}', 1, 1, {stamp}, {stamp})"))
        assert list(connection.scalars(text("SELECT id FROM drafts ORDER BY id"))) == [3, 8]
    engine.dispose()
