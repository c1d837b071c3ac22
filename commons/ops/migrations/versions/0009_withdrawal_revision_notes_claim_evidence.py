"""Withdrawal reasons, revision notes and authors, the change note of a draft, claim evidence

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_admin', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_case_studies_withdrawn_by_users'), 'users',
                                    ['withdrawn_by'], ['id'])

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_revisions_author_id_users'), 'users', ['author_id'], ['id'])

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_note', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('evidence')
        batch_op.drop_column('work_email')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('change_note')

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_revisions_author_id_users'), type_='foreignkey')
        batch_op.drop_column('author_id')
        batch_op.drop_column('note')

    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_studies_withdrawn_by_users'), type_='foreignkey')
        batch_op.drop_column('withdrawn_by_admin')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('withdrawn_reason')
