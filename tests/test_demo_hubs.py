"""The demo commons ships fictional hubs with curated collections; `commons setup` says what it is doing."""

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from commons.db import db
from commons.models import Collection, CollectionItem, Hub
from commons.services.demo import load_demo_hubs


def test_an_empty_hubs_page_explains_what_a_hub_is_and_who_can_start_one(app: Flask) -> None:
    page = app.test_client().get("/hubs").get_data(as_text=True)
    assert "No hubs yet." in page
    assert "What a hub is, and who can start one" in page
    assert "started by an administrator of the Commons" in page


def test_setup_loads_fictional_demo_hubs_and_reports_each_step(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    steps = [line.split(":")[0] for line in lines if ":" in line and not line.startswith("Embedding")]
    assert steps == ["Database", "Model", "Model", "Demo commons", "Search index", "Search index ready"]
    assert "Demo commons: embedding the passages of 90 demo case studies..." in lines
    assert any("Embedding passages" in line and "100%" in line for line in lines)  # the progress bar
    assert "Loaded 3 demo hubs with their collections." in result.output
    with app.app_context():
        hubs = db.session.scalars(select(Hub).order_by(Hub.name)).all()
        assert len(hubs) == 3 and all("(fictional)" in h.name and "fictional" in h.description for h in hubs)
        published = db.session.scalars(select(Collection).where(Collection.status == "published")).all()
        assert len(published) == 5 and any(c.featured for c in published)
        assert all(c.items for c in published)
        assert any(i.note for c in published for i in c.items)
        items = db.session.scalar(select(func.count()).select_from(CollectionItem))
    again = runner.invoke(args=["setup"])  # safe to repeat: nothing added twice
    assert again.exit_code == 0 and "Demo commons already loaded." in again.output
    assert "demo hubs" not in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Hub)) == 3
        assert db.session.scalar(select(func.count()).select_from(CollectionItem)) == items
        assert load_demo_hubs(db.session) == []
    client = app.test_client()
    page = client.get("/hubs").get_data(as_text=True)
    assert "North Moors Teaching School Hub (fictional)" in page and "No hubs yet." not in page
    collection = client.get("/collections/attendance-in-rural-and-coastal-schools").get_data(as_text=True)
    assert "Persistent absence in a moorland primary" in collection and "Start here" in collection
    home = client.get("/").get_data(as_text=True)
    assert "Collections from hubs" in home and "Reading catch-up at every age" in home
