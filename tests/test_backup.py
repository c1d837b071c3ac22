"""`commons backup` / `commons restore`: back to a working Commons, its index rebuilt and checked."""

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from tests import samples


def slugs(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(CaseStudy.slug)))


def test_restore_brings_back_the_backed_up_commons_with_a_matching_index(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    samples.write(tmp_path / "one", "first")
    assert runner.invoke(args=["import", str(tmp_path / "one")]).exit_code == 0
    backup = tmp_path / "backups" / "commons.backup"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0 and "commons restore" in made.output, made.output
    assert backup.stat().st_size > 0

    samples.write(tmp_path / "two", "second", title='"Reading for pleasure in a small school"')
    assert runner.invoke(args=["import", str(tmp_path / "two")]).exit_code == 0
    assert slugs(app) == {"first", "second"}

    restored = runner.invoke(args=["restore", "--yes", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert "search index rebuilt" in restored.output
    assert slugs(app) == {"first"}
    with app.app_context():
        assert search_index.state.fresh(db.session).ids() == DatabaseChangeSource(db.session, 384).live_ids()
    assert runner.invoke(args=["doctor"]).exit_code == 0
    samples.write(tmp_path / "three", "third", title='"Maths mastery in mixed-age classes"')
    assert runner.invoke(args=["import", str(tmp_path / "three")]).exit_code == 0  # a working Commons


def test_restore_refuses_a_file_that_is_not_a_backup(runner: FlaskCliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code == 1
    assert "Error:" in result.output
    missing = runner.invoke(args=["restore", "--yes", str(tmp_path / "nowhere.backup")])
    assert missing.exit_code == 1 and "no such backup file" in missing.output
