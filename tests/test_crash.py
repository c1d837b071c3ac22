"""kill -9 the server at random moments while an author publishes: nothing acknowledged is lost.

After every kill the server is restarted (its start-up check repairs the index by itself),
then: every publish the author saw acknowledged is there and published, nothing is
half-written, the database passes its integrity check and the index on disk holds exactly
the live passages, with their stored vectors, up to the end of the change log.
"""

import os
import random
import threading
from pathlib import Path

import requests
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.ops.doctor import check
from commons.search.extension import search_index
from commons.search.source import DatabaseChangeSource
from commons.services.demo import SCHOOLS_CSV
from commons.services.schools import import_schools
from indexer import VectorIndex
from tests.accounts import make_user
from tests.conftest import RefusingEmbedder, make_app
from tests.crash_server import HashingEmbedder
from tests.servers import ForkedServer, ServerForker, WebAuthor, search_slugs, server_env

SCHOOL = 990003
EMAIL = "head@example.org"


def prepare(database_url: str, instance: Path) -> None:
    app = make_app(database_url, instance, HashingEmbedder())
    with app.app_context():
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
    make_user(app, EMAIL, school=SCHOOL)
    with app.app_context():
        db.engine.dispose()


def publish_until_killed(server: ForkedServer, author: WebAuthor, round_no: int, delay: float) -> list[str]:
    """Publish (and search, so the server saves its index) until the server is killed."""
    acknowledged: list[str] = []
    killer = threading.Timer(delay, server.kill)
    killer.start()
    author.base = server.url  # the session cookie outlives restarts: one sign-in is enough
    try:
        if not author.token:
            author.sign_in()
        for item in range(1000):
            acknowledged.append(author.publish(f"Walking buses round {round_no} item {item}",
                                               "Walking buses got children to school on time."))
            search_slugs(server.url, "walking buses")
    except requests.RequestException:
        pass  # the server died under us: whatever was in flight was never acknowledged
    finally:
        killer.join()
    return acknowledged


def verify(database_url: str, instance: Path, acknowledged: list[str]) -> None:
    app = make_app(database_url, instance, RefusingEmbedder())
    with app.app_context():
        state = search_index.state
        report = check(db.session, state)
        assert report.ok, report.lines()
        found = {cs.slug: cs for cs in db.session.scalars(select(CaseStudy).where(CaseStudy.slug.in_(acknowledged)))}
        missing = set(acknowledged) - set(found)
        assert not missing, f"acknowledged publishes lost: {sorted(missing)}"
        assert all(cs.status == "published" and cs.passages for cs in found.values())
        live = DatabaseChangeSource(db.session, 384).live_ids()
        on_disk = VectorIndex.load(state.directory, state.model, 384)
        assert on_disk.ids() == live
        assert on_disk.last_change == DatabaseChangeSource(db.session, 384).last_change()
        db.session.rollback()
        db.engine.dispose()


def crash_rounds(database_url: str, instance: Path, rounds: int, seed: int) -> int:
    """Run ``rounds`` kill -9 rounds; returns how many publishes were acknowledged in all."""
    rng = random.Random(seed)
    prepare(database_url, instance)
    acknowledged: list[str] = []
    author = WebAuthor("", EMAIL, SCHOOL)
    forker = ServerForker(server_env(database_url, instance), instance.parent / "server.log")
    try:
        for round_no in range(rounds + 1):
            server = forker.start()
            try:
                verify(database_url, instance, acknowledged)
            except BaseException:
                server.kill()
                raise
            if round_no == rounds:
                server.kill()
                break
            acknowledged += publish_until_killed(server, author, round_no, rng.uniform(0.05, 1.5))
    finally:
        forker.close()
    return len(acknowledged)


def test_kill_9_while_publishing_loses_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    rounds = 20
    seed = int(os.environ.get("COMMONS_CRASH_SEED", random.randrange(1 << 30)))
    print(f"crash test: {rounds} rounds, COMMONS_CRASH_SEED={seed}")
    published = crash_rounds(database_url, tmp_path / "instance", rounds, seed)
    print(f"crash test: {published} publishes acknowledged, all present")
    assert published > 0
