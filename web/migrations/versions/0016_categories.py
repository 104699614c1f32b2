"""categories.public (offered to citizens or staff only) and ready_answers (standaardantwoorden)

Revision ID: 0016c
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = "0016c"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    # In place, no batch copy: rebuilding categories on SQLite trips the foreign keys that point at it.
    op.add_column('categories', sa.Column('public', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table('ready_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text_nl', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=True),
    sa.Column('forms', sa.String(length=100), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['handler_groups.id'], name=op.f('fk_ready_answers_group_id_handler_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ready_answers'))
    )


def downgrade():
    op.drop_table('ready_answers')
    op.drop_column('categories', 'public')
