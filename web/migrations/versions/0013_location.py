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
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_checked', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('original_description', sa.Text(), nullable=True))
        batch_op.create_index('ix_cases_lat_lon', ['lat', 'lon'], unique=False)
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_days', sa.Integer(), nullable=True))
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
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.create_index('ix_case_followers_case_id', ['case_id'], unique=False)
        batch_op.create_index('ix_case_followers_reporter_id', ['reporter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.drop_index('ix_case_followers_reporter_id')
        batch_op.drop_index('ix_case_followers_case_id')
    op.drop_table('case_followers')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('duplicate_days')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_lat_lon')
        batch_op.drop_column('original_description')
        batch_op.drop_column('location_checked')
