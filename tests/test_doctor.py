"""`commons doctor`: finds what is wrong with the index on disk and repairs it; start-up repairs by itself."""

import json
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.ops.doctor import startup_check
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from commons.services.publishing import withdraw
from indexer import VectorIndex
from indexer.vector_index import MANIFEST_NAME
from tests import samples


@pytest.fixture
def published(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> Path:
    """Two published case studies and their saved index; returns the index folder."""
    samples.write(tmp_path / "in", "first")
    samples.write(tmp_path / "in", "second", title='"Reading for pleasure in a small school"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    return Path(app.config["COMMONS_INDEX_DIR"])


def doctor(runner: FlaskCliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(args=["doctor", *args])
    return result.exit_code, result.output


def test_a_sound_commons_passes(runner: FlaskCliRunner, published: Path) -> None:
    code, output = doctor(runner)
    assert code == 0, output
    assert "Database: ok" in output and "Search index: ok." in output and "vectors compared" in output


def test_a_missing_index_is_found_and_rebuilt(runner: FlaskCliRunner, published: Path) -> None:
    (published / MANIFEST_NAME).unlink()
    code, output = doctor(runner)
    assert code == 1 and "there is no index" in output and "commons doctor --repair" in output
    code, output = doctor(runner, "--repair")
    assert code == 0 and "rebuilt the index from the stored embeddings" in output, output
    assert doctor(runner)[0] == 0


def test_a_wrong_vector_is_found_and_rebuilt(app: Flask, runner: FlaskCliRunner, published: Path) -> None:
    with app.app_context():
        state = search_index.state
        index = VectorIndex.load(published, state.model, 384)
        victim = min(index.ids())
        index.append([victim], np.ones((1, 384), dtype=np.float32) / np.sqrt(384))
        index.save(published)
    code, output = doctor(runner)
    assert code == 1 and "1 vectors differ from the stored embeddings" in output
    assert doctor(runner, "--repair")[0] == 0
    with app.app_context():
        stored = DatabaseChangeSource(db.session, 384).vectors([victim])[1][0]
        assert np.allclose(VectorIndex.load(published, search_index.state.model, 384).vector(victim), stored)


def test_an_index_ahead_of_the_change_log_is_rebuilt(runner: FlaskCliRunner, published: Path) -> None:
    manifest = json.loads((published / MANIFEST_NAME).read_text())
    (published / MANIFEST_NAME).write_text(json.dumps({**manifest, "last_change": manifest["last_change"] + 50}))
    code, output = doctor(runner)
    assert code == 1 and "restored or replaced database" in output
    assert doctor(runner, "--repair")[0] == 0


def test_an_index_behind_the_change_log_is_brought_up_by_replaying(app: Flask, runner: FlaskCliRunner,
                                                                   published: Path) -> None:
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "first")))
        db.session.commit()
    code, output = doctor(runner)
    assert code == 1 and "behind the change log" in output
    code, output = doctor(runner, "--repair")
    assert code == 0 and "replayed" in output, output


def test_start_up_repairs_the_index_by_itself(app: Flask, published: Path) -> None:
    (published / MANIFEST_NAME).write_text("{not json")
    report = startup_check(app)
    assert report.ok and report.repaired
    with app.app_context():
        live = DatabaseChangeSource(db.session, 384).live_ids()
        assert VectorIndex.load(published, search_index.state.model, 384).ids() == live
