"""Browsing without a question: topics, a page per topic, all case studies, filters and paging, web and API."""

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.domain.comparability import context_from_fields
from commons.models import CaseStudy, School
from commons.search.filters import SearchFilters
from commons.services import browsing, schools
from commons.services.demo import load_demo
from indexer import Embedder
from tests.accounts import client_for, csrf_token, make_user

LISTED = re.compile(r'<h3 id="listed-\d+"><a href="/case-studies/([a-z0-9-]+)">')


@pytest.fixture
def demo(app: Flask, app_embedder: Embedder) -> Flask:
    """The demo commons' case studies, published with the app's model (the fast stand-in)."""
    with app.app_context():
        load_demo(db.session, app_embedder)
    return app


def _published(app: Flask, topic: str | None = None) -> list[CaseStudy]:
    with app.app_context():
        rows = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published")
                                  .order_by(CaseStudy.published_on.desc(), CaseStudy.id.desc())).all()
        return [c for c in rows if topic is None or topic in c.topics]


def test_a_topic_page_lists_its_case_studies_newest_first_a_page_at_a_time(demo: Flask) -> None:
    client = demo.test_client()
    expected = [c.slug for c in _published(demo, "send")]
    assert len(expected) > browsing.PER_PAGE  # the topic needs more than one page
    first = client.get("/topics/send")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "<h1>SEND and inclusion</h1>" in page
    assert LISTED.findall(page) == expected[:browsing.PER_PAGE]
    assert f"Showing 1 to {browsing.PER_PAGE} of {len(expected)}" in page
    assert 'href="/topics/send?page=2" rel="next">More results' in page
    second = client.get("/topics/send?page=2").get_data(as_text=True)
    assert LISTED.findall(second) == expected[browsing.PER_PAGE:2 * browsing.PER_PAGE]
    assert 'href="/topics/send" rel="prev">Previous results' in second
    assert "More results" not in second or len(expected) > 2 * browsing.PER_PAGE


def test_the_topic_index_counts_every_topic_and_links_each(demo: Flask) -> None:
    page = demo.test_client().get("/topics").get_data(as_text=True)
    for key in ("reading", "send", "governance"):
        count = len(_published(demo, key))
        assert re.search(rf'<a href="/topics/{key}">[^<]+</a> <span class="meta">{count} case stud', page)
    assert demo.test_client().get("/topics/no-such-topic").status_code == 404


def test_all_case_studies_are_listed_and_filters_work_without_a_question(demo: Flask) -> None:
    client = demo.test_client()
    everything = client.get("/case-studies").get_data(as_text=True)
    assert f"of {len(_published(demo))}" in everything
    filtered = client.get("/case-studies?phase=primary&region=North+East").get_data(as_text=True)
    slugs = LISTED.findall(filtered)
    with demo.app_context():
        wanted = SearchFilters(phase="primary", region="North East")
        expected = [c.slug for c in _published(demo) if wanted.matches(c)]
    assert slugs == expected[:browsing.PER_PAGE] and slugs
    assert 'value="North East" selected' in filtered
    # A search with filters and no question is that listing, not "Type a question".
    answer = client.get("/search?q=&topic=reading")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/case-studies?topic=reading")
    bad = client.get("/case-studies?phase=nonsense")
    assert bad.status_code == 400 and "phase: &#39;nonsense&#39; is not one of" in bad.get_data(as_text=True)
    assert client.get("/case-studies?page=0").status_code == 400
    beyond = client.get("/case-studies?page=50").get_data(as_text=True)
    assert "Back to the first page" in beyond


def test_with_my_school_set_the_most_comparable_come_first_and_say_why(demo: Flask) -> None:
    with demo.app_context():
        reader = schools.context(db.session.get(School, 990003))
        listing = browsing.browse(db.session, SearchFilters(topic="reading"), reader, per_page=50)
        similarity = [(i.comparison.own_school, not i.comparison.blocked, i.comparison.similarity)
                      for i in listing.items if i.comparison is not None]
        assert listing.order == "comparable" and len(similarity) == listing.total
        ranked = [s for own, ok, s in similarity if ok and not own]
        assert ranked == sorted(ranked, reverse=True)
        first = listing.items[0].case_study
        assert first.school_urn == 990003 or listing.items[0].comparison.similarity == max(ranked)
        then = context_from_fields(first.school_snapshot, first.school_urn)
        assert then.phase is not None


def test_every_topic_tag_is_a_link_to_its_topic(demo: Flask) -> None:
    client = demo.test_client()
    one = _published(demo, "reading")[0]
    for path in (f"/case-studies/{one.slug}", "/case-studies?topic=reading", f"/schools/{one.school_urn}"):
        page = client.get(path).get_data(as_text=True)
        assert '<li class="tag tag--link"><a href="/topics/reading">Reading and phonics</a></li>' in page, path
    home = client.get("/").get_data(as_text=True)
    assert home.count('<li class="tag tag--link"><a href="/topics/') >= 6


def test_the_api_lists_case_studies_with_filters_and_pages(demo: Flask) -> None:
    client = demo.test_client()
    expected = [c.slug for c in _published(demo, "send")]
    first = client.get("/api/v1/case-studies?topic=send&limit=5").get_json()
    assert first["total"] == len(expected) and first["order"] == "newest"
    assert [i["slug"] for i in first["items"]] == expected[:5]
    assert first["next"].endswith("/api/v1/case-studies?topic=send&limit=5&page=2")
    second = client.get(first["next"]).get_json()
    assert [i["slug"] for i in second["items"]] == expected[5:10]
    pages = -(-len(expected) // 5)
    last = client.get(f"/api/v1/case-studies?topic=send&limit=5&page={pages}").get_json()
    assert last["next"] is None and [i["slug"] for i in last["items"]] == expected[5 * (pages - 1):]
    compared = client.get("/api/v1/case-studies?school=990003&limit=3").get_json()
    assert compared["order"] == "comparable" and all(i["why"]["line"] for i in compared["items"])
    both = client.get("/api/v1/case-studies?topic=send&limit=5&page=2&offset=1").get_json()
    assert both["offset"] == 6 and [i["slug"] for i in both["items"]] == expected[6:11]
    assert client.get("/api/v1/case-studies?topic=knitting").get_json()["error"] == "bad_filter"
    assert client.get("/api/v1/case-studies?school=1").status_code == 404
    assert all(i["published_on"] <= date.today().isoformat() for i in first["items"])


QUESTION_WITH_MANY_ANSWERS = "/search?q=how+do+schools+improve+reading"


def test_search_answers_have_more_results_too(demo: Flask) -> None:
    client = demo.test_client()
    first = client.get(QUESTION_WITH_MANY_ANSWERS).get_data(as_text=True)
    assert first.count('<article id="answer-') == 10
    more = re.search(r'<a class="pager__link pager__link--more" href="([^"]+)">More results', first)
    assert more is not None and more.group(1).replace("&amp;", "&") == QUESTION_WITH_MANY_ANSWERS + "&page=2#answer-11"
    second = client.get(QUESTION_WITH_MANY_ANSWERS + "&page=2").get_data(as_text=True)
    answers = second.count('<article id="answer-')
    assert 10 < answers <= 20 and 'id="answer-11"' in second
    assert client.get(QUESTION_WITH_MANY_ANSWERS + "&page=999").status_code == 200  # capped, not an error


def test_a_signed_in_reader_can_follow_a_topic_from_its_page(demo: Flask) -> None:
    make_user(demo, "reader@example.org")
    client = client_for(demo, "reader")
    page = client.get("/topics/reading").get_data(as_text=True)
    assert "Follow this topic" in page
    followed = client.post("/follow", data={"csrf_token": csrf_token(client), "kind": "topic", "target": "reading",
                                            "next": "/topics/reading"})
    assert followed.status_code == 303
    assert "Reading and phonics" in client.get("/following").get_data(as_text=True)
    again = client.get("/topics/reading").get_data(as_text=True)  # says so, instead of offering it again
    assert "Follow this topic" not in again and "You follow this." in again and 'href="/following"' in again
    assert "Follow this topic" not in demo.test_client().get("/topics/reading").get_data(as_text=True)


def test_the_sitemap_lists_the_topic_pages(demo: Flask) -> None:
    sitemap = demo.test_client().get("/sitemap.xml").get_data(as_text=True)
    public = demo.config["COMMONS_PUBLIC_URL"].rstrip("/")  # every link is at the one public address
    assert f"<loc>{public}/topics</loc>" in sitemap and f"<loc>{public}/case-studies</loc>" in sitemap
    assert f"<loc>{public}/topics/retrieval-practice</loc>" in sitemap
