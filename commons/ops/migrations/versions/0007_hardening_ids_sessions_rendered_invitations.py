"""Hardening: ids never reused, sessions that end, HTML rendered at publish

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:45:00

Drafts, follows, collection items and hub schools get ids that are never reused after a delete
(AUTOINCREMENT on SQLite, which rebuilds each table; PostgreSQL's sequences never reuse).
Users get a session generation: signing out or changing the password ends every copy of a session.
Passages keep the sanitised HTML rendered at publish, with the renderer's version; passages
published before this are rendered on their first view and stored then.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NEVER_REUSED = ('drafts', 'follows', 'collection_items', 'hub_schools')


def _autoincrement(on: bool) -> None:
    """Rebuild each table whose ids clients hold with (or without) SQLite's AUTOINCREMENT.

    The copy keeps every row and id; from then on SQLite remembers the largest id ever used.
    """
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in NEVER_REUSED:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': on}):
            pass


def upgrade() -> None:
    _autoincrement(True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('renderer_version', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_column('renderer_version')
        batch_op.drop_column('html')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
    _autoincrement(False)
