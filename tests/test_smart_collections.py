"""Smart collections: a saved question and filters whose case studies are that search's results now.

Every test here searches with the real model (the ``app`` fixture's embedder).
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import Collection, User
from commons.search.extension import search_index
from commons.services import collections
from tests import samples
from tests.accounts import client_for, csrf_token, make_user

pytestmark = pytest.mark.slow  # search behaviour: the real model

ATOM = "{http://www.w3.org/2005/Atom}"
ROLES = ["anonymous", "reader", "curator-a", "curator-b", "manager-a", "admin"]
READING = {
    "context": "We are a three-class village primary where few boys read at home.",
    "challenge": "Only a third of boys in Key Stage 2 said they enjoyed reading for pleasure.",
    "what-we-did": "We rebuilt the library around the boys' own choices and gave every class a daily story time.",
    "active-ingredients": "Books the pupils chose themselves, and an adult reading aloud every day.",
    "expertise": "A reading lead who knows children's books well.",
    "impact": "Boys who said they enjoyed reading rose from 33% to 61% (2023/24, 48 pupils).",
    "cost-and-time": "About £1,500 of books and an hour a week of the reading lead's time.",
    "do-differently": "We would ask parents to share their own reading sooner.",
}


def write_reading(folder: Path, slug: str, title: str, urn: int = 990003) -> None:
    samples.write(folder, slug, urn=urn, title=f'"{title}"', topics="[reading]", sections=READING,
                  summary='"Boys chose the books and read for pleasure."')


@pytest.fixture
def world(app: Flask, runner, tmp_path: Path) -> dict[str, str]:
    """Two reading case studies and one on attendance; hub A (curator, manager) and hub B (its own curator)."""
    write_reading(tmp_path / "in", "boys-reading-for-pleasure", "Getting boys reading for pleasure")
    write_reading(tmp_path / "in", "story-time-every-day", "Story time every day", urn=990012)
    samples.write(tmp_path / "in", "breakfast-calls")
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    ids = {role: make_user(app, f"{role}@example.org", admin=role == "admin") for role in ROLES[1:]}
    with app.app_context():
        user = lambda role: db.session.get(User, ids[role])  # noqa: E731
        hub_a = collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub", user("admin"))
        collections.set_member(db.session, hub_a, user("manager-a"), "manager")
        collections.set_member(db.session, hub_a, user("curator-a"), "curator")
        hub_b = collections.create_hub(db.session, "Coast Trust", "trust", user("curator-b"))
        smart = collections.create_smart_collection(db.session, hub_a, "Reading for pleasure",
                                                    "q=boys+reading+for+pleasure&topic=reading")
        db.session.commit()
        return {"hub_a": hub_a.slug, "hub_b": hub_b.slug, "smart": smart.slug}


def _collection(slug: str) -> Collection:
    found = db.session.scalar(select(Collection).where(Collection.slug == slug))
    assert found is not None
    return found


def test_a_smart_collection_updates_itself_on_its_page_feed_follow_and_api(app: Flask, world: dict, runner,
                                                                          tmp_path: Path) -> None:
    curator = client_for(app, "curator-a")
    token = csrf_token(curator)
    results = curator.get("/search?q=boys+reading+for+pleasure&topic=reading&context=4").get_data(as_text=True)
    assert "Save as a smart collection" in results
    assert "Save as a smart collection" not in client_for(app, "reader").get("/search?q=reading").get_data(as_text=True)
    saved = curator.post("/smart-collections", data={
        "csrf_token": token, "hub": world["hub_a"], "title": "Boys and books",
        "smart_query": "q=boys+reading+for+pleasure&topic=reading&context=4"})
    assert saved.status_code == 303
    slug = saved.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():  # kept in the saved-search form: question and filters, not the reader's context
        assert _collection(slug).smart_query == "q=boys+reading+for+pleasure&topic=reading"
        assert _collection(slug).items == []
    published = curator.post(f"/collections/{slug}", data={
        "csrf_token": token, "title": "Boys and books", "status": "published",
        "q": "boys reading for pleasure", "topic": "reading", "limit": "5"})
    assert published.status_code == 303
    with app.app_context():
        assert _collection(slug).status == "published" and _collection(slug).smart_limit == 5

    reader = client_for(app, "reader")
    page = reader.get(f"/collections/{slug}").get_data(as_text=True)
    assert "This collection updates itself" in page and "boys reading for pleasure" in page and "topic: Reading" in page
    assert "Getting boys reading for pleasure" in page and "Story time every day" in page
    assert "Breakfast and a phone call" not in page  # the topic filter keeps it out
    assert "Move up" not in page and "Curator's note" not in page
    reader_token = csrf_token(reader)
    follow = {"csrf_token": reader_token, "kind": "collection", "target": slug}
    assert reader.post("/follow", data=follow).status_code == 303
    assert "new since your last visit" not in reader.get("/following").get_data(as_text=True)

    write_reading(tmp_path / "new", "reading-buddies", "Reading buddies for reluctant boys", urn=990014)
    assert runner.invoke(args=["import", str(tmp_path / "new")]).exit_code == 0

    assert "Reading buddies for reluctant boys" in reader.get(f"/collections/{slug}").get_data(as_text=True)
    feed = ET.fromstring(reader.get(f"/feeds/collection/{slug}.atom").data)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles[0] == "Reading buddies for reluctant boys"
    assert "Breakfast and a phone call: attendance in a village school" not in titles
    following = reader.get("/following").get_data(as_text=True)
    assert "1 new since your last visit" in following and "Reading buddies for reluctant boys" in following
    hub_feed = ET.fromstring(reader.get(f"/feeds/hub/{world['hub_a']}.atom").data)
    hub_titles = [e.find(f"{ATOM}title").text for e in hub_feed.findall(f"{ATOM}entry")]
    assert "Reading buddies for reluctant boys" in hub_titles

    api = reader.get(f"/api/v1/collections/{slug}").get_json()
    assert api["smart_query"] == "q=boys+reading+for+pleasure&topic=reading"
    assert {i["slug"] for i in api["items"]} == {"boys-reading-for-pleasure", "story-time-every-day", "reading-buddies"}
    assert [i["position"] for i in api["items"]] == [1, 2, 3]
    assert "updates itself" in reader.get(f"/hubs/{world['hub_a']}").get_data(as_text=True)


def test_a_smart_collection_shows_at_most_its_limit_in_relevance_order(app: Flask, world: dict) -> None:
    with app.app_context():
        collection = _collection(world["smart"])
        collections.update_smart_search(collection, "q=boys+reading+for+pleasure", 1)
        db.session.commit()
        studies = collections.current_case_studies(db.session, search_index.state, collection)
        assert [c.slug for c in studies] == ["boys-reading-for-pleasure"]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_start_and_change_a_smart_collection(app: Flask, world: dict, role: str) -> None:
    client = client_for(app, role)
    token = csrf_token(client) if role != "anonymous" else ""
    slug = world["smart"]
    seen = client.get(f"/collections/{slug}").status_code
    attempts = [
        client.post(f"/collections/{slug}", data={"csrf_token": token, "title": "Hijacked", "status": "published",
                                                  "q": "maths", "limit": "3"}),
        client.post("/smart-collections", data={"csrf_token": token, "hub": world["hub_a"], "title": "Another",
                                                "smart_query": "q=attendance"}),
    ]
    allowed = role in {"curator-a", "manager-a", "admin"}
    assert seen == (200 if allowed else 404)  # a draft collection is private to its hub
    with app.app_context():
        collection = _collection(slug)
        changed = (collection.title == "Hijacked", collection.smart_query == "q=maths",
                   collection.status == "published", len(collection.hub.collections) == 2)
        if allowed:
            assert all(a.status_code == 303 for a in attempts) and all(changed)
        else:
            assert not any(changed)
            assert all(a.status_code in ((400, 403, 404) if role == "anonymous" else (403, 404)) for a in attempts)


def test_hand_curating_tools_do_not_apply_to_a_smart_collection(app: Flask, world: dict) -> None:
    curator = client_for(app, "curator-a")
    token = csrf_token(curator)
    slug = world["smart"]
    page = curator.get(f"/collections/{slug}").get_data(as_text=True)
    assert "do not apply to a smart collection" in page and "Move up" not in page and "collection.js" not in page
    add = {"csrf_token": token, "collection": slug, "case_study": "breakfast-calls"}
    added = curator.post("/collection-items", data=add, follow_redirects=True)
    assert "updates itself from its search" in added.get_data(as_text=True)
    assert curator.post(f"/collections/{slug}/order", data={"csrf_token": token, "item": []}).status_code == 400
    assert curator.post(f"/collections/{slug}/items/1", data={"csrf_token": token, "action": "up"}).status_code == 404
    case_study = curator.get("/case-studies/breakfast-calls").get_data(as_text=True)
    assert f'value="{slug}"' not in case_study  # not offered under "Add to collection"
    with app.app_context():
        assert _collection(slug).items == []


def test_a_smart_collection_needs_a_question_and_known_filters(app: Flask, world: dict) -> None:
    curator = client_for(app, "curator-a")
    token = csrf_token(curator)
    for form, says in (({"q": "", "topic": "reading"}, "Type a question"),
                       ({"q": "reading", "phase": "nonsense"}, "phase"),
                       ({"q": "reading", "limit": "500"}, "from 1 to 50")):
        refused = curator.post("/smart-collections",
                               data={"csrf_token": token, "hub": world["hub_a"], "title": "Bad", **form})
        assert refused.status_code == 400  # the hub page again, with the form as typed
        page = refused.get_data(as_text=True)
        assert 'class="error-message"' in page and says in page
        assert 'id="sc-title" name="title" maxlength="200" value="Bad"' in page
    started = curator.post("/smart-collections", data={"csrf_token": token, "hub": world["hub_a"],
                                                       "title": "From the hub page", "q": "reading for pleasure",
                                                       "phase": "primary", "limit": "4"})
    assert started.status_code == 303
    with app.app_context():
        titles = [c.title for c in db.session.scalars(select(Collection))]
        assert "Bad" not in titles
        made = db.session.scalar(select(Collection).where(Collection.title == "From the hub page"))
        assert made.smart_query == "q=reading+for+pleasure&phase=primary" and made.smart_limit == 4
