"""Hardening of sign-in limits behind proxies and of restoring under a server (issue 15).

Each test is named after the defect it keeps fixed: 22 `commons restore` while a server runs,
24 lockouts and proxies.
"""

import logging
import os
import re
import subprocess  # nosec B404 - runs `true` to get the pid of a process that has ended
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from commons import create_app
from commons.db import db
from commons.models import CaseStudy, LoginAttempt
from commons.ops.running import SERVERS, running_servers, serving
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from commons.services.accounts import MAX_FAILURES_PER_ADDRESS, SIGN_IN_FAILED, TOO_MANY
from tests import samples
from tests.accounts import PASSWORD, csrf_token, make_user

WAIT = re.compile(r"Try again in (\d+) seconds")


def _sign_in(client: FlaskClient, email: str, password: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": email, "password": password},
                       **kwargs)


def _client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _wait_asked(response) -> int:  # type: ignore[no-untyped-def]
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and TOO_MANY in page, page[:500]
    match = WAIT.search(page)
    assert match, page[:500]
    return int(match.group(1))


def _age_attempts(app: Flask, seconds: int) -> None:
    with app.app_context():
        for attempt in db.session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - timedelta(seconds=seconds)
        db.session.commit()


def test_defect_24_failed_sign_ins_delay_that_client_and_never_lock_out_the_owner(app: Flask) -> None:
    make_user(app, "head@example.org")
    attacker, owner = _client_at(app, "203.0.113.5"), _client_at(app, "198.51.100.20")
    for _ in range(5):
        assert SIGN_IN_FAILED in _sign_in(attacker, "head@example.org", "not the password").get_data(as_text=True)
    first = _wait_asked(_sign_in(attacker, "head@example.org", PASSWORD))  # even the right password waits
    assert 0 < first <= 30

    assert _sign_in(owner, "head@example.org", PASSWORD).status_code == 303  # the owner is not locked out

    _age_attempts(app, 31)  # the wait is over: one more try, then a longer wait
    assert SIGN_IN_FAILED in _sign_in(attacker, "head@example.org", "still not it").get_data(as_text=True)
    second = _wait_asked(_sign_in(attacker, "head@example.org", "again"))
    assert 30 < second <= 60
    _age_attempts(app, 61)
    assert _sign_in(attacker, "head@example.org", PASSWORD).status_code == 303  # the delay ends; no lock


def test_defect_24_one_client_failing_over_many_accounts_still_waits(app: Flask) -> None:
    guesser = _client_at(app, "203.0.113.9")
    guesser.application.config["WTF_CSRF_ENABLED"] = False
    for number in range(MAX_FAILURES_PER_ADDRESS):
        guesser.post("/sign-in", data={"email": f"someone{number}@example.org", "password": "guess"})
    wait = _wait_asked(guesser.post("/sign-in", data={"email": "another@example.org", "password": "guess"}))
    assert 0 < wait <= 15 * 60  # until its oldest failure leaves the window
    make_user(app, "head@example.org")
    assert _client_at(app, "198.51.100.20").post(
        "/sign-in", data={"email": "head@example.org", "password": PASSWORD}).status_code == 303


def test_defect_24_the_forwarded_address_is_trusted_only_when_proxy_hops_are_configured(
    app: Flask, database_url: str, tmp_path: Path, app_embedder: object
) -> None:
    make_user(app, "head@example.org")
    proxied = create_app({"TESTING": True, "COMMONS_DATABASE_URL": database_url, "COMMONS_SECRET_KEY": "test-secret",
                          "COMMONS_INSTANCE_PATH": str(tmp_path / "proxied"), "COMMONS_PROXY_HOPS": "1"},
                         embedder=app_embedder)  # type: ignore[arg-type]
    assert isinstance(proxied.wsgi_app, ProxyFix) and not isinstance(app.wsgi_app, ProxyFix)
    # Every request arrives from the proxy's one address; the client is in X-Forwarded-For.
    attacker, owner = _client_at(proxied, "10.0.0.2"), _client_at(proxied, "10.0.0.2")
    for _ in range(5):
        _sign_in(attacker, "head@example.org", "not the password", headers={"X-Forwarded-For": "203.0.113.5"})
    _wait_asked(_sign_in(attacker, "head@example.org", PASSWORD, headers={"X-Forwarded-For": "203.0.113.5"}))
    assert _sign_in(owner, "head@example.org", PASSWORD,
                    headers={"X-Forwarded-For": "198.51.100.20"}).status_code == 303

    # Without COMMONS_PROXY_HOPS the header is the client's to forge, so it is not believed.
    forger = _client_at(app, "10.0.0.3")
    for _ in range(5):
        _sign_in(forger, "head@example.org", "not the password", headers={"X-Forwarded-For": "203.0.113.6"})
    _wait_asked(_sign_in(forger, "head@example.org", PASSWORD, headers={"X-Forwarded-For": "198.51.100.99"}))
    with app.app_context():
        keys = set(db.session.scalars(select(LoginAttempt.key)))
    assert "address:10.0.0.3" in keys and "address:203.0.113.5" in keys and "address:203.0.113.6" not in keys
    with pytest.raises(ValueError, match="COMMONS_PROXY_HOPS"):
        create_app({"COMMONS_DATABASE_URL": database_url, "COMMONS_INSTANCE_PATH": str(tmp_path / "bad"),
                    "COMMONS_PROXY_HOPS": "two"}, embedder=app_embedder)  # type: ignore[arg-type]


def _slugs(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(CaseStudy.slug)))


def _import(runner: FlaskCliRunner, folder: Path, slug: str, title: str) -> None:
    samples.write(folder, slug, title=title)
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output


def test_defect_22_restore_is_refused_while_a_server_runs(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    _import(runner, tmp_path / "one", "first", '"Attendance in a small school"')
    backup = tmp_path / "commons.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    _import(runner, tmp_path / "two", "second", '"Reading for pleasure in a small school"')
    instance = Path(app.instance_path)

    with serving(instance) as pid_file:  # what `commons serve` holds while it serves
        assert pid_file.exists() and [server.pid for server in running_servers(instance)] == [os.getpid()]
        refused = runner.invoke(args=["restore", "--yes", str(backup)])
        assert refused.exit_code == 1
        assert f"process {os.getpid()}" in refused.output and "--force" in refused.output, refused.output
        assert _slugs(app) == {"first", "second"}  # nothing was replaced
        forced = runner.invoke(args=["restore", "--yes", "--force", str(backup)])
        assert forced.exit_code == 0, forced.output
        assert _slugs(app) == {"first"}
    assert not pid_file.exists() and running_servers(instance) == []

    ended = subprocess.Popen(["true"])  # nosec B603 B607 - a process that has ended: its pid file is stale
    ended.wait()
    (instance / SERVERS / f"{ended.pid}.pid").write_text(f"{ended.pid}\ncommons serve\n", encoding="utf-8")
    assert runner.invoke(args=["restore", "--yes", str(backup)]).exit_code == 0  # a killed server does not block
    assert not (instance / SERVERS / f"{ended.pid}.pid").exists()


def test_defect_22_a_server_rebuilds_its_search_index_when_the_change_log_goes_backwards(
    app: Flask, runner: FlaskCliRunner, database_url: str, tmp_path: Path, app_embedder: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = create_app({"TESTING": True, "COMMONS_DATABASE_URL": database_url, "COMMONS_SECRET_KEY": "test-secret",
                         "COMMONS_INSTANCE_PATH": str(tmp_path / "server")},
                        embedder=app_embedder)  # type: ignore[arg-type]  # another process on the same database

    def server_index() -> tuple[set[int], set[int]]:
        with server.app_context():
            index = search_index.state.fresh(db.session)
            return set(index.ids()), set(DatabaseChangeSource(db.session, index.dimension).live_ids())

    _import(runner, tmp_path / "one", "first", '"Attendance in a small school"')
    backup = tmp_path / "commons.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    _import(runner, tmp_path / "two", "second", '"Reading for pleasure in a small school"')
    held, live = server_index()
    assert held == live

    assert runner.invoke(args=["restore", "--yes", "--force", str(backup)]).exit_code == 0
    with caplog.at_level(logging.WARNING, logger="commons.search.state"):
        held, live = server_index()
    assert held == live  # the passages of "second" are gone from the server's search too
    assert any("went backwards" in record.getMessage() for record in caplog.records)

    _import(runner, tmp_path / "three", "third", '"Maths mastery in mixed-age classes"')
    held, live = server_index()
    assert held == live  # and it keeps up with what is published after the restore
    with server.app_context():
        db.engine.dispose()
