"""Statuses named once: a draft's status is a column the review queues ask the database about,
a report's is open or resolved, and the migration gives every existing draft and report the
status it held."""

import json

from alembic import command
from flask import Flask
from sqlalchemy import create_engine, text

from commons.db import db
from commons.domain.statuses import CaseStudyStatus, ClaimStatus, DraftStatus
from commons.models import Draft, Membership, User
from commons.ops.migrate import alembic_config, upgrade
from commons.services import authoring
from tests.accounts import client_for, make_user

SCHOOL = 990003


def test_a_status_equals_the_string_the_database_holds() -> None:
    assert DraftStatus.SUBMITTED == "submitted" and CaseStudyStatus.PUBLISHED == "published"
    assert ClaimStatus("pending") is ClaimStatus.PENDING and f"{ClaimStatus.APPROVED}" == "approved"


def test_the_admin_page_lists_the_drafts_whose_status_is_submitted(app: Flask) -> None:
    make_user(app, "admin@example.org", admin=True)
    author = make_user(app, "author@example.org", school=SCHOOL)
    with app.app_context():
        for title, status, extra in (("Reading dogs on Fridays", DraftStatus.SUBMITTED, {}),
                                     ("Phonics still being written", DraftStatus.WRITING, {}),
                                     # a stray old key in the fields is not what puts a draft in the queue
                                     ("A stray old key", DraftStatus.WRITING, {"submitted": True})):
            db.session.add(Draft(school_urn=SCHOOL, fields={"title": title, **extra}, status=status,
                                 created_by=author, updated_by=author))
        db.session.commit()
        waiting = authoring.waiting_for_review(db.session)
        assert [d.fields["title"] for d in waiting] == ["Reading dogs on Fridays"]
        assert authoring.waiting_for_review(db.session, [SCHOOL + 1]) == []

    page = client_for(app, "admin").get("/admin").get_data(as_text=True)
    queue = page.split('id="review-h"')[1].split("</section>")[0]
    assert "Reading dogs on Fridays" in queue
    assert "Phonics still being written" not in queue and "A stray old key" not in queue


def test_sending_for_review_sets_the_column_and_keeps_the_fields_as_typed(app: Flask) -> None:
    app.config["COMMONS_MODERATION"] = "1"
    author = make_user(app, "author@example.org", school=SCHOOL)
    with app.app_context():
        draft = Draft(school_urn=SCHOOL, fields={"title": "Reading dogs"}, created_by=author, updated_by=author)
        db.session.add(draft)
        db.session.commit()
        assert draft.status == DraftStatus.WRITING  # every new draft starts being written
        before = authoring.fingerprint(draft)
        authoring.send_for_review(draft)
        db.session.commit()
        assert draft.status == DraftStatus.SUBMITTED and draft.fields == {"title": "Reading dogs"}
        assert authoring.fingerprint(draft) == before  # the reviewer approves the same text
        # a save that sends the old key changes nothing of the status and does not store it
        writer = db.session.get(User, author)
        assert writer is not None
        assert authoring.save(draft, writer, {"title": "Reading dogs", "submitted": False}) is False
        assert draft.status == DraftStatus.SUBMITTED and "submitted" not in draft.fields
        assert authoring.save(draft, writer, {"title": "Reading dogs on Fridays"}) is True
        assert draft.status == DraftStatus.WRITING


def test_the_migration_gives_each_existing_draft_and_report_the_status_it_held(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    stamp = "'2026-01-01 00:00:00+00'"
    old = {1: {"title": "Waiting", "submitted": True},
           2: {"title": "Returned", "submitted": False},
           3: {"title": "Never sent"},
           4: {}}
    with engine.begin() as connection:  # rows as a 0009 database holds them
        connection.execute(text(
            f"INSERT INTO schools (urn, name, establishment_type, phase, is_fictional, updated_at) "
            f"VALUES ({SCHOOL}, 'Priory Fields', 'Community school', 'Primary', false, {stamp})"))
        connection.execute(text(
            f"INSERT INTO users (id, email, name, password_hash, is_admin, password_changed_at, "
            f"session_generation, created_at) VALUES (1, 'a@example.org', 'A', 'x', false, {stamp}, 0, {stamp})"))
        for draft_id, fields in old.items():
            connection.execute(text(
                f"INSERT INTO drafts (id, school_urn, fields, change_note, created_by, updated_by, created_at, "
                f"updated_at) VALUES ({draft_id}, {SCHOOL}, :fields, '', 1, 1, {stamp}, {stamp})"),
                {"fields": json.dumps(fields)})
        connection.execute(text(
            f"INSERT INTO case_studies (id, slug, school_urn, title, summary, topics, start_year, end_year, "
            f"evidence_strength, authors, status, licence, school_snapshot, open_to, impact_table, created_at, "
            f"updated_at, withdrawn_reason, withdrawn_by_admin) VALUES (1, 'reported', {SCHOOL}, 'T', 'S', '[]', "
            f"2024, 2024, 'self-reported', '[]', 'published', 'CC-BY-4.0', '{{}}', '[]', '[]', {stamp}, {stamp}, "
            f"'', false)"))
        for report_id, resolved in ((1, "true"), (2, "false")):
            connection.execute(text(f"INSERT INTO reports (id, case_study_id, reason, resolved, created_at) "
                                    f"VALUES ({report_id}, 1, 'Names a pupil.', {resolved}, {stamp})"))
    upgrade(engine)
    with engine.begin() as connection:
        rows = {i: (status, json.loads(fields) if isinstance(fields, str) else fields) for i, status, fields in
                connection.execute(text("SELECT id, status, fields FROM drafts ORDER BY id"))}
        assert rows == {1: ("submitted", {"title": "Waiting"}), 2: ("writing", {"title": "Returned"}),
                        3: ("writing", {"title": "Never sent"}), 4: ("writing", {})}
        connection.execute(text(  # a row written without a status is being written
            f"INSERT INTO drafts (id, school_urn, fields, change_note, created_by, updated_by, created_at, "
            f"updated_at) VALUES (5, {SCHOOL}, '{{}}', '', 1, 1, {stamp}, {stamp})"))
        assert connection.scalar(text("SELECT status FROM drafts WHERE id = 5")) == "writing"
        assert list(connection.execute(text("SELECT id, status FROM reports ORDER BY id"))) == [
            (1, "resolved"), (2, "open")]
    engine.dispose()


def test_pages_name_each_stored_status_in_words(app: Flask) -> None:
    """The templates compare with the named statuses and look their words up by the stored string."""
    author = make_user(app, "author@example.org", school=SCHOOL)
    with app.app_context():
        for urn, status in ((990012, ClaimStatus.PENDING), (990014, ClaimStatus.REJECTED)):
            db.session.add(Membership(user_id=author, school_urn=urn, status=status, role_at_school="Deputy head"))
        db.session.add(Draft(school_urn=SCHOOL, fields={"title": "Reading dogs"}, status=DraftStatus.SUBMITTED,
                             created_by=author, updated_by=author))
        db.session.add(Draft(school_urn=SCHOOL, fields={"title": "Phonics"}, created_by=author, updated_by=author))
        db.session.commit()
    client = client_for(app, "author")
    claims = client.get("/account/schools").get_data(as_text=True)
    assert claims.count("you can write for this school") == 1 and claims.count("waiting to be confirmed") == 1
    assert claims.count("not confirmed<") == 1
    dashboard = client.get("/author").get_data(as_text=True)
    waiting = [line for line in dashboard.split("<li>") if "waiting for review" in line]
    assert len(waiting) == 1 and "Reading dogs" in waiting[0]
