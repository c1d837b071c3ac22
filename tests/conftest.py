"""Shared fixtures: the real model once per session, databases, apps and a CLI runner."""

import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, create_engine, inspect, text

from commons import create_app
from commons.db import db
from commons.models import Base
from commons.ops.migrate import head_revision, is_current, upgrade
from commons.search.extension import default_model_cache
from commons.services.demo import load_demo
from indexer import SentenceTransformerEmbedder
from indexer.types import Vectors
from tests.fast_embedder import HashingEmbedder

pytest_plugins = ["tests.browser"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DATA = Path(__file__).parent / "data"


REAL_MODEL_FIXTURES = frozenset({"embedder", "demo_dir", "demo_app", "demo_copy"})


BROWSER_FIXTURES = frozenset({"page", "browser", "chromium"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses the real model, directly or through the demo commons, is ``slow``.

    A browser test runs against SQLite only: what it checks is the page (the journey, the
    keyboard, axe), and every use case under it is tested on both databases without a browser.
    Running each one twice would add minutes to the suite and nothing the other tests miss.
    """
    kept, dropped = [], []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if REAL_MODEL_FIXTURES & names:
            item.add_marker(pytest.mark.slow)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgresql"
        (dropped if on_postgres and BROWSER_FIXTURES & names else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing() -> Iterator[None]:
    """Passwords are hashed with Argon2id at its lowest cost while the tests run in this process.

    The library's recommended cost (64 MiB, three passes) is spent on every account made and
    every sign-in, hundreds of times a run, and tests what the tests do not look at; the
    servers the tests start in other processes keep it (and rehash these on sign-in).
    """
    from argon2 import PasswordHasher

    from commons.services import accounts

    kept = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts.HASHER = kept


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole test session (its ONNX export where the app keeps it)."""
    model = SentenceTransformerEmbedder(cache_dir=Path(os.environ.get("COMMONS_MODEL_CACHE") or default_model_cache()))
    model.encode(["warm up"])
    return model


@pytest.fixture(scope="session")
def fast_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def app_embedder(request: pytest.FixtureRequest) -> object:
    """The real model for tests marked ``slow`` (search behaviour), else the fast stand-in."""
    if request.node.get_closest_marker("slow") is not None:
        return request.getfixturevalue("embedder")
    return request.getfixturevalue("fast_embedder")


class RefusingEmbedder:
    """Stands in for the model where the model must not be used (rebuilds from storage)."""

    name = "all-MiniLM-L6-v2"
    dimension = 384
    calls = 0

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        self.calls += 1
        raise AssertionError("the embedding model was called")


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("COMMONS_TEST_DATABASE_URL"):
        backends.append("postgresql")
    return backends


def _end_other_connections(connection: Connection) -> None:
    """End the connections a finished test left open (the database is the tests' own), saying
    so where one was inside a transaction; a lock still held then fails the test after a
    minute with a message instead of hanging the run."""
    leftover = connection.execute(text(
        "SELECT pid, state, left(query, 120) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )).all()
    for pid, state, query in leftover:
        if state and state.startswith("idle in transaction"):
            warnings.warn(f"a test left a PostgreSQL transaction open ({query!r}); ended it", stacklevel=3)
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    connection.execute(text("SET LOCAL lock_timeout = '60s'"))


def _reset_postgres(url: str) -> None:
    """Empty the test database: everything, including tables a newer migration made."""
    engine = create_engine(url)
    with engine.begin() as connection:
        _end_other_connections(connection)
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _migrated_postgres(url: str) -> None:
    """The test database at the newest migration with no rows in it.

    Where the last test left the schema exactly as the migrations make it (the newest
    revision, the models' tables and no others), its rows are removed and the sequences
    restarted, which takes a small part of the time of running every migration again;
    otherwise the schema is dropped and migrated from nothing.
    """
    engine = create_engine(url)
    expected = set(Base.metadata.tables)
    with engine.begin() as connection:
        _end_other_connections(connection)
        as_migrated = (set(inspect(connection).get_table_names()) - {"alembic_version"} == expected
                       and MigrationContext.configure(connection).get_current_revision() == head_revision())
        if as_migrated:
            names = ", ".join(f'"{name}"' for name in sorted(expected))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    if not as_migrated:
        upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest migration, made once and copied for each test."""
    path = tmp_path_factory.mktemp("migrated") / "commons.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database each test runs on: SQLite, and PostgreSQL where COMMONS_TEST_DATABASE_URL is set."""
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> str:
    """A database with nothing in it, not even tables: for tests of the migrations themselves."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'commons.db'}"
    url = os.environ["COMMONS_TEST_DATABASE_URL"]
    _reset_postgres(url)
    return url


@pytest.fixture
def database_url(backend: str, tmp_path: Path, migrated_sqlite: Path) -> str:
    """A database at the newest migration, with no rows: a copy of a migrated SQLite file, or
    the PostgreSQL test database emptied."""
    if backend == "sqlite":
        path = tmp_path / "commons.db"
        shutil.copyfile(migrated_sqlite, path)
        return f"sqlite:///{path}"
    url = os.environ["COMMONS_TEST_DATABASE_URL"]
    _migrated_postgres(url)
    return url


def make_app(database_url: str, instance: Path, embedder: object) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "COMMONS_DATABASE_URL": database_url,
            "COMMONS_INSTANCE_PATH": str(instance),
            "COMMONS_SECRET_KEY": "test-secret",
            # tests search far faster than any person; the limit's own test turns it back on
            "COMMONS_SEARCHES_PER_MINUTE": "0",
        },
        embedder=embedder,  # type: ignore[arg-type]
    )
    with app.app_context():
        if not is_current(db.engine):  # the tests' databases mostly start migrated: see database_url
            upgrade(db.engine)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_embedder: object) -> Iterator[Flask]:
    """A migrated, empty Commons with the demo schools loaded (no case studies).

    Its model is the fast stand-in unless the test is marked ``slow``.
    """
    app = make_app(database_url, tmp_path / "instance", app_embedder)
    from commons.services.demo import SCHOOLS_CSV
    from commons.services.schools import import_schools

    with app.app_context():
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """An instance folder holding the whole demo commons, built once per session (SQLite)."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    app = make_app(f"sqlite:///{instance / 'commons.db'}", instance, embedder)
    with app.app_context():
        load_demo(db.session, embedder)
        from commons.search.extension import search_index

        search_index.state.fresh(db.session)
        db.engine.dispose()
    return instance


@pytest.fixture(scope="session")
def demo_app(demo_dir: Path, embedder: SentenceTransformerEmbedder) -> Iterator[Flask]:
    """The demo commons, read-only: tests must not change it (copy it with ``demo_copy``)."""
    app = make_app(f"sqlite:///{demo_dir / 'commons.db'}", demo_dir, embedder)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo instance folder, for tests that change or restart it."""
    target = tmp_path / "instance"
    shutil.copytree(demo_dir, target)
    return target
