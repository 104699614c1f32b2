"""Rows nothing reads back before the commit (timeline events, outbox mails, a new case) go out at commit.

They skip the ORM's per-object bookkeeping: each becomes a dict, and just before the commit all of
them are inserted through the driver (engine/raw_rows.py), parents before children, on PostgreSQL in
one round trip. A rollback drops them with everything else.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from .case_row_update import STALE_SQLSTATE, write_changed_cases
from .db import Model
from .raw_rows import insert_rows

KEY = "meldpunt_pending_rows"
GUARDED = "meldpunt_guarded_updates"


def add_row(session: Session | scoped_session[Any], model: type[Model], row: dict[str, Any]) -> None:
    """Queue one row of `model` for the bulk insert at commit."""
    session.info.setdefault(KEY, {}).setdefault(model, []).append(row)


def can_defer_guarded(session: Session) -> bool:
    """Whether an UPDATE that must match a row may wait for the commit's pipeline (PostgreSQL, no savepoint)."""
    return session.get_bind().dialect.name == "postgresql" and not session.in_nested_transaction()


def add_guarded(session: Session | scoped_session[Any], sql: str, params: tuple[Any, ...]) -> None:
    """Queue a guarded UPDATE (engine/case_row_update.guarded_sql) for the commit's pipeline, after the changed
    cases' UPDATEs: its failure (it matched no row) aborts the commit as a case's version mismatch does."""
    session.info.setdefault(GUARDED, []).append((sql, params))


@cache
def _dependency_rank(model: type[Model]) -> int:
    """Position of the model's table in the metadata's dependency order: referenced tables first."""
    return model.metadata.sorted_tables.index(model.__table__)


@cache
def _is_referenced(model: type[Model]) -> bool:
    """Whether any table has a foreign key to this model's table (a new case's row is; timeline rows are not)."""
    return any(fk.column.table is model.__table__ for table in model.metadata.sorted_tables
               for fk in table.foreign_keys)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(KEY, None)
    referenced = bool(pending) and any(_is_referenced(model) for model in pending)
    nested = session.in_nested_transaction()
    # Changed cases go through their prebuilt UPDATE (engine/case_row_update.py): with the rows' pipeline on
    # PostgreSQL, else at once. Not when a new case's row is pending: the ORM then writes after the rows.
    pipelined = bool(pending) and not nested and session.get_bind().dialect.name == "postgresql"
    leading = [] if referenced else write_changed_cases(session, in_pipeline=pipelined)
    leading += session.info.pop(GUARDED, [])
    if not pending:
        if leading:  # nothing to insert (never so for a completion, which writes its timeline event)
            _send(session, [], and_commit=False, leading=leading)
        return
    ordered = sorted(pending.items(), key=lambda item: _dependency_rank(item[0]))
    if not nested and not referenced:
        # No ORM row of this commit can refer to these rows, so the ORM's changes (a cancelled work item, say)
        # may go first, and the rows then bring the COMMIT along.
        session.flush()
    # A new case's row must precede the ORM rows that refer to it: then the ORM flushes after the rows
    # and SQLAlchemy commits. A savepoint's release fires this event too, and must not commit at all.
    last = not (nested or session.new or session.deleted or session.dirty)
    _send(session, [(model.__table__, rows) for model, rows in ordered], and_commit=last, leading=leading)


def _send(session: Session, batches: list[tuple[Any, list[dict[str, Any]]]], and_commit: bool,
          leading: list[tuple[str, tuple[Any, ...]]]) -> None:
    try:
        insert_rows(session, batches, and_commit=and_commit, leading=leading)
    except DBAPIError as err:
        if leading and getattr(err.orig, "sqlstate", None) == STALE_SQLSTATE:  # a guarded UPDATE matched no row
            raise StaleDataError("a guarded UPDATE (a case's version, a work item's claim) expected to update "
                                 "1 row; 0 were matched.") from err
        raise


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, *_args: object) -> None:
    session.info.pop(KEY, None)
    session.info.pop(GUARDED, None)
