"""Curating: no form loses what was typed, "already in this collection", staying at the result
just added, reordering explained, a reader's preview of a draft, and adding from the collection page."""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy, Collection, User
from commons.services import collections
from tests import samples
from tests.accounts import client_for, csrf_token, make_user


@pytest.fixture
def hub(app: Flask, runner, tmp_path: Path) -> dict[str, object]:
    samples.write(tmp_path / "in", "first-study", title='"Breakfast club and a phone call"')
    samples.write(tmp_path / "in", "second-study", title='"Walking buses in winter"',
                  sections={"what-we-did": "Parents led walking buses from the far farms every winter morning."})
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    curator = make_user(app, "curator@example.org")
    make_user(app, "reader@example.org")
    make_user(app, "admin@example.org", admin=True)
    with app.app_context():
        hub = collections.create_hub(db.session, "Fells Hub", "teaching-school-hub", db.session.get(User, curator))
        collection = collections.create_collection(db.session, hub, "Attendance in small schools")
        first = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "first-study"))
        collections.add_item(db.session, collection, first, "Start here.")
        db.session.commit()
        second = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "second-study"))
        return {"collection": collection.slug, "first": first.id, "second": second.id}


def test_creating_a_hub_for_an_owner_without_an_account_keeps_what_was_typed(app: Flask, hub: dict) -> None:
    admin = client_for(app, "admin")
    response = admin.post("/hubs", data={"csrf_token": csrf_token(admin), "name": "Dales Research School",
                                         "kind": "research-school", "owner_email": "nobody@example.org",
                                         "description": "Evidence-led support across the Dales."})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The owner needs an account first" in page
    assert 'value="Dales Research School"' in page and "Evidence-led support across the Dales.</textarea>" in page
    assert 'value="nobody@example.org"' in page and '<option value="research-school" selected>' in page


def test_adding_twice_says_already_and_returns_to_the_result(app: Flask, hub: dict) -> None:
    curator = client_for(app, "curator")
    token = csrf_token(curator)
    back = "/search?q=attendance"
    again = curator.post("/collection-items", data={"csrf_token": token, "collection": hub["collection"],
                                                    "case_study": "first-study", "next": f"{back}#collect-1"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"{back}#collect-1")
    shown = curator.get(again.headers["Location"]).get_data(as_text=True)
    assert "is already in Attendance in small schools" in shown and "Added" not in shown.split("<main")[1][:2000]
    case_study = curator.get("/case-studies/first-study").get_data(as_text=True)
    assert "Already in <a href=\"/collections/attendance-in-small-schools\">" in case_study
    assert f'id="collect-{hub["first"]}"' in case_study and f'#collect-{hub["first"]}"' in case_study
    with app.app_context():
        collection = db.session.scalar(select(Collection).where(Collection.slug == hub["collection"]))
        assert len(collection.items) == 1


def test_the_collection_page_explains_reordering_finds_and_adds(app: Flask, hub: dict) -> None:
    curator = client_for(app, "curator")
    token = csrf_token(curator)
    page = curator.get(f"/collections/{hub['collection']}").get_data(as_text=True)
    assert "drag a case study by its handle" in page and 'class="drag-handle' in page
    found = curator.get(f"/collections/{hub['collection']}?find=walking+buses+from+farms").get_data(as_text=True)
    assert "Walking buses in winter" in found and "already in this collection" in found  # the first one too
    added = curator.post("/collection-items", data={
        "csrf_token": token, "collection": hub["collection"], "case_study": "second-study",
        "next": f"/collections/{hub['collection']}?find=walking#collect-{hub['second']}"})
    assert added.headers["Location"].endswith(f"find=walking#collect-{hub['second']}")
    with app.app_context():
        collection = db.session.scalar(select(Collection).where(Collection.slug == hub["collection"]))
        assert [i.case_study.slug for i in collection.items] == ["first-study", "second-study"]
    assert client_for(app, "reader").get(f"/collections/{hub['collection']}?find=walking").status_code == 404


def test_a_curator_previews_a_draft_collection_as_a_reader_will_see_it(app: Flask, hub: dict) -> None:
    curator = client_for(app, "curator")
    preview = curator.get(f"/collections/{hub['collection']}?as=reader").get_data(as_text=True)
    assert "This is how readers will see this collection once it is published" in preview
    assert "Curator's note:</strong> Start here." in preview
    assert "Save note" not in preview and "Collection settings" not in preview and "Find case studies" not in preview
    assert client_for(app, "reader").get(f"/collections/{hub['collection']}?as=reader").status_code == 404


def test_no_hub_or_collection_form_loses_what_was_typed(app: Flask, hub: dict) -> None:
    curator = client_for(app, "curator")
    token = csrf_token(curator)
    slug = hub["collection"]
    hub_page = "/hubs/fells-hub"
    long_title = "x" * 201
    refused = curator.post(f"{hub_page}/collections", data={"csrf_token": token, "title": long_title,
                                                            "description": "Reading in the early years."})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "title of up to 200 characters" in text
    assert f'value="{long_title}"' in text and "Reading in the early years.</textarea>" in text

    member = curator.post(f"{hub_page}/members", data={"csrf_token": token, "email": "not-an-address",
                                                       "role": "manager"})
    text = member.get_data(as_text=True)
    assert member.status_code == 400 and 'value="not-an-address"' in text
    assert '<option value="manager" selected>' in text

    smart = curator.post("/smart-collections", data={"csrf_token": token, "hub": "fells-hub",
                                                     "title": "Attendance, updated", "q": "attendance",
                                                     "phase": "primary", "limit": "500"})
    text = smart.get_data(as_text=True)
    assert smart.status_code == 400 and 'value="Attendance, updated"' in text and 'value="500"' in text
    assert '<option value="primary" selected>' in text

    settings = curator.post(f"/collections/{slug}", data={"csrf_token": token, "title": "   ",
                                                          "description": "A new description.", "status": "published"})
    text = settings.get_data(as_text=True)
    assert settings.status_code == 400 and "A new description.</textarea>" in text
    assert 'id="s-status" name="status" value="published" checked' in text
    with app.app_context():
        collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
        assert collection.status == "draft" and collection.description == ""


def test_a_refused_smart_collection_from_the_search_page_keeps_the_title_and_hub_typed(app: Flask, hub: dict) -> None:
    curator = client_for(app, "curator")
    title = "Walking buses and phone calls in winter " * 6  # 240 characters: too long to keep
    refused = curator.post("/smart-collections", data={
        "csrf_token": csrf_token(curator), "hub": "fells-hub", "title": title,
        "smart_query": "q=attendance", "next": "/search?q=attendance"})
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/search?q=attendance&smart_title=")
    page = curator.get(refused.headers["Location"]).get_data(as_text=True)
    assert "a title of up to 200 characters" in page
    assert f'id="smart-title" name="title" maxlength="200" value="{title[:200]}"' in page
    assert '<option value="fells-hub" selected>' in page
    saved = curator.post("/smart-collections", data={  # saved again from that page: its address is not the query
        "csrf_token": csrf_token(curator), "hub": "fells-hub", "title": title[:60],
        "smart_query": "q=attendance&smart_title=x&smart_hub=fells-hub", "next": "/search?q=attendance"})
    assert saved.status_code == 303
    with app.app_context():
        kept = db.session.scalar(select(Collection).where(Collection.smart_query.is_not(None)))
        assert kept is not None and kept.smart_query == "q=attendance"
