"""work items: returned_reason, the "antwoord ontvangen" mark on work that came back after an answer

When the reporter answers a question or a contractor reports done or refused, the handling task goes
back to the handler who asked; the mark shows in the queue and on the case page until they open it.

Revision ID: 0008a
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008a"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_reason", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("returned_reason")
