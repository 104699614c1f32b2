"""The write path of a new case: plain Core statements, then the object handed to the ORM as loaded.

Creating a case is the hot path of intake (hundreds per second), and pushing one new Case through the
ORM's unit of work (an INSERT for its id, an UPDATE with the state) cost more than running its process.
So a new case stays a plain, session-less object while its process starts: its id is taken up front
(a sequence value on PostgreSQL; on SQLite, which has no sequences, a bare row inserted early), the row
is written with one Core statement just before the commit, and afterwards the object joins the session
as if it had been loaded - from then on an ordinary persistent Case with its optimistic lock.

While the process starts, code refers to the new case by `case.id` (timeline, outbox and work-item rows
do); attaching an ORM row to it through a relationship would pull it into the session, which
`write_new_case` refuses loudly rather than writing the case twice.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.orm import make_transient_to_detached

from .db import db
from .models import Case

_EARLY_ROW = "meldpunt_new_case_rows"  # session.info key: ids of new cases whose bare row exists already


_BARE_INSERT = Case.__table__.insert().returning(Case.__table__.c.id)
_FULL_INSERT = Case.__table__.insert()
_FULL_UPDATE = Case.__table__.update().where(Case.__table__.c.id == bindparam("case_id"))


_NEXT_ID = select(func.nextval(func.pg_get_serial_sequence("cases", "id")))


@cache
def _shape() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]:
    """(attribute, column) pairs of Case, and its many-to-one relationships with (local, remote) column keys."""
    mapper = inspect(Case)
    columns = tuple((attr.key, attr.columns[0].key) for attr in mapper.column_attrs)
    many_to_one = tuple((rel.key, tuple((local.key, remote.key) for local, remote in rel.local_remote_pairs))
                        for rel in mapper.relationships if rel.direction.name == "MANYTOONE")
    return columns, many_to_one


def allocate_case_id(case: Case) -> None:
    """Give the transient `case` its id before its process runs (events and mails carry it)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        case.id = session.scalar(_NEXT_ID)
        return
    values = {"kind": case.kind, "definition_id": case.definition_id, "tracking_token": case.tracking_token,
              "status": case.status}
    case.id = session.execute(_BARE_INSERT, values).scalar_one()
    session.info.setdefault(_EARLY_ROW, set()).add(case.id)


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


def write_new_case(case: Case) -> dict[str, Any]:
    """Write the whole row of the new case (INSERT, or UPDATE of the early bare row); returns its values."""
    if case in db.session:
        raise RuntimeError(f"new case {case.reference} was attached to the session during its start; "
                           "refer to a new case by id, not by relationship")
    values = _column_values(case)
    values["lock_version"] = case.lock_version = 1
    early = db.session.info.get(_EARLY_ROW, set())
    if case.id in early:
        early.discard(case.id)
        db.session.execute(_FULL_UPDATE, {**values, "case_id": case.id})
    else:
        db.session.execute(_FULL_INSERT, values)  # compiled once per column set, then cached
    return values


def attach_as_loaded(case: Case, values: dict[str, Any]) -> None:
    """After the commit: make the case a clean persistent object of the session, as if just loaded."""
    columns, _ = _shape()
    for attr, column in columns:
        if attr not in case.__dict__ and column in values:
            setattr(case, attr, values[column])  # foreign keys that were set through relationships
    make_transient_to_detached(case)  # attribute history reset; the identity comes from the id
    db.session.add(case)
