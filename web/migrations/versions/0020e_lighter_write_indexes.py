"""lighter indexes on the rows every action writes: ix_work_items_case_id dropped, ix_case_events_kind_at narrowed

- ix_work_items_case_id goes: uq_work_items_case_id (case_id, task_id) answers every query of work items by case
  (`case_id = ?`, `case_id IN (...)`, the foreign key's checks) with its leading column just as well.
- ix_case_events_kind_at (kind, at) held every event; the report figures count events of two kinds only (reopened,
  feedback: reports/figures.py). Two partial indexes on the moment, one per kind, replace it: the events every
  case writes (created, status, task_completed, ...) are no longer written into an index nobody reads them from.

Each was at least one more B-tree page written per melding and per completion on SQLite (per event kind for the
events index), and one more index entry per row on PostgreSQL.

Revision ID: 0020e
Revises: 0019s
"""
from alembic import op
import sqlalchemy as sa

revision = "0020e"
down_revision = "0019s"
branch_labels = None
depends_on = None

KINDS = ("reopened", "feedback")


def upgrade():
    op.drop_index("ix_work_items_case_id", table_name="work_items")
    for kind in KINDS:
        where = sa.text(f"kind = '{kind}'")
        op.create_index(f"ix_case_events_{kind}_at", "case_events", ["at"], unique=False,
                        postgresql_where=where, sqlite_where=where)
    op.drop_index("ix_case_events_kind_at", table_name="case_events")


def downgrade():
    op.create_index("ix_case_events_kind_at", "case_events", ["kind", "at"], unique=False)
    for kind in KINDS:
        op.drop_index(f"ix_case_events_{kind}_at", table_name="case_events")
    op.create_index("ix_work_items_case_id", "work_items", ["case_id"], unique=False)
