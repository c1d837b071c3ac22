"""Hubs and collections: who may curate what, ordering with and without JavaScript, feeds."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.domain.errors import Invalid
from commons.models import CaseStudy, Collection, Hub, User
from commons.services import collections
from tests import samples
from tests.accounts import client_for, csrf_token, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
ROLES = ["anonymous", "reader", "curator-a", "curator-b", "manager-a", "admin"]


@pytest.fixture
def hubs(app: Flask, runner, tmp_path: Path) -> dict[str, object]:
    """Hub A has a draft collection of two case studies; hub B has its own curator."""
    for slug in ("first-study", "second-study", "third-study"):
        samples.write(tmp_path / "in", slug, title=f'"{slug.replace("-", " ").title()}"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    ids = {role: make_user(app, f"{role}@example.org", admin=role == "admin") for role in ROLES[1:]}
    with app.app_context():
        user = lambda role: db.session.get(User, ids[role])  # noqa: E731
        hub_a = collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub", user("admin"))
        collections.set_member(db.session, hub_a, user("manager-a"), "manager")
        hub_b = collections.create_hub(db.session, "Coast Trust", "trust", user("curator-b"))
        collections.set_member(db.session, hub_a, user("curator-a"), "curator")
        collection = collections.create_collection(db.session, hub_a, "Attendance in small schools")
        for slug in ("first-study", "second-study"):
            study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
            collections.add_item(db.session, collection, study)
        db.session.commit()
        return {"collection": collection.slug, "hub_a": hub_a.slug, "hub_b": hub_b.slug}


def test_a_hub_keeps_one_owner(app: Flask, hubs: dict) -> None:
    with app.app_context():
        hub = db.session.scalar(select(Hub).where(Hub.slug == hubs["hub_a"]))
        owner = next(m.user for m in hub.members if m.role == "owner")
        with pytest.raises(Invalid, match="at least one owner"):
            collections.set_member(db.session, hub, owner, None)


CURATE = {"curator-a", "manager-a", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_and_curate_a_collection(app: Flask, hubs: dict, role: str) -> None:
    client = client_for(app, role)
    slug = hubs["collection"]
    token = csrf_token(client) if role != "anonymous" else ""
    seen = client.get(f"/collections/{slug}").status_code
    assert seen == (200 if role in CURATE else 404)  # a draft collection is private to its hub
    attempts = [
        client.post(f"/collections/{slug}", data={"csrf_token": token, "title": "Hijacked", "status": "published"}),
        client.post("/collection-items", data={"csrf_token": token, "collection": slug, "case_study": "third-study"}),
        client.post(f"/hubs/{hubs['hub_a']}/collections", data={"csrf_token": token, "title": "Another"}),
    ]
    with app.app_context():
        collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
        changed = collection.title == "Hijacked" or len(collection.items) == 3 or len(collection.hub.collections) == 2
        if role in CURATE:
            assert all(a.status_code == 303 for a in attempts) and changed
        else:
            assert all(a.status_code in (400, 403, 404) for a in attempts)  # 400: no session, no CSRF token
            assert not changed
            if role != "anonymous":
                assert all(a.status_code in (403, 404) for a in attempts)


def test_curating_reorder_notes_publish_and_feed(app: Flask, hubs: dict) -> None:
    curator = client_for(app, "curator-a")
    token = csrf_token(curator)
    slug = hubs["collection"]
    with app.app_context():
        items = [i.id for i in db.session.scalar(select(Collection).where(Collection.slug == slug)).items]
    curator.post(f"/collections/{slug}/items/{items[1]}", data={"csrf_token": token, "action": "up"})  # no-JS reorder
    curator.post(f"/collections/{slug}/items/{items[0]}", data={"csrf_token": token, "action": "note",
                                                               "note": "Read this one for the breakfast club."})
    bad = curator.post(f"/collections/{slug}/order", data={"csrf_token": token, "item": [str(items[0])]})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_order"
    curator.post(f"/collections/{slug}", data={"csrf_token": token, "title": "Attendance in small schools",
                                               "status": "published", "featured": "yes"})
    reader = app.test_client()
    page = reader.get(f"/collections/{slug}").get_data(as_text=True)
    assert page.index("Second Study") < page.index("First Study")
    assert "Read this one for the breakfast club." in page
    assert "Attendance in small schools" in reader.get("/").get_data(as_text=True)  # featured on the home page
    feed = ET.fromstring(reader.get(f"/feeds/collection/{slug}.atom").data)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Second Study", "First Study"]
    order = {"csrf_token": token, "item": [str(i) for i in items]}
    assert curator.post(f"/collections/{slug}/order", data=order).status_code == 200
    assert reader.get(f"/collections/{slug}").get_data(as_text=True).index("First Study") < \
        reader.get(f"/collections/{slug}").get_data(as_text=True).index("Second Study")


def test_following_marks_what_is_new_and_every_follow_has_a_feed(app: Flask, hubs: dict) -> None:
    curator = client_for(app, "curator-a")
    token = csrf_token(curator)
    slug = hubs["collection"]
    curator.post(f"/collections/{slug}", data={"csrf_token": token, "title": "Attendance in small schools",
                                               "status": "published"})
    reader = client_for(app, "reader")
    reader_token = csrf_token(reader)
    for kind, target in (("collection", slug), ("hub", hubs["hub_a"]), ("school", "990003"), ("topic", "attendance"),
                         ("search", "q=breakfast+club+attendance&phase=primary")):
        follow = {"csrf_token": reader_token, "kind": kind, "target": target}
        assert reader.post("/follow", data=follow).status_code == 303
    refused = reader.post("/follow", data={"csrf_token": reader_token, "kind": "collection", "target": "no-such"},
                          follow_redirects=True)
    assert "cannot be followed" in refused.get_data(as_text=True)
    first = reader.get("/following").get_data(as_text=True)
    assert "Attendance in small schools" in first and "new since your last visit" not in first  # all seen when followed
    curator.post("/collection-items", data={"csrf_token": token, "collection": slug, "case_study": "third-study"})
    second = reader.get("/following").get_data(as_text=True)
    heading = "Attendance in small schools (Fells Teaching School Hub)"
    section = next(part for part in second.split('<section class="following"')
                   if "<h2" in part and heading in part.split("</h2>")[0])
    assert "1 new since your last visit" in section and "Third Study" in section
    for url in (f"/feeds/collection/{slug}.atom", f"/feeds/hub/{hubs['hub_a']}.atom", "/feeds/school/990003.atom",
                "/feeds/topic/attendance.atom", "/feeds/search.atom?q=breakfast+club+attendance&phase=primary"):
        response = reader.get(url)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml", url
        assert ET.fromstring(response.data).findall(f"{ATOM}entry"), url
    assert app.test_client().get("/feeds/search.atom?q=x&phase=nonsense").status_code == 400
