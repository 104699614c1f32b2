"""work items: drop ix_work_items_case_id, which uq_work_items_case_id (case_id, task_id) already covers

Every query of work items by case (`case_id = ?`, `case_id IN (...)`, the foreign key's checks) is answered by the
unique index's leading column just as well; the separate one-column index only cost one more B-tree written with
every new work item (a page per melding and per completion on SQLite).

Revision ID: 0020e
Revises: 0019s
"""
from alembic import op

revision = "0020e"
down_revision = "0019s"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_work_items_case_id", table_name="work_items")


def downgrade():
    op.create_index("ix_work_items_case_id", "work_items", ["case_id"], unique=False)
