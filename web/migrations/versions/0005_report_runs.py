"""report runs (produced reports, unique per kind/period/group) and the indexes of the report figures

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

IN_PROGRESS_EVENT = "kind = 'status' AND status = 'in_behandeling'"


def upgrade():
    op.create_table('report_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('group_key', sa.String(length=60), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_runs')),
    sa.UniqueConstraint('run_key', name=op.f('uq_report_runs_run_key'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_cases_closed_at', ['closed_at'], unique=False)
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_kind_at', ['kind', 'at'], unique=False)
        batch_op.create_index('ix_case_events_in_progress', ['case_id', 'at'], unique=False,
                              postgresql_where=sa.text(IN_PROGRESS_EVENT), sqlite_where=sa.text(IN_PROGRESS_EVENT))
    with op.batch_alter_table('contractor_orders', schema=None) as batch_op:
        batch_op.create_index('ix_contractor_orders_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('contractor_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_contractor_orders_created_at')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_in_progress')
        batch_op.drop_index('ix_case_events_kind_at')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_closed_at')
        batch_op.drop_index('ix_cases_created_at')
    op.drop_table('report_runs')
