"""The indexes on the rows every action writes hold only what some query reads (migration 0020e): each index is
one more B-tree page written per melding and per completion on SQLite, one more entry per row on PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, inspect, text

from engine.db import db


def _plan(query: str, params: dict | None = None) -> str:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: ask which index it would use
        return " ".join(db.session.scalars(text(f"EXPLAIN {query}"), params or {}))
    return " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {query}"), params or {}))


def test_work_items_are_found_by_case_through_the_unique_index_and_no_second_index_is_written(app):
    names = {index["name"] for index in inspect(db.engine).get_indexes("work_items")}
    assert "ix_work_items_case_id" not in names
    plan = _plan("SELECT id, task_id FROM work_items WHERE case_id = 5 AND status = 'open'")
    expected = "uq_work_items_case_id" if db.engine.dialect.name == "postgresql" else "sqlite_autoindex_work_items_1"
    assert expected in plan, plan
    db.session.rollback()


def test_only_the_event_kinds_the_figures_count_are_indexed_by_moment_and_their_queries_use_that_index(app):
    from reports.figures import _of_kind, period_figures

    names = {index["name"] for index in inspect(db.engine).get_indexes("case_events")}
    assert "ix_case_events_kind_at" not in names
    assert {"ix_case_events_reopened_at", "ix_case_events_feedback_at"} <= names
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, many):
        if "case_events.kind = '" in statement and "in_behandeling" not in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        period_figures(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert len(seen) == 2, seen
    for (statement, params), kind in zip(seen, ("reopened", "feedback"), strict=True):
        with db.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            if db.engine.dialect.name == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + statement, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert f"ix_case_events_{kind}_at" in plan, plan
    with pytest.raises(ValueError):
        _of_kind("status")  # no index of its own: a query of it would scan every event


def test_a_reporters_newest_cases_come_from_one_index_in_id_order_without_a_sort(app):
    """The case page's "other cases of this reporter" (newest twenty): with the id in the reporter's index, PostgreSQL
    reads the newest twenty backwards; with the reporter alone it read all of them and sorted (2.8 ms for a reporter
    with 3,374 cases, migration 0021r). SQLite's index holds the rowid after its columns, so it never sorted."""
    from engine.models import Case
    from web.staff.cases import other_cases_of

    names = {index["name"] for index in inspect(db.engine).get_indexes("cases")}
    assert "ix_cases_reporter_id_id" in names and "ix_cases_reporter_id" not in names
    case = Case(id=41, reporter_id=7)
    query = other_cases_of(case).with_only_columns(Case.id)  # the same FROM, WHERE, ORDER BY and LIMIT
    compiled = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = _plan(compiled)
    assert "ix_cases_reporter_id_id" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    db.session.rollback()
