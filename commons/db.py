"""The database extension: one engine per app, one session per request or CLI command.

On SQLite every connection runs in WAL mode with ``synchronous=FULL`` (a committed publish
survives power loss), foreign keys on and a busy timeout. Transactions are begun by us, not
by the driver: writing sessions (CLI commands, background sessions, and requests other than
GET/HEAD/OPTIONS) start with ``BEGIN IMMEDIATE`` so a writer takes the write lock before it
reads, and concurrent writers queue on the busy timeout instead of failing part-way; reading
requests start with a plain (deferred) ``BEGIN`` and read one consistent snapshot without
blocking anyone. PostgreSQL needs none of this.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from commons import settings

EXTENSION = "commons.db"
BUSY_TIMEOUT_SECONDS = 30
BEGIN_OPTION = "commons_sqlite_begin"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SessionFactory = sessionmaker[Session]  # named once: _State has a property called sessionmaker


class Database:
    """Flask extension holding the SQLAlchemy engine; state lives in ``app.extensions``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        url = settings.of(app).database_url
        assert url is not None  # an app's settings always have one (by default, SQLite in its instance folder)
        app.extensions[EXTENSION] = _State(url)
        app.teardown_appcontext(_close_session)

    @property
    def engine(self) -> Engine:
        return _state().engine

    @property
    def session(self) -> Session:
        """The session of the current app context, created on first use."""
        if "db_session" not in g:
            state = _state()
            g.db_session = state.read_sessionmaker() if _reading() else state.sessionmaker()
        session: Session = g.db_session
        return session

    @contextmanager
    def new_session(self) -> Iterator[Session]:
        """A session of its own, outside the request's (for background work)."""
        session = _state().sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def write_best_effort(self, write: Callable[[Session], None], what: str) -> bool:
        """Run a small write a reading request makes ("last seen", "last used") in a short
        transaction of its own; False, with a warning logged, when the database is too busy.

        A reading request's own session reads a snapshot: on SQLite it cannot write once another
        writer has committed since ("database is locked"), so such writes never go through it,
        and a page is never lost for one. Call it outside a writing request's transaction.

        On PostgreSQL the commit does not wait for the disk (``synchronous_commit`` off for this
        transaction alone): these are notes, not records, and every search makes one. A crash can
        lose the last moment's notes, never leave the database inconsistent.
        """
        try:
            with self.new_session() as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit TO OFF"))
                write(session)
                session.commit()
        except OperationalError as error:
            current_app.logger.warning("skipped noting %s: %s", what, error.orig)
            return False
        return True


class _State:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessionmaker: SessionFactory | None = None
        self._read_sessionmaker: SessionFactory | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    @property
    def sessionmaker(self) -> SessionFactory:
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessionmaker

    @property
    def read_sessionmaker(self) -> SessionFactory:
        """Sessions for reading requests: a deferred BEGIN on SQLite."""
        if self._read_sessionmaker is None:
            reader = self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            self._read_sessionmaker = sessionmaker(reader, expire_on_commit=False)
        return self._read_sessionmaker


def _reading() -> bool:
    """True for a GET/HEAD/OPTIONS request outside a CLI command; writers begin IMMEDIATE."""
    if has_request_context():
        return request.method in READ_METHODS
    return click.get_current_context(silent=True) is None


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets foreign keys, WAL, a busy timeout, full fsync and BEGIN IMMEDIATE."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions by itself: we emit BEGIN in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
    connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def _state() -> _State:
    state: _State = current_app.extensions[EXTENSION]
    return state


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


db = Database()
