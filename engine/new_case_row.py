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

from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import make_transient_to_detached

from .db import db
from .models import Case

_EARLY_ROW = "meldpunt_new_case_rows"  # session.info key: ids of new cases whose bare row exists already


def _table():
    return Case.__table__


def allocate_case_id(case: Case) -> None:
    """Give the transient `case` its id before its process runs (events and mails carry it)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        case.id = session.scalar(select(func.nextval(func.pg_get_serial_sequence("cases", "id"))))
        return
    values = {"kind": case.kind, "definition_id": case.definition_id, "tracking_token": case.tracking_token,
              "status": case.status}
    case.id = session.execute(_table().insert().returning(_table().c.id), values).scalar_one()
    session.info.setdefault(_EARLY_ROW, set()).add(case.id)


def _column_values(case: Case) -> dict[str, Any]:
    """The column values set on the transient case; foreign keys are taken from the related objects."""
    mapper = inspect(Case)
    state = case.__dict__
    values = {attr.columns[0].key: state[attr.key] for attr in mapper.column_attrs if attr.key in state}
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or rel.key not in state:
            continue
        related = state[rel.key]
        for local, remote in rel.local_remote_pairs:
            if related is not None and getattr(related, remote.key) is None:
                db.session.flush([related])  # a related row made in this transaction (a new reporter)
            values[local.key] = None if related is None else getattr(related, remote.key)
    return values


def write_new_case(case: Case) -> dict[str, Any]:
    """Write the whole row of the new case (INSERT, or UPDATE of the early bare row); returns its values."""
    if case in db.session:
        raise RuntimeError(f"new case {case.reference} was attached to the session during its start; "
                           "refer to a new case by id, not by relationship")
    values = _column_values(case)
    values["lock_version"] = case.lock_version = 1
    table = _table()
    early = db.session.info.get(_EARLY_ROW, set())
    if case.id in early:
        early.discard(case.id)
        db.session.execute(table.update().where(table.c.id == case.id), values)
    else:
        db.session.execute(table.insert(), values)  # compiled once per column set, then cached
    return values


def attach_as_loaded(case: Case, values: dict[str, Any]) -> None:
    """After the commit: make the case a clean persistent object of the session, as if just loaded."""
    mapper = inspect(Case)
    for key, value in values.items():
        attr = mapper.get_property_by_column(_table().c[key]).key
        if attr not in case.__dict__:
            setattr(case, attr, value)  # foreign keys that were set through relationships
    make_transient_to_detached(case)  # attribute history reset; the identity comes from the id
    db.session.add(case)
