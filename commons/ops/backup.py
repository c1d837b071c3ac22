"""Backing up and restoring the database; the index is rebuilt from it after a restore.

SQLite uses its online backup API: a consistent copy taken while the Commons keeps serving,
written to a temporary file and renamed into place. PostgreSQL uses ``pg_dump`` in its
custom format and ``pg_restore --clean``. The search index is not backed up: it is a cache,
rebuilt from the restored embeddings (never the model) and checked by the doctor.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump / pg_restore with argument lists, no shell
import tempfile
from pathlib import Path
from typing import cast

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from commons.domain.errors import CommonsError


class BackupProblem(CommonsError):
    """A backup or restore could not be done; the message says what to do."""


def backup(engine: Engine, path: Path) -> None:
    """Write a consistent copy of the database to ``path`` (replaced atomically).

    A missing folder is created; one that cannot be (or cannot be written) is a clear problem.
    """
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupProblem(f"cannot create the folder {path.parent} ({error.strerror or error}); "
                            "give a path in a folder you can write to") from None
    if engine.dialect.name == "sqlite":
        try:
            _sqlite_backup(engine, path)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise BackupProblem(f"cannot write the backup to {path} ({reason}); "
                                "give a path in a folder you can write to") from None
    elif engine.dialect.name == "postgresql":
        tmp = path.with_name(f".{path.name}.partial")
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}", "--dbname", _libpq(engine.url)],
             engine.url, "pg_dump")
        os.replace(tmp, path)
    else:
        raise BackupProblem(f"backups of {engine.dialect.name} databases are not supported")


def restore(engine: Engine, path: Path) -> None:
    """Replace the database's content with the backup at ``path``; stop the servers first."""
    path = path.resolve()
    if not path.is_file():
        raise BackupProblem(f"{path}: no such backup file; give the path `commons backup` wrote")
    if engine.dialect.name == "sqlite":
        _sqlite_restore(engine, path)
    elif engine.dialect.name == "postgresql":
        _run([_tool("pg_restore"), "--list", str(path)], engine.url, "pg_restore --list")
        engine.dispose()
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--dbname", _libpq(engine.url), str(path)], engine.url, "pg_restore")
    else:
        raise BackupProblem(f"restoring {engine.dialect.name} databases is not supported")


def _sqlite_backup(engine: Engine, path: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(tmp_name)
        try:
            cast(sqlite3.Connection, raw.driver_connection).backup(target)  # the sqlite3 module's connection
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        raw.close()


def _sqlite_restore(engine: Engine, path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            verdict = source.execute("PRAGMA integrity_check").fetchone()
            has_schema = source.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupProblem(f"{path} is not a SQLite backup ({error})") from error
        if verdict != ("ok",) or not has_schema:
            raise BackupProblem(f"{path} is not a sound Commons backup (integrity: {verdict[0]}, "
                                f"schema {'found' if has_schema else 'missing'}); choose another backup")
        engine.dispose()
        raw = engine.raw_connection()
        try:
            source.backup(cast(sqlite3.Connection, raw.driver_connection))  # the sqlite3 module's connection
        finally:
            raw.close()
        engine.dispose()
    finally:
        source.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupProblem(f"{name} is not installed; install the PostgreSQL client tools "
                            "(Debian/Ubuntu: `apt-get install postgresql-client`)")
    return found


def _libpq(url: URL) -> str:
    """The URL as libpq understands it, without the password (passed in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(args: list[str], url: URL, what: str) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        raise BackupProblem(f"{what} failed: {done.stderr.strip() or done.stdout.strip()}")
