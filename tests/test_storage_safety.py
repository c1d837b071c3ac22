"""Storage safety: SQLite settings, failures while saving the index, concurrent change-log writers."""

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from commons.db import db
from commons.domain.case_study_format import parse
from commons.models import Change
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from commons.services.publishing import publish_all
from indexer import VectorIndex, apply_changes, vector_index
from indexer.vector_index import read_manifest
from tests import samples
from tests.conftest import RefusingEmbedder, make_app
from tests.crash_server import HashingEmbedder


def test_sqlite_runs_in_wal_with_full_sync_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "instance", RefusingEmbedder())
    with app.app_context():
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") >= 5000
        db.engine.dispose()


def test_writing_sessions_take_the_write_lock_at_begin_and_readers_do_not(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    app = make_app(f"sqlite:///{path}", tmp_path / "instance", RefusingEmbedder())
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    with app.app_context():
        with db.new_session() as writer:
            writer.scalar(db.session.query(Change.seq).limit(1).statement)  # a read, in a writing session
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at the end of the session
        other.execute("ROLLBACK")
        with app.test_request_context("/search", method="GET"):
            db.session.scalar(db.session.query(Change.seq).limit(1).statement)
            other.execute("BEGIN IMMEDIATE")  # a reading request holds no write lock
            other.execute("ROLLBACK")
        db.engine.dispose()
    other.close()


class Failure:
    """Makes one step of writing a file fail, as a full disk or a broken rename would."""

    def __init__(self, step: str) -> None:
        self.step = step

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise OSError(28, f"injected failure in {self.step}")

        if self.step == "write":
            real_fdopen = os.fdopen

            class Refusing:
                def __init__(self, fd: int, mode: str) -> None:
                    self.handle = real_fdopen(fd, mode)

                def __enter__(self) -> "Refusing":
                    return self

                def __exit__(self, *exc: object) -> None:
                    self.handle.close()

                def write(self, data: bytes) -> int:
                    self.handle.write(data[: len(data) // 2])
                    raise OSError(28, "injected failure in write: no space left on device")

            monkeypatch.setattr(vector_index.os, "fdopen", Refusing)
        elif self.step == "fsync":
            monkeypatch.setattr(vector_index.os, "fsync", fail)
        else:
            monkeypatch.setattr(vector_index.os, "replace", fail)


@pytest.mark.parametrize("step", ["write", "fsync", "rename"])
def test_a_failing_index_save_leaves_the_old_index_readable_and_search_serving(
    step: str, app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples.write(tmp_path / "one", "first")
    assert runner.invoke(args=["import", str(tmp_path / "one")]).exit_code == 0
    directory = Path(app.config["COMMONS_INDEX_DIR"])
    before = read_manifest(directory)
    assert before is not None
    with app.app_context():
        old_ids = VectorIndex.load(directory, search_index.state.model, 384).ids()

    samples.write(tmp_path / "two", "second", title='"Reading for pleasure in a small school"')
    with monkeypatch.context() as patch:
        Failure(step).install(patch)
        result = runner.invoke(args=["import", str(tmp_path / "two")])
    assert result.exit_code == 0, result.output  # the publish is committed; the index file is a cache

    assert read_manifest(directory) == before
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".") and p.name != ".writer.lock"]
    with app.app_context():
        assert VectorIndex.load(directory, search_index.state.model, 384).ids() == old_ids
        live = DatabaseChangeSource(db.session, 384).live_ids()
        assert search_index.state.fresh(db.session).ids() == live  # this process still serves all
    restarted = make_app(app.config["COMMONS_DATABASE_URL"], Path(app.instance_path), RefusingEmbedder())
    with restarted.app_context():
        assert search_index.state.fresh(db.session).ids() == live  # the old save plus the change log


def test_concurrent_publishers_never_let_a_replica_skip_a_change(database_url: str, tmp_path: Path) -> None:
    """Changes become visible in number order, so a replica that follows the log misses none."""
    embedder = HashingEmbedder()
    app = make_app(database_url, tmp_path / "instance", embedder)
    from commons.services.demo import SCHOOLS_CSV
    from commons.services.schools import import_schools

    with app.app_context():
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
    writers, per_writer = 4, 5
    done = threading.Event()
    errors: list[BaseException] = []

    def publisher(number: int) -> None:
        rng = random.Random(number)
        try:
            with app.app_context():
                for item in range(per_writer):
                    slug = f"w{number}-{item}"
                    with db.new_session() as session:
                        publish_all(session, [parse(samples.source(slug), slug, slug)], embedder)
                        time.sleep(rng.uniform(0, 0.05))  # commits land in any order
                        session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    follower = VectorIndex("all-MiniLM-L6-v2", 384)
    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    with app.app_context():
        while not done.is_set():
            done.wait(0.005)
            if not any(t.is_alive() for t in threads):
                done.set()
            with db.new_session() as session:
                apply_changes(follower, DatabaseChangeSource(session, 384))
        for thread in threads:
            thread.join()
        assert not errors, errors
        live = DatabaseChangeSource(db.session, 384).live_ids()
        assert len(live) > 0 and follower.ids() == live
        db.session.rollback()
        db.engine.dispose()


def test_a_best_effort_note_is_kept_without_waiting_for_the_disk_and_only_it(app: Flask) -> None:
    """A search's count against its limit (a note every search makes) commits without a disk flush on
    PostgreSQL; the request's own transactions, and everything else, still wait for theirs."""
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from commons.models import LoginAttempt
    from commons.services import rate_limits

    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    inside: list[str] = []

    def note(session: Session) -> None:
        if postgres:
            inside.append(str(session.execute(text("SHOW synchronous_commit")).scalar()))
        rate_limits.allow(session, rate_limits.SEARCH, "address:192.0.2.1")

    with app.test_request_context("/search?q=phonics"):
        assert db.write_best_effort(note, "a search against its rate limit")
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1  # committed
        if postgres:
            assert inside == ["off"]
            assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
    with app.app_context(), db.new_session() as other:
        assert other.scalar(select(func.count()).select_from(LoginAttempt)) == 1
        if postgres:
            assert other.execute(text("SHOW synchronous_commit")).scalar() == "on"
