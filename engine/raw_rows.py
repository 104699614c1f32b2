"""Inserting plain rows through the database driver: the rows of one commit in one go.

Creating a case writes its row, a timeline event, an outbox mail and a work item. Through SQLAlchemy
each of those statements costs its own execution (about 0.1-0.2 ms of Python) and, on PostgreSQL,
its own round trip to the server. Here SQLAlchemy still compiles the INSERT (once per table, column
set and dialect) and still converts every value with the column's own type (JSON, UTC timestamps,
booleans), but the statements then go to the session's DBAPI connection directly, inside the
session's transaction: on PostgreSQL all of them in one psycopg pipeline, so one round trip.

Only for rows nothing reads back before the commit; a failing statement raises SQLAlchemy's own
DBAPIError subclass (IntegrityError, ...) as an ordinary execute would, a lost connection is invalidated
as an ordinary execute would (`raise_driver_error`), and the transaction rolls back.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn, Optional, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.schema import Column

MAX_ROWS_PER_STATEMENT = 50  # well under SQLite's limit of bound parameters per statement


@dataclass(frozen=True)
class InsertPlan:
    """One compiled INSERT of `rows` rows: its SQL and, in the driver's order, (row, key, converter)."""

    sql: str
    slots: tuple[tuple[int, str, str, Optional[Callable[[Any], Any]]], ...]  # (row, key, parameter name, convert)
    defaults: tuple[tuple[str, Callable[[], Any]], ...]  # columns the rows leave out, with their Python default
    positional: bool

    def parameters(self, rows: Sequence[dict[str, Any]]) -> Any:
        """The driver parameters for these rows (a tuple for qmark, a dict for pyformat)."""
        if self.defaults:
            rows = [{**{key: make() for key, make in self.defaults if key not in row}, **row} for row in rows]
        values = [rows[i][key] if convert is None else convert(rows[i][key]) for i, key, _, convert in self.slots]
        if self.positional:
            return tuple(values)
        return {name: value for (_, _, name, _), value in zip(self.slots, values, strict=True)}


_plans: dict[tuple[str, Table, tuple[str, ...], int], InsertPlan] = {}


@dataclass(frozen=True)
class LeadingStatement:
    """A statement with its driver parameters ready, sent before the inserts."""

    sql: str


def _default_maker(column: Column[Any]) -> Optional[Callable[[], Any]]:
    default = column.default
    if default is None or column.primary_key:
        return None
    arg: Any = getattr(default, "arg", None)  # scalar and callable defaults carry one
    if default.is_scalar:
        return lambda: arg
    if default.is_callable:
        return lambda: arg(None)  # SQLAlchemy wraps Python defaults to take a context
    return None  # SQL-expression defaults stay with the database


@cache
def positional_dialect(dialect: Dialect) -> Dialect:
    """The dialect compiling with positional parameters (%s for psycopg): a tuple is cheaper to pass than a dict."""
    if dialect.positional or dialect.name != "postgresql":
        return dialect
    return cast("type[DefaultDialect]", type(dialect))(paramstyle="format")  # every dialect is a DefaultDialect


def plan_for(dialect: Dialect, table: Table, row_keys: Sequence[str], rows: int = 1) -> InsertPlan:
    """The compiled INSERT of `rows` rows of `table` with these keys (plus columns with a Python default)."""
    cache_key = (dialect.name, table, tuple(row_keys), rows)
    plan = _plans.get(cache_key)
    if plan is not None:
        return plan
    unknown = [key for key in row_keys if key not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(unknown)}")
    defaults = tuple((column.key, maker) for column in table.c
                     if column.key not in row_keys and (maker := _default_maker(column)) is not None)
    keys = tuple(row_keys) + tuple(key for key, _ in defaults)
    names = {f"r{i}_{key}": (i, key) for i in range(rows) for key in keys}
    values: list[dict[str, Any]] = [{key: bindparam(f"r{i}_{key}") for key in keys} for i in range(rows)]
    # inline(): no RETURNING of the new ids, which nothing here would read
    compiled = table.insert().values(values).inline().compile(dialect=positional_dialect(dialect))
    order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(names)
    slots = tuple((*names[name], name, table.c[names[name][1]].type.dialect_impl(dialect).bind_processor(dialect))
                  for name in order)
    plan = InsertPlan(compiled.string, slots, defaults, compiled.positional)
    _plans[cache_key] = plan
    return plan


def insert_rows(session: Session | scoped_session[Any], batches: Sequence[tuple[Table, list[dict[str, Any]]]],
                and_commit: bool = False, leading: Sequence[tuple[str, tuple[Any, ...]]] = ()) -> None:
    """INSERT every batch (table, rows with the same keys) in order, in the session's transaction.

    `and_commit` (used at the session's commit, when these rows are all that is left to write): on
    PostgreSQL the COMMIT goes in the same pipeline, and SQLAlchemy's own commit afterwards finds the
    driver's transaction closed (psycopg then sends nothing). Elsewhere SQLAlchemy commits as usual.
    `leading`: PostgreSQL statements with their driver parameters, sent first in the same pipeline (a changed
    case's UPDATE, engine/case_row_update.py).
    """
    batches = [(table, rows) for table, rows in batches if rows]
    if not batches and not leading:
        return
    connection = session.connection()
    dialect = connection.dialect
    work: list[tuple[InsertPlan | LeadingStatement, Any]] = []
    for table, rows in batches:
        keys = tuple(rows[0])
        if any(tuple(row) != keys for row in rows[1:]):
            raise ValueError(f"rows for {table.name} differ in their keys")
        for start in range(0, len(rows), MAX_ROWS_PER_STATEMENT):  # several rows, one statement
            part = rows[start:start + MAX_ROWS_PER_STATEMENT]
            plan = plan_for(dialect, table, keys, len(part))
            work.append((plan, plan.parameters(part)))
    if leading and dialect.name != "postgresql":
        raise ValueError("leading statements go in PostgreSQL's pipeline only")
    work = [(LeadingStatement(sql), params) for sql, params in leading] + work
    driver: Any = connection.connection.driver_connection  # the DB-API connection of psycopg or sqlite3
    cursor = driver.cursor()
    current = None
    try:
        if dialect.name == "postgresql":
            with driver.pipeline():  # every statement sent at once, results read at the end: one round trip
                for current, params in work:
                    cursor.execute(current.sql, params)
                if and_commit:
                    # As a statement of the pipeline, not driver.commit(): that waits for the results, and leaving
                    # the pipeline then waits for its own Sync (a second round trip). A statement before it that
                    # fails makes the server skip it, as it would skip a commit().
                    cursor.execute("COMMIT", prepare=False)
        else:
            for current, params in work:
                cursor.execute(current.sql, params)
    except dialect.loaded_dbapi.Error as err:
        raise_driver_error(connection, err, current.sql if current else "", None, cursor)
    finally:
        cursor.close()


def execute_on_driver(session: Session | scoped_session[Any], sql: str, params: tuple[Any, ...]) -> int:
    """Run one statement compiled for the driver (engine/case_row_update.driver_sql) on the session's connection, in
    its transaction; the number of rows it matched. An UPDATE through SQLAlchemy's execute costs several times the
    driver's own work (a claim, a case's new state); errors are raised as that execute would raise them."""
    connection = session.connection()
    cursor = cast(Any, connection.connection.driver_connection).cursor()  # psycopg's or sqlite3's
    try:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
    except connection.dialect.loaded_dbapi.Error as err:
        raise_driver_error(connection, err, sql, params, cursor)
    finally:
        cursor.close()


def raise_driver_error(connection: Connection, err: Exception, statement: str, parameters: Any,
                       cursor: Any) -> NoReturn:
    """Raise an error of a raw driver cursor exactly as SQLAlchemy's own execute would have.

    Wrapped in SQLAlchemy's DBAPIError subclass (IntegrityError, OperationalError, ...), and on a lost
    connection (a restarted or unreachable server) with the connection invalidated and the pool's other
    connections of before marked stale: the session's rollback and the request's teardown then leave the
    dead connection alone instead of failing on it, and the next request gets a fresh one. A raw cursor
    bypasses the execute that would do this, so it hands the error to the same handler (a private method
    of SQLAlchemy 2.0, pinned in setup.cfg; tests/test_database_outage.py covers it).
    """
    connection._handle_dbapi_exception(err, statement, parameters, cursor, None)
    raise AssertionError("unreachable: SQLAlchemy re-raises the driver error")  # pragma: no cover
