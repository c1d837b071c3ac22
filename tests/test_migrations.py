"""The Alembic migrations create exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from commons.models import Base
from commons.ops.migrate import is_current, upgrade


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
