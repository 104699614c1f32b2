"""work items: returned_reason (the "antwoord ontvangen" mark); cases: index on duplicate_of_id

When the reporter answers a question or a contractor reports done or refused, the handling task goes
back to the handler who asked; the mark shows in the queue and on the case page until they open it.
Every status mail of a melding looks up the meldingen merged into it: that lookup uses the new index.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_reason", sa.String(length=40), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_duplicate_of_id"), ["duplicate_of_id"], unique=False)


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_duplicate_of_id"))
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("returned_reason")
