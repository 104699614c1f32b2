"""dashboard cache: the table report_cache and the two indexes its fingerprint reads (reports/dashboard_cache.py)

report_cache keeps the dashboard's gathered figures and chart images, shared by every web process; an entry is
used only while the fingerprint of the data it was computed from (highest ids, the cases changed since a
moment, the group and category lists) is unchanged; the open cases whose deadline passed since are counted on
top. viewed_at and claimed_until serve the page's bounded staleness: the refresh job recomputes the entries
viewed lately, one process per entry. ix_cases_updated_at and the partial ix_cases_open_deadline make both index range scans.

Revision ID: 0018a
Revises: 0018b
"""
from alembic import op
import sqlalchemy as sa

revision = "0018a"
down_revision = "0018b"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('report_cache',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=500), nullable=False),
    sa.Column('window_from', UTC_DATETIME, nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('viewed_at', UTC_DATETIME, nullable=True),
    sa.Column('claimed_until', UTC_DATETIME, nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_cache'))
    )
    op.create_index('ix_cases_updated_at', 'cases', ['updated_at'], unique=False)
    op.create_index('ix_cases_open_deadline', 'cases', ['deadline_at'], unique=False,
                    postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))


def downgrade():
    op.drop_index('ix_cases_open_deadline', table_name='cases')
    op.drop_index('ix_cases_updated_at', table_name='cases')
    op.drop_table('report_cache')
