"""Two separate server processes on one PostgreSQL database stay in step through the change log."""

import os
import time
from pathlib import Path

import pytest

from commons.db import db
from commons.services.demo import SCHOOLS_CSV
from commons.services.schools import import_schools
from tests.accounts import make_user
from tests.conftest import _reset_postgres, make_app
from tests.servers import WebAuthor, commons_serve, search_slugs

SCHOOL = 990003
DEADLINE_SECONDS = 2.0

pytestmark = pytest.mark.skipif(
    not os.environ.get("COMMONS_TEST_DATABASE_URL"),
    reason="needs PostgreSQL: set COMMONS_TEST_DATABASE_URL=postgresql+psycopg://... (CI always does)",
)


def test_a_publish_in_one_server_is_searchable_in_another_within_two_seconds(tmp_path: Path, embedder) -> None:
    url = os.environ["COMMONS_TEST_DATABASE_URL"]
    _reset_postgres(url)
    app = make_app(url, tmp_path / "setup", embedder)
    with app.app_context():
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
        db.engine.dispose()
    make_user(app, "head@example.org", school=SCHOOL)

    writer = commons_serve(url, tmp_path / "a", tmp_path / "a.log")
    reader = commons_serve(url, tmp_path / "b", tmp_path / "b.log", workers=1)
    try:
        writer.wait_ready()
        reader.wait_ready()
        assert search_slugs(reader.url, "walking buses to school") == []  # the model is loaded, nothing yet
        author = WebAuthor(writer.url, "head@example.org", SCHOOL)
        author.sign_in()
        slug = author.publish("Walking buses in a fell village", "Walking buses got children to school on time.")
        acknowledged = time.monotonic()
        found: list[str] = []
        while time.monotonic() - acknowledged < DEADLINE_SECONDS and slug not in found:
            found = search_slugs(reader.url, "walking buses to get children to school on time")
            time.sleep(0.05)
        assert slug in found, f"not searchable in the other process within {DEADLINE_SECONDS} s"
        assert search_slugs(writer.url, "walking buses to get children to school on time")[0] == slug
    finally:
        writer.stop()
        reader.stop()
