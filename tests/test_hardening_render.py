"""Hardening of rendering, reports and reading pages: each test is named after the defect it keeps fixed.

3: Markdown rendering took time quadratic in runs of brackets; the preview is rate-limited; published
   text is rendered once, at publish, and pages serve the stored HTML.
25: anonymous reports were unlimited.
10: GET requests that note something ("seen", "last used") failed while others wrote.
"""

import html
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from commons.db import db
from commons.domain import rendering
from commons.domain.rendering import MAX_RENDERED_CHARS, RENDERER_VERSION, render_markdown
from commons.models import ApiToken, CaseStudy, Follow, Passage, Report, User
from commons.services import api_tokens, rate_limits
from tests import samples
from tests.accounts import client_for, csrf_token, make_user

SCHOOL = 990003


def test_defect_03_brackets_render_as_escaped_text() -> None:
    for count in (4_000, 20_000):
        rendered = str(render_markdown("[" * count))
        assert rendered == "<p>" + "[" * count + "</p>"
    assert str(render_markdown("a [link](https://example.org) and [" * 500)).count("<a ") == 500
    cut = str(render_markdown("x" * (MAX_RENDERED_CHARS + 5_000)))
    assert cut == "<p>" + "x" * MAX_RENDERED_CHARS + "</p>"  # no field the editor takes is longer


def test_defect_03_the_preview_renders_brackets_and_is_rate_limited(app: Flask) -> None:
    make_user(app, "author@example.org", school=SCHOOL)
    author = client_for(app, "author")
    token = csrf_token(author)
    first = author.post("/author/preview", data={"csrf_token": token, "markdown": "[" * 20_000})
    assert first.status_code == 200 and first.get_json()["html"] == "<p>" + "[" * 20_000 + "</p>"
    for _ in range(rate_limits.PREVIEW.most - 1):
        assert author.post("/author/preview", data={"csrf_token": token, "markdown": "*hi*"}).status_code == 200
    refused = author.post("/author/preview", data={"csrf_token": token, "markdown": "*hi*"})
    assert refused.status_code == 429 and "Too many previews" in refused.get_json()["error"]


def test_defect_03_a_published_section_of_brackets_renders(app: Flask, runner: Any, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "brackets", urn=SCHOOL, sections={"challenge": "[" * 4_000})
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    page = app.test_client().get("/case-studies/brackets")
    assert page.status_code == 200 and "[" * 4_000 in page.get_data(as_text=True)


def _passages(app: Flask, slug: str) -> list[tuple[int, str, str | None, str | None]]:
    with app.app_context():
        return [(p.id, p.markdown, p.html, p.renderer_version) for p in db.session.scalars(
            select(Passage).join(CaseStudy).where(CaseStudy.slug == slug).order_by(Passage.position))]


def _renderer_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("rendered on a view")

    monkeypatch.setattr(rendering._PARSER, "render", refuse)
    monkeypatch.setattr(rendering.nh3, "clean", refuse)


def test_defect_03_published_text_is_rendered_once_and_the_page_serves_the_stored_html(
        app: Flask, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples.write(tmp_path / "in", "stored", urn=SCHOOL,
                  sections={"challenge": "Boys *stopped* reading. <script>alert(1)</script>[a](javascript:x)"})
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    stored = _passages(app, "stored")
    assert stored
    for _, markdown, html_, version in stored:
        assert html_ == str(render_markdown(markdown)) and version == RENDERER_VERSION
    challenge = next(html_ for _, markdown, html_, _ in stored if "stopped" in markdown)
    assert challenge is not None and "<em>stopped</em>" in challenge
    assert "<script" not in challenge and "alert(1)" not in challenge and "href=\"javascript" not in challenge

    _renderer_refuses(monkeypatch)
    page = app.test_client().get("/case-studies/stored")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert all(html_ in body for _, _, html_, _ in stored)


def test_defect_03_html_from_before_or_from_an_older_renderer_is_rendered_once_then_stored(
        app: Flask, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples.write(tmp_path / "in", "older", urn=SCHOOL, sections={"challenge": "Boys *stopped* reading."})
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    [first, *rest] = _passages(app, "older")
    with app.app_context():  # one passage from before HTML was stored, the rest from an older renderer
        db.session.get(Passage, first[0]).html = None
        for passage_id, *_ in rest:
            db.session.get(Passage, passage_id).renderer_version = "1; python-markdown"
            db.session.get(Passage, passage_id).html = "<p>stale</p>"
        db.session.commit()
    page = app.test_client().get("/case-studies/older")
    assert page.status_code == 200 and "stale" not in page.get_data(as_text=True)
    refreshed = _passages(app, "older")
    assert all(html_ == str(render_markdown(markdown)) and version == RENDERER_VERSION
               for _, markdown, html_, version in refreshed)
    _renderer_refuses(monkeypatch)  # kept: the next view renders nothing
    assert app.test_client().get("/case-studies/older").status_code == 200


def test_defect_25_reports_are_rate_limited(app: Flask, runner: Any, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "reported", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    anonymous = app.test_client()
    report = {"csrf_token": csrf_token(anonymous), "reason": "Names a pupil."}
    for _ in range(rate_limits.REPORT.most):
        assert anonymous.post("/case-studies/reported/report", data=report).status_code == 200
    refused = anonymous.post("/case-studies/reported/report", data=report)
    assert refused.status_code == 429
    assert html.escape(rate_limits.REPORT.message, quote=False) in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Report)).all()) == rate_limits.REPORT.most
    make_user(app, "reader@example.org")
    reader = client_for(app, "reader")  # a signed-in reader is counted as themselves
    assert reader.post("/case-studies/reported/report",
                       data={"csrf_token": csrf_token(reader), "reason": "Out of date."}).status_code == 200


def _sqlite_file(app: Flask) -> str:
    url = str(app.config["COMMONS_DATABASE_URL"])
    if not url.startswith("sqlite:///"):
        pytest.skip("the lock is SQLite's")
    return url.removeprefix("sqlite:///")


def _another_writer_commits(path: str) -> None:
    """What a concurrent request saving a draft does to a reader's snapshot: commit a write."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("INSERT INTO login_attempts (key, at) VALUES ('elsewhere', '2026-01-01 00:00:00')")
    finally:
        other.close()


@contextmanager
def _a_write_lands_before_the_first_flush(path: str) -> Iterator[None]:
    fired: list[bool] = []

    def commit_elsewhere(_session: Session, _context: Any, _instances: Any) -> None:
        if not fired:
            fired.append(True)
            _another_writer_commits(path)

    event.listen(Session, "before_flush", commit_elsewhere)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", commit_elsewhere)


def test_defect_10_following_survives_a_concurrent_writer(app: Flask) -> None:
    path = _sqlite_file(app)
    make_user(app, "reader@example.org")
    reader: FlaskClient = client_for(app, "reader")
    assert reader.post("/follow", data={"csrf_token": csrf_token(reader), "kind": "topic",
                                        "target": "attendance"}).status_code == 303
    with app.app_context():
        before = db.session.scalars(select(Follow.last_seen_at)).one()

    def write_while_rendering(*_args: Any, **_kwargs: Any) -> None:
        _another_writer_commits(path)  # after the page's reads, before it notes what was seen

    with template_rendered.connected_to(write_while_rendering, app):
        page = reader.get("/following")
    assert page.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Follow.last_seen_at)).one() > before  # and it was noted


def test_defect_10_a_token_read_survives_a_concurrent_writer(app: Flask) -> None:
    path = _sqlite_file(app)
    user_id = make_user(app, "reader@example.org")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        secret = api_tokens.create(db.session, user, "Probe", ["read"]).secret
        db.session.commit()
    with _a_write_lands_before_the_first_flush(path):
        answer = app.test_client().get("/api/v1/case-studies", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(ApiToken.last_used_at)).one() is not None
