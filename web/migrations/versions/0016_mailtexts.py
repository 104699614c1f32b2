"""mail_text_versions: the city's own mail texts, one row per saved version (or "terug naar standaard")

Revision ID: 0016d
Revises: 0016c
"""
from alembic import op
import sqlalchemy as sa

revision = "0016d"
down_revision = "0016c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_text_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('shipped', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_text_versions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_text_versions'))
    )
    op.create_index('ix_mail_text_versions_template_language_id', 'mail_text_versions', ['template', 'language', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_mail_text_versions_template_language_id', table_name='mail_text_versions')
    op.drop_table('mail_text_versions')
