"""Email alerts per follow, their queue of publishes, mail headers; published questions and answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert', sa.String(length=10), nullable=False, server_default='off'))
        batch_op.add_column(sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'],
                            name=op.f('fk_alert_events_case_study_id_case_studies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events'))
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_events_case_study_id'), ['case_study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_events_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))

    with op.batch_alter_table('author_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asker_context', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('share_consent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('share_name', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_author_questions_published_at'), ['published_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('author_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_questions_published_at'))
        batch_op.drop_column('published_at')
        batch_op.drop_column('share_name')
        batch_op.drop_column('share_consent')
        batch_op.drop_column('asker_context')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('headers')

    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_events_sent_at'))
        batch_op.drop_index(batch_op.f('ix_alert_events_case_study_id'))

    op.drop_table('alert_events')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_column('alerted_at')
        batch_op.drop_column('alert')
