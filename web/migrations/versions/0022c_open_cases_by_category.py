"""the open cases of a category from one index: ix_cases_category_open (category_id, id) WHERE NOT completed

A queue filtered on a category tested each of the queue's items' cases in queue order until it had a page. For a
category rare in the queue, or absent from it, that walked the whole queue: 330 ms for "straatlamp-defect" in
openbare-netheid (69,640 open items) at 1,000,000 cases. The queue now tests a window of its next items and, when
that holds less than a page, lists the category's open cases from this index and finds their items in the queue
(handlers/queues.py), as a search does. Partial: completed cases, most of them, are never listed by category. On
SQLite the condition is written as SQLAlchemy writes the query's (`completed = 0`), which SQLite must match word for
word to use a partial index.

Revision ID: 0022c
Revises: 0021r
"""
from alembic import op
import sqlalchemy as sa

revision = "0022c"
down_revision = "0021r"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_category_open", "cases", ["category_id", "id"], unique=False,
                    postgresql_where=sa.text("NOT completed"), sqlite_where=sa.text("completed = 0"))


def downgrade():
    op.drop_index("ix_cases_category_open", table_name="cases")
