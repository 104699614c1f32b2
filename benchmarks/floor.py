"""The floor under the engine's ratio: bare-ref plus the database writing the very rows the engine writes.

After the engine's timed phases, the rows they wrote are read back per case, as they stood after the create and
after the completion: the case row, its timeline events, work items and outbox mails. They are then written again
under new ids, through the driver directly, in the same database (same schema, indexes, triggers, PRAGMAs: a
connection from the engine's own pool), each case in one transaction of prepared statements, on PostgreSQL in one
pipeline with its COMMIT as the engine sends them:
- create: INSERT the case row, its events, work items and outbox rows;
- complete: UPDATE the case's changed columns (and its lock version) and the work items that changed, INSERT the
  new events, work items and outbox rows.
Reads (the case lock, the reporter lookup) and SQLite's case id counter are left out: the floor only writes.
floor = bare-ref + these writes (benchmarks/results.py prints both ratios): no engine storing these rows on this
database can be faster, so the engine's ratio to the floor is the part of the overhead that is ours.
"""
from __future__ import annotations

import time
from typing import Any

from engine.db import db

from .results import PhaseResult

TABLES = ("cases", "case_events", "work_items", "outbox")
ID_OFFSET = 100_000_000  # the copies' ids: far above the engine's own
Snapshot = dict[str, dict[int, dict[str, Any]]]  # table -> id -> column values


def snapshot(case_ids: list[int]) -> Snapshot:
    """The rows of these cases in TABLES, as the driver returns them."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        marks = ", ".join(["?" if db.engine.dialect.name == "sqlite" else "%s"] * len(case_ids))
        rows: Snapshot = {}
        for table in TABLES:
            key = "id" if table == "cases" else "case_id"
            cursor.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", case_ids)
            names = [d[0] for d in cursor.description]
            rows[table] = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        raw.driver_connection.rollback()
        return rows
    finally:
        raw.close()


def _copied(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row under its new id (and its case's), with the case's unique columns made unique again."""
    row = dict(row, id=row["id"] + ID_OFFSET)
    if table == "cases":
        row["reference"] = f"{row['reference']}f"
        row["tracking_token"] = f"{row['tracking_token']}f"
        if row.get("duplicate_of_id") is not None:
            row["duplicate_of_id"] += ID_OFFSET
    else:
        row["case_id"] = row["case_id"] + ID_OFFSET
    return row


def _statements(before: Snapshot, after: Snapshot, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(table, row) inserts of a create (`before` empty) or the changes from `before` to `after` of one case,
    as ("INSERT table", row) and ("UPDATE table", changed columns with the id)."""
    work: list[tuple[str, dict[str, Any]]] = []
    for table in TABLES:
        for row_id, row in after[table].items():
            if (row_id if table == "cases" else row["case_id"]) != case_id:
                continue
            old = before.get(table, {}).get(row_id)
            if old is None:
                work.append((f"INSERT {table}", _copied(table, row)))
            else:
                changed = {k: v for k, v in row.items() if old[k] != v}
                if changed:
                    work.append((f"UPDATE {table}", dict(changed, id=row_id + ID_OFFSET)))
    return work


def _sql(kind: str, columns: tuple[str, ...], mark: str) -> str:
    verb, table = kind.split()
    if verb == "INSERT":
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    sets = ", ".join(f"{c} = {mark}" for c in columns if c != "id")
    return f"UPDATE {table} SET {sets} WHERE id = {mark}"


def _prepared(work: list[tuple[str, dict[str, Any]]], postgres: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """SQL and driver parameters (JSON values wrapped for psycopg; an UPDATE's id last)."""
    from psycopg.types.json import Jsonb  # noqa: PLC0415 (psycopg is installed; only PostgreSQL needs it)

    out = []
    for kind, row in work:
        columns = tuple(k for k in row if not (kind.startswith("UPDATE") and k == "id"))
        if kind.startswith("UPDATE"):
            columns += ("id",)
        values = tuple(Jsonb(row[c]) if postgres and isinstance(row[c], dict | list) else row[c] for c in columns)
        out.append((_sql(kind, columns, "%s" if postgres else "?"), values))
    return out


def time_writes(label: str, phase: str, per_case: list[list[tuple[str, tuple[Any, ...]]]]) -> PhaseResult:
    """Write each case's statements in one transaction; the wall and CPU time of all of them."""
    raw = db.engine.raw_connection()
    driver: Any = raw.driver_connection
    postgres = db.engine.dialect.name == "postgresql"
    try:
        cursor = driver.cursor()
        start, cpu = time.perf_counter(), time.process_time()
        for statements in per_case:
            if postgres:
                with driver.pipeline():
                    for sql, params in statements:
                        cursor.execute(sql, params, prepare=True)
                    cursor.execute("COMMIT", prepare=False)  # as engine/raw_rows.insert_rows: one Sync, one wait
            else:
                if not driver.in_transaction:
                    cursor.execute("BEGIN")
                for sql, params in statements:
                    cursor.execute(sql, params)  # sqlite3 keeps the prepared statement in its cache
                driver.commit()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    finally:
        raw.close()
    return PhaseResult(label, phase, len(per_case), seconds, 0.0, cpu_seconds)


def run_floor(backend: str, case_ids: list[int], created: Snapshot, completed: Snapshot) -> tuple[PhaseResult, ...]:
    """Time the engine's rows of these cases written by the driver: "<backend>-rows" create and complete."""
    postgres = backend == "postgresql"
    creates = [_prepared(_statements({}, created, c), postgres) for c in case_ids]
    completions = [_prepared(_statements(created, completed, c), postgres) for c in case_ids]
    label = f"{backend}-rows"
    return time_writes(label, "create", creates), time_writes(label, "complete", completions)
