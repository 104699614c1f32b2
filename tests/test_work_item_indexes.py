"""Work items carry no one-column index on case_id: uq_work_items_case_id (case_id, task_id) answers every query by
case, so a separate index would only be one more B-tree written with every new work item (migration 0020e)."""
from __future__ import annotations

from sqlalchemy import inspect, text

from engine.db import db


def test_queries_by_case_use_the_unique_index_and_no_second_index_is_written(app):
    names = {index["name"] for index in inspect(db.engine).get_indexes("work_items")}
    assert "ix_work_items_case_id" not in names
    query = "SELECT id, task_id FROM work_items WHERE case_id = 5 AND status = 'open'"
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: ask which index it would use
        plan = " ".join(db.session.scalars(text(f"EXPLAIN {query}")))
        assert "uq_work_items_case_id" in plan, plan
    else:
        plan = " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {query}")))
        assert "sqlite_autoindex_work_items_1 (case_id=?)" in plan, plan
    db.session.rollback()
