"""The Alembic migrations create exactly the schema the models describe, on both databases."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from commons.models import Base
from commons.ops.migrate import is_current, upgrade


def test_migrations_match_the_models(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_database_url_with_a_percent_sign_migrates(tmp_path: Path) -> None:
    """A password or a folder name with a "%" (percent-encoded in the URL) is not read as
    configparser interpolation when the URL is handed to Alembic."""
    folder = tmp_path / "50% done"
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / 'commons.db'}")
    assert "%" in engine.url.render_as_string(hide_password=False)
    upgrade(engine)
    assert is_current(engine)
    engine.dispose()
