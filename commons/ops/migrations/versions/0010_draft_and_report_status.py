"""A draft's status is a column ("writing", or "submitted" while it waits for review), and so is a report's

Until now it was the key "submitted" in the draft's JSON fields, so finding the drafts waiting
for review meant loading every draft. Each existing draft keeps its place: one whose fields said
submitted is "submitted", every other one "writing", and the key leaves the fields. A reader's
report was open or resolved by a true/false column: it is now "open" or "resolved" in a status column.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

drafts = sa.table('drafts', sa.column('id', sa.Integer), sa.column('fields', sa.JSON),
                  sa.column('status', sa.String(20)))
reports = sa.table('reports', sa.column('resolved', sa.Boolean), sa.column('status', sa.String(20)))


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='writing'))
        batch_op.create_index(batch_op.f('ix_drafts_status'), ['status'], unique=False)

    connection = op.get_bind()
    for draft_id, fields in connection.execute(sa.select(drafts.c.id, drafts.c.fields)).all():
        if not isinstance(fields, dict) or 'submitted' not in fields:
            continue
        status = 'submitted' if fields.get('submitted') else 'writing'
        kept = {k: v for k, v in fields.items() if k != 'submitted'}
        connection.execute(drafts.update().where(drafts.c.id == draft_id).values(status=status, fields=kept))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='open'))
        batch_op.create_index(batch_op.f('ix_reports_status'), ['status'], unique=False)
    connection.execute(reports.update().where(reports.c.resolved == sa.true()).values(status='resolved'))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('resolved')


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved', sa.Boolean(), nullable=False, server_default=sa.false()))
    connection.execute(reports.update().where(reports.c.status == 'resolved').values(resolved=True))
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_status'))
        batch_op.drop_column('status')

    waiting = connection.execute(sa.select(drafts.c.id, drafts.c.fields).where(drafts.c.status == 'submitted')).all()
    for draft_id, fields in waiting:
        connection.execute(drafts.update().where(drafts.c.id == draft_id)
                           .values(fields={**(fields or {}), 'submitted': True}))

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_status'))
        batch_op.drop_column('status')
