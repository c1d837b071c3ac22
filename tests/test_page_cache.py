"""Public pages without repeated work: the home page, the topic index and the listings are rendered once per
change of the commons for anonymous visitors, and never kept for anyone with something personal on the page."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from sqlalchemy import select

from commons.db import db
from commons.domain.case_study_format import parse
from commons.models import AuthorQuestion, CaseStudy, Report, User
from commons.services import browsing, collections, publishing
from commons.services.demo import load_demo
from commons.web import pages
from commons.web.page_cache import PageCache, cached_page, page_cache
from indexer import Embedder
from tests import samples
from tests.accounts import client_for, csrf_token, make_user, sign_in

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")
NEW_TITLE = "Lanterns and ledgers: a fresh attendance plan"


@pytest.fixture
def demo(app: Flask, app_embedder: Embedder) -> Flask:
    with app.app_context():
        load_demo(db.session, app_embedder)
    return app


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count the calls of ``owner.name`` (still calling it)."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _publish_new(app: Flask, embedder: Embedder) -> None:
    with app.app_context():
        text = samples.source("lanterns-and-ledgers", title=f'"{NEW_TITLE}"', published="2099-01-01")
        publishing.publish_all(db.session, [parse(text, "lanterns-and-ledgers", "lanterns-and-ledgers")], embedder)
        db.session.commit()


def test_an_anonymous_second_request_is_served_from_the_cache_with_its_security_headers(
        demo: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = _counting(monkeypatch, pages, "render_template")
    counted = _counting(monkeypatch, browsing, "topic_counts")
    listed = _counting(monkeypatch, browsing, "browse")
    client = demo.test_client()
    for path, calls in (("/", rendered), ("/topics", counted), ("/topics/reading", listed),
                        ("/case-studies", listed)):
        before = len(calls)
        first, second = client.get(path), client.get(path)
        assert first.status_code == second.status_code == 200
        assert second.get_data() == first.get_data()
        assert len(calls) == before + 1, path  # the second came from the cache
        for header in SECURITY_HEADERS:
            assert second.headers[header] == first.headers[header], (path, header)
        assert "Set-Cookie" not in second.headers
    assert demo.test_client().get("/").get_data() == client.get("/").get_data()  # another visitor: the same page
    assert len(rendered) == 1
    client.get("/topics/reading?page=2")  # another query string is another page
    assert len(listed) == 3


def test_a_publish_a_withdrawal_and_a_featured_collection_show_on_the_next_request(
        demo: Flask, app_embedder: Embedder) -> None:
    client = demo.test_client()
    pages_before = {path: client.get(path).get_data(as_text=True) for path in ("/", "/topics/attendance",
                                                                                "/case-studies", "/topics")}
    assert all(NEW_TITLE not in page for page in pages_before.values())
    _publish_new(demo, app_embedder)
    for path in ("/", "/topics/attendance", "/case-studies"):
        assert NEW_TITLE in client.get(path).get_data(as_text=True), path
    assert client.get("/topics").get_data(as_text=True) != pages_before["/topics"]  # one more on attendance
    with demo.app_context():
        found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "lanterns-and-ledgers"))
        publishing.withdraw(db.session, found, reason="Published by mistake.")
        db.session.commit()
    for path in ("/", "/topics/attendance", "/case-studies"):
        assert NEW_TITLE not in client.get(path).get_data(as_text=True), path
    assert client.get("/topics").get_data() == pages_before["/topics"].encode()

    make_user(demo, "curator@example.org")
    with demo.app_context():
        owner = db.session.scalar(select(User).where(User.email == "curator@example.org"))
        hub = collections.create_hub(db.session, "Fenland Teaching School Hub", "teaching-school-hub", owner)
        collection = collections.create_collection(db.session, hub, "Mornings that bring pupils in")
        db.session.commit()
    assert "Mornings that bring pupils in" not in client.get("/").get_data(as_text=True)  # a draft is not shown
    with demo.app_context():
        collection = db.session.merge(collection)
        collections.update_collection(collection, collection.title, "", published=True, featured=True)
        db.session.commit()
    assert "Mornings that bring pupils in" in client.get("/").get_data(as_text=True)


def test_signed_in_readers_and_visitors_with_a_school_or_a_message_are_never_served_or_stored(
        demo: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = demo.test_client()
    assert "Sign out" not in anonymous.get("/").get_data(as_text=True)  # the anonymous page is now cached
    rendered = _counting(monkeypatch, pages, "render_template")
    make_user(demo, "reader@example.org")
    reader = client_for(demo, "reader")
    for _ in range(2):
        page = reader.get("/")
        assert "Sign out" in page.get_data(as_text=True) and 'name="csrf_token"' in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-store"
    assert len(rendered) == 2  # rendered for each signed-in request, never from the cache
    listing = reader.get("/topics/reading").get_data(as_text=True)
    assert "Follow this topic" in listing
    assert "Follow this topic" not in anonymous.get("/topics/reading").get_data(as_text=True)
    assert "Sign out" not in anonymous.get("/").get_data(as_text=True)

    with_school = demo.test_client()
    with with_school.session_transaction() as session:
        session["reader"] = {"urn": 990003}
    for _ in range(2):
        assert "Most comparable to your school first" in with_school.get("/topics/reading").get_data(as_text=True)
    assert "Most comparable to your school first" not in anonymous.get("/topics/reading").get_data(as_text=True)

    flashed = demo.test_client()
    with flashed.session_transaction() as session:
        session["_flashes"] = [("ok", "Your school was forgotten.")]
    before = len(rendered)
    assert "Your school was forgotten." in flashed.get("/").get_data(as_text=True)
    assert len(rendered) == before + 1
    assert "Your school was forgotten." not in anonymous.get("/").get_data(as_text=True)
    assert "Your school was forgotten." not in flashed.get("/").get_data(as_text=True)  # shown once


def test_the_cache_is_bounded_and_its_pages_expire() -> None:
    now = [0.0]
    cache = PageCache(size=3, ttl=60.0, clock=lambda: now[0])
    for number in range(5):
        cache.put(number, b"page %d" % number, 200, "text/html")
    assert len(cache) == 3 and cache.get(0) is None and cache.get(1) is None
    assert cache.get(2) is not None  # used: now the newest
    cache.put(5, b"page 5", 200, "text/html")
    assert cache.get(3) is None and cache.get(2) is not None
    now[0] = 61.0
    assert cache.get(2) is None and len(cache) == 2


def test_only_plain_pages_are_stored_never_a_form_token_or_a_refusal(demo: Flask) -> None:
    def with_a_form() -> str:
        return render_template_string('<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>')

    demo.add_url_rule("/a-page-with-a-form", view_func=cached_page(with_a_form))
    client = demo.test_client()
    assert client.get("/").status_code == 200 and client.get("/topics").status_code == 200
    assert client.get("/topics/reading?page=nine").status_code == 400  # the problem is shown, not kept
    assert client.get("/topics/no-such-topic").status_code == 404
    first = client.get("/a-page-with-a-form").get_data(as_text=True)
    assert 'name="csrf_token"' in first
    with demo.app_context():
        assert len(page_cache(demo)) == 2  # the home page and the topic index only


HEAD, TEACHER = "head@fellside.example", "teacher@asker.example"
QUESTION = "Who staffed the breakfast club before eight each morning, and how was it paid for?"
REPLY = "Two teaching assistants on a rota, paid for the extra half hour from the pupil premium."
PAGE = "/case-studies/breakfast-club"


@pytest.fixture
def one_study(app: Flask, runner: Any, tmp_path: Path) -> Flask:
    samples.write(tmp_path / "in", "breakfast-club", urn=990003)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    return app


def test_an_anonymous_case_study_page_is_kept_with_no_token_and_a_revision_or_withdrawal_shows_at_once(
        one_study: Flask, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = one_study
    rendered = _counting(monkeypatch, pages, "render_template")
    related = _counting(monkeypatch, pages, "more_like_this")
    visitor = app.test_client()
    first, second = visitor.get(PAGE), visitor.get(PAGE)
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()
    assert len(rendered) == len(related) == 1  # the second came from the cache
    for response in (first, second):
        assert "Set-Cookie" not in response.headers  # no session was started for the visitor
        for header in SECURITY_HEADERS:
            assert header in response.headers
    page = first.get_data(as_text=True)
    assert "csrf_token" not in page and "Sign out" not in page
    assert visitor.get_cookie("session") is None
    assert app.test_client().get(PAGE).get_data() == first.get_data() and len(rendered) == 1  # another visitor

    # the journey a form would have offered is a link away: report a problem, without an account
    assert f'href="{PAGE}/report"' in page
    form = visitor.get(f"{PAGE}/report")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))
    assert form.status_code == 200 and token is not None
    refused = visitor.post(f"{PAGE}/report", data={"csrf_token": token.group(1), "reason": "  "})
    assert refused.status_code == 400 and "Say what the problem is" in refused.get_data(as_text=True)
    sent = visitor.post(f"{PAGE}/report", data={"csrf_token": token.group(1), "reason": "Names a pupil."})
    assert sent.status_code == 200 and "An administrator will look at your report." in sent.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Report.reason)).all() == ["Names a pupil."]
    assert visitor.get(PAGE).get_data() == first.get_data()  # a visitor with a session: still the kept page

    samples.write(tmp_path / "in", "breakfast-club", urn=990003, title=f'"{NEW_TITLE}"')
    assert runner.invoke(args=["import", "--update", str(tmp_path / "in")]).exit_code == 0
    revised = visitor.get(PAGE).get_data(as_text=True)
    assert NEW_TITLE in revised and "History (2 revisions)" in revised and len(rendered) == 2
    with app.app_context():
        found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "breakfast-club"))
        publishing.withdraw(db.session, found, reason="Published by mistake.")
        db.session.commit()
    withdrawn = visitor.get(PAGE)
    assert withdrawn.status_code == 410 and "withdrawn" in withdrawn.get_data(as_text=True).lower()


def test_an_author_joining_and_an_answer_shown_change_the_anonymous_case_study_page_at_once(one_study: Flask) -> None:
    app = one_study
    visitor = app.test_client()
    assert "writes on the Commons yet" in visitor.get(PAGE).get_data(as_text=True)
    make_user(app, HEAD, school=990003, name="Ann Example")
    assert "Sign in to ask the school" in visitor.get(PAGE).get_data(as_text=True)

    make_user(app, TEACHER, name="Tom Teacher")
    teacher, head = app.test_client(), app.test_client()
    sign_in(teacher, TEACHER)
    sign_in(head, HEAD)
    asked = teacher.post(f"{PAGE}/ask", data={"csrf_token": csrf_token(teacher), "body": QUESTION, "share": "yes"})
    assert asked.status_code == 303
    with app.app_context():
        question = db.session.scalars(select(AuthorQuestion.id)).one()
    assert head.post(f"/questions/{question}/reply",
                     data={"csrf_token": csrf_token(head), "reply": REPLY}).status_code == 303
    assert REPLY not in visitor.get(PAGE).get_data(as_text=True)  # replied, not yet shown on the page
    assert head.post(f"/questions/{question}/publish", data={"csrf_token": csrf_token(head)}).status_code == 303
    assert REPLY in visitor.get(PAGE).get_data(as_text=True)
    head.post(f"/questions/{question}/unpublish", data={"csrf_token": csrf_token(head)})
    assert REPLY not in visitor.get(PAGE).get_data(as_text=True)


def test_signed_in_readers_and_readers_with_a_school_get_the_full_case_study_page_every_time(
        one_study: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    app = one_study
    anonymous = app.test_client().get(PAGE).get_data(as_text=True)
    rendered = _counting(monkeypatch, pages, "render_template")
    make_user(app, "reader@example.org", name="Rita Reader")
    reader = client_for(app, "reader")
    for _ in range(2):
        response = reader.get(PAGE)
        page = response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        assert "Sign out" in page and '<details class="report">' in page
        assert re.search(rf'action="{PAGE}/report">\s*<input type="hidden" name="csrf_token"', page)
    assert len(rendered) == 2
    assert app.test_client().get(PAGE).get_data(as_text=True) == anonymous  # the kept copy holds nothing of theirs

    with_school = app.test_client()
    with with_school.session_transaction() as session:
        session["reader"] = {"urn": 990001}
    for _ in range(2):
        assert "differed from your school" in with_school.get(PAGE).get_data(as_text=True)
    assert len(rendered) == 4
    assert "differed from your school" not in app.test_client().get(PAGE).get_data(as_text=True)
