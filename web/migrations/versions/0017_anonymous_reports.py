"""anonymous meldingen: categories.allow_anonymous (may citizens report without contact data) and cases.anonymous

Revision ID: 0017a
Revises: 0016a
"""
from alembic import op
import sqlalchemy as sa

revision = "0017a"
down_revision = "0016a"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both (no batch copy: other tables refer to categories and cases).
    op.add_column('categories', sa.Column('allow_anonymous', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('cases', sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('cases', 'anonymous')
    op.drop_column('categories', 'allow_anonymous')
