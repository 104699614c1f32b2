"""nearby index: cases (lat, lon, created_at) instead of (lat, lon), so the nearby query's box and its
"reported in the last N days" are decided in one index (benchmarks/nearby.py: at 1,000,000 cases PostgreSQL
otherwise ANDs the box with a bitmap of every case of the last 12 weeks from ix_cases_created_at)

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_cases_lat_lon', table_name='cases')
    op.create_index('ix_cases_lat_lon_created', 'cases', ['lat', 'lon', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_cases_lat_lon_created', table_name='cases')
    op.create_index('ix_cases_lat_lon', 'cases', ['lat', 'lon'], unique=False)
