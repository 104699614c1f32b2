"""Rows that only ever get inserted (timeline events, outbox mails) are written in one batch at commit.

They are append-only and nothing reads them back inside the transaction that makes them, so they
skip the ORM's per-object bookkeeping: each becomes a dict, and all of one table go out in a single
bulk INSERT just before the commit. A rollback drops them with everything else.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY = "meldpunt_pending_rows"


def add_row(session: Session, model: type, row: dict[str, Any]) -> None:
    """Queue one row of `model` for the bulk insert at commit."""
    session.info.setdefault(KEY, {}).setdefault(model, []).append(row)


_inserts: dict[type, Any] = {}


def _insert_for(model: type):
    # One statement object per table: SQLAlchemy then finds its compiled form without rebuilding the key.
    if model not in _inserts:
        _inserts[model] = model.__table__.insert()
    return _inserts[model]


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(KEY, None)
    for model, rows in (pending or {}).items():
        session.execute(_insert_for(model), rows)  # Core executemany: no per-row ORM work


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, *_args) -> None:
    session.info.pop(KEY, None)
