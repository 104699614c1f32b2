"""The write path of a new case: its id reserved up front, its row inserted with the rows of its commit.

Creating a case is the hot path of intake (hundreds per second), and pushing one new Case through the
ORM's unit of work (an INSERT for its id, an UPDATE with the state) cost more than running its process.
So a new case stays a plain, session-less object while its process starts: its id is reserved up
front (a sequence value on PostgreSQL; on SQLite, which has no sequences, the next value of the
one-row table case_id_counter, which also takes SQLite's write lock), its row is queued with the
timeline, outbox and work-item rows of the same commit (engine/pending_rows.py) and afterwards the
object joins the session as if it had been loaded - from then on an ordinary persistent Case with
its optimistic lock.

While the process starts, code refers to the new case by `case.id` (timeline, outbox and work-item rows
do); attaching an ORM row to it through a relationship would pull it into the session, which
`write_new_case` refuses loudly rather than writing the case twice.

`reserve_case_id` can look up a returning reporter by e-mail address in the same query: on PostgreSQL
that saves a round trip for every melding.
"""
from __future__ import annotations

from functools import cache
from typing import Any, Optional, cast

from sqlalchemy import inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import make_transient_to_detached

from .db import db
from .models import Case, Reporter
from .pending_rows import add_row
from .raw_rows import insert_rows, raise_driver_error

_REPORTER_COLUMNS = tuple(column.key for column in Reporter.__table__.c)
_REPORTER_LOOKUP = (f"SELECT {', '.join(_REPORTER_COLUMNS)} FROM reporters WHERE email = {{p}} "
                    "ORDER BY id LIMIT 1")
_PG_NEXT_ID = "SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
_PG_NEXT_ID_AND_REPORTER = (f"SELECT nextval(pg_get_serial_sequence('cases', 'id')), r.* FROM (SELECT 1) AS one "
                            f"LEFT JOIN LATERAL ({_REPORTER_LOOKUP.format(p='%s')}) AS r ON true")
_SQLITE_NEXT_ID = ("UPDATE case_id_counter SET value = max(value, (SELECT coalesce(max(id), 0) FROM cases)) + 1 "
                   "RETURNING value")


@cache
def _shape() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]:
    """(attribute, column) pairs of Case, and its many-to-one relationships with (local, remote) column keys."""
    mapper = inspect(Case)
    columns = tuple((attr.key, str(attr.columns[0].key)) for attr in mapper.column_attrs)
    many_to_one = tuple((rel.key, tuple((str(local.key), str(remote.key))
                                        for local, remote in rel.local_remote_pairs or ()))
                        for rel in mapper.relationships if rel.direction.name == "MANYTOONE")
    return columns, many_to_one


@cache
def _reporter_converters(dialect: Dialect) -> tuple[Any, ...]:
    """Result converters of the reporter columns (timestamps come back as aware UTC datetimes)."""
    return tuple(Reporter.__table__.c[key].type.dialect_impl(dialect).result_processor(dialect, None)
                 for key in _REPORTER_COLUMNS)


def _reporter_values(dialect: Dialect, row: Any) -> Optional[dict[str, Any]]:
    if row is None or row[0] is None:
        return None
    return {key: value if convert is None else convert(value)
            for key, value, convert in zip(_REPORTER_COLUMNS, row, _reporter_converters(dialect), strict=True)}


def reserve_case_id(reporter_email: Optional[str] = None) -> tuple[int, Optional[dict[str, Any]]]:
    """A new case id, and the column values of the (oldest) reporter with this e-mail address if any.

    Runs on the session's connection, in its transaction: on SQLite the counter's UPDATE holds the
    write lock until the commit, so no other writer can take the same id.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    cursor: Any = cast(Any, connection.connection.driver_connection).cursor()  # psycopg's or sqlite3's
    statement = None
    try:
        if dialect.name == "postgresql":
            if reporter_email is None:
                cursor.execute(statement := _PG_NEXT_ID)
                return cursor.fetchone()[0], None
            cursor.execute(statement := _PG_NEXT_ID_AND_REPORTER, (reporter_email,))
            row = cursor.fetchone()
            return row[0], _reporter_values(dialect, row[1:])
        cursor.execute(statement := _SQLITE_NEXT_ID)
        counted = cursor.fetchone()
        if counted is None:
            raise RuntimeError("table case_id_counter has no row; run `meldpunt db upgrade`")
        if reporter_email is None:
            return counted[0], None
        cursor.execute(statement := _REPORTER_LOOKUP.format(p="?"), (reporter_email,))
        return counted[0], _reporter_values(dialect, cursor.fetchone())
    except dialect.loaded_dbapi.Error as err:  # a lost connection is invalidated, as by SQLAlchemy's execute
        raise_driver_error(connection, err, statement or "", None, cursor)
    finally:
        cursor.close()


def allocate_case_id(case: Case, case_id: Optional[int] = None) -> None:
    """Give the transient `case` its id before its process runs (events and mails carry it)."""
    case.id = case_id if case_id is not None else reserve_case_id()[0]


def known_reporter(values: dict[str, Any]) -> Reporter:
    """The stored reporter with these column values as a persistent object of the session, without a query."""
    present = db.session.identity_map.get(db.session.identity_key(Reporter, values["id"]))
    if present is not None:
        return cast(Reporter, present)  # this session holds it already, possibly with changes of its own
    reporter = Reporter(**values)
    make_transient_to_detached(reporter)
    db.session.add(reporter)
    return reporter


def _column_values(case: Case) -> dict[str, Any]:
    """The column values set on the transient case; foreign keys are taken from the related objects."""
    columns, many_to_one = _shape()
    state = case.__dict__
    values = {column: state[attr] for attr, column in columns if attr in state}
    for rel_key, pairs in many_to_one:
        if rel_key not in state:
            continue
        related = state[rel_key]
        for local, remote in pairs:
            if related is not None and getattr(related, remote) is None:
                db.session.flush([related])  # a related row made in this transaction (a new reporter)
            values[local] = None if related is None else getattr(related, remote)
    return values


def write_new_case(case: Case, at_commit: bool = True) -> dict[str, Any]:
    """Queue the row of the new case for the commit (or, `at_commit=False`, insert it now); returns its values.

    Inserting now is for callers that go on working in the same transaction before they commit:
    their own rows may refer to the case, and the ORM may flush them before the commit.
    """
    if case in db.session:
        raise RuntimeError(f"new case {case.reference} was attached to the session during its start; "
                           "refer to a new case by id, not by relationship")
    values = _column_values(case)
    values["lock_version"] = case.lock_version = 1
    if at_commit:
        add_row(db.session, Case, values)
    else:
        insert_rows(db.session, [(Case.__table__, [values])])
    return values


def attach_as_loaded(case: Case, values: dict[str, Any]) -> None:
    """After the commit: make the case a clean persistent object of the session, as if just loaded."""
    columns, _ = _shape()
    for attr, column in columns:
        if attr not in case.__dict__ and column in values:
            setattr(case, attr, values[column])  # foreign keys that were set through relationships
    make_transient_to_detached(case)  # attribute history reset; the identity comes from the id
    db.session.add(case)
