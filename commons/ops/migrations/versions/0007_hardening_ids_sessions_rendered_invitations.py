"""Hardening: ids never reused, sessions that end, HTML rendered at publish, hub invitations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:45:00

Drafts, follows, collection items and hub schools get ids that are never reused after a delete
(AUTOINCREMENT on SQLite, which rebuilds each table; PostgreSQL's sequences never reuse).
Users get a session generation: signing out or changing the password ends every copy of a session.
Passages keep the sanitised HTML rendered at publish, with the renderer's version; passages
published before this are rendered on their first view and stored then.
Adding someone to a hub invites them: hub_invitations holds each invitation until it is accepted.
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
    op.create_table('hub_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_hub_invitations_hub_id_hubs')),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_hub_invitations_invited_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_invitations')),
    sa.UniqueConstraint('hub_id', 'email', name=op.f('uq_hub_invitations_hub_id')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_hub_invitations_token_digest')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('hub_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_invitations_hub_id'), ['hub_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hub_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_invitations_hub_id'))
    op.drop_table('hub_invitations')
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_column('renderer_version')
        batch_op.drop_column('html')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
    _autoincrement(False)
