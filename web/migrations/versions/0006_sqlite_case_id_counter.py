"""SQLite only: case_id_counter, where a new case takes its id before its row is written

PostgreSQL takes new case ids from the sequence of cases.id; SQLite has no sequences. A one-row
table does the same there: `UPDATE case_id_counter SET value = ... + 1 RETURNING value` hands out the
next id and holds SQLite's write lock until the commit (engine/new_case_row.py).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    counter = op.create_table("case_id_counter", sa.Column("value", sa.Integer(), nullable=False))
    op.execute(counter.insert().from_select(["value"], sa.select(sa.func.coalesce(sa.func.max(sa.column("id")), 0))
                                            .select_from(sa.table("cases"))))


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_table("case_id_counter")
