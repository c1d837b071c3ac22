"""The index is a cache of the database: it survives restarts and rebuilds without the model."""

import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from commons.services.publishing import withdraw
from tests.conftest import RefusingEmbedder, make_app


def live_ids(app: Flask) -> set[int]:
    with app.app_context():
        return DatabaseChangeSource(db.session, 384).live_ids()


def index_ids(app: Flask) -> set[int]:
    with app.app_context():
        return search_index.state.fresh(db.session).ids()


def test_index_survives_a_restart_and_agrees_with_the_database(demo_copy: Path) -> None:
    url = f"sqlite:///{demo_copy / 'commons.db'}"
    first = make_app(url, demo_copy, RefusingEmbedder())
    expected = live_ids(first)
    assert len(expected) > 500
    assert index_ids(first) == expected
    restarted = make_app(url, demo_copy, RefusingEmbedder())
    assert index_ids(restarted) == expected


def test_deleting_the_index_rebuilds_it_from_stored_embeddings_without_the_model(demo_copy: Path) -> None:
    url = f"sqlite:///{demo_copy / 'commons.db'}"
    before = make_app(url, demo_copy, RefusingEmbedder())
    with before.app_context():
        original = search_index.state.fresh(db.session)
        some_id = next(iter(original.ids()))
        original_vector = original.vector(some_id)
    shutil.rmtree(demo_copy / "index")
    refusing = RefusingEmbedder()
    after = make_app(url, demo_copy, refusing)
    with after.app_context():
        rebuilt = search_index.state.fresh(db.session)
        assert rebuilt.ids() == live_ids(after)
        assert (rebuilt.vector(some_id) == original_vector).all()
    assert refusing.calls == 0
    assert (demo_copy / "index" / "manifest.json").exists()


def test_a_change_made_by_another_process_is_applied_before_searching(demo_copy: Path) -> None:
    url = f"sqlite:///{demo_copy / 'commons.db'}"
    reader = make_app(url, demo_copy, RefusingEmbedder())
    writer = make_app(url, demo_copy, RefusingEmbedder())
    assert index_ids(reader) == live_ids(reader)
    with writer.app_context():
        case_study = db.session.scalar(select(CaseStudy).limit(1))
        assert case_study is not None
        gone = {p.id for p in case_study.passages}
        withdraw(db.session, case_study)
        db.session.commit()
    ids = index_ids(reader)
    assert ids == live_ids(reader)
    assert not ids & gone
