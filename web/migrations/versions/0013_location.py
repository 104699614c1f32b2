"""location: an index on cases' lat/lon, the address check, the reporter's original text, the category's
number of days for "Is dit uw melding?", and the followers of a melding ("Ik meld hetzelfde")

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, no batch copy: rebuilding cases or categories on SQLite trips the foreign keys of the
    # tables that point at them (SQLite 3.35 and later drop columns in place, as 0009 does).
    op.add_column('cases', sa.Column('location_checked', sa.Boolean(), nullable=True))
    op.add_column('cases', sa.Column('original_description', sa.Text(), nullable=True))
    op.create_index('ix_cases_lat_lon', 'cases', ['lat', 'lon'], unique=False)
    op.add_column('categories', sa.Column('duplicate_days', sa.Integer(), nullable=True))
    op.create_table('case_followers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reporter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tracking_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_followers_case_id_cases')),
    sa.ForeignKeyConstraint(['reporter_id'], ['reporters.id'], name=op.f('fk_case_followers_reporter_id_reporters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_followers')),
    sa.UniqueConstraint('tracking_token', name=op.f('uq_case_followers_tracking_token'))
    )
    op.create_index('ix_case_followers_case_id', 'case_followers', ['case_id'], unique=False)
    op.create_index('ix_case_followers_reporter_id', 'case_followers', ['reporter_id'], unique=False)


def downgrade():
    op.drop_index('ix_case_followers_reporter_id', table_name='case_followers')
    op.drop_index('ix_case_followers_case_id', table_name='case_followers')
    op.drop_table('case_followers')
    op.drop_column('categories', 'duplicate_days')
    op.drop_index('ix_cases_lat_lon', table_name='cases')
    op.drop_column('cases', 'original_description')
    op.drop_column('cases', 'location_checked')
