"""PostgreSQL: a transaction's BEGIN reaches the server together with its first statement, in one round trip.

psycopg 3 opens a transaction when its first statement is sent: it sends BEGIN and waits for the answer, then sends
the statement and waits again. Every transaction paid a round trip for its BEGIN alone (every request, every melding,
every completion). Even in pipeline mode psycopg waits for the BEGIN before it goes on (a Sync after it).

Here (1) the connections are of a psycopg Connection class whose BEGIN, in pipeline mode, is queued without that
Sync, so it leaves with the statements that follow it, and (2) a statement that opens a transaction is sent in a
pipeline of its own: BEGIN, the statement, one Sync, one wait. Only the way of sending changes: the same BEGIN
(isolation level and all, psycopg's own command), the same statement, the same transaction; an error in the
statement leaves the transaction failed exactly as before (the session's rollback then ends it).

`first_in_pipeline` does (2) for statements sent through the driver directly (engine/new_case_row.py).
Server-side cursors (`yield_per`) are left alone: they do not work in a pipeline. Relies on psycopg's
`_start_query` and `_exec_command` (private; psycopg is pinned in setup.cfg, tests/test_pipelined_begin.py covers it).
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import Engine

_IDLE = pq.TransactionStatus.IDLE


class PipelinedBeginConnection(psycopg.Connection[Any]):
    """psycopg's Connection whose BEGIN, in pipeline mode, is queued without waiting for it."""

    def _start_query(self) -> Any:
        if self._pipeline is None or self.autocommit or self.pgconn.transaction_status != _IDLE:
            return (yield from super()._start_query())
        # psycopg's own BEGIN command, queued in the pipeline; psycopg would Sync and wait for it here
        yield from self._exec_command(self._get_tx_start_command())
        return None


def _starts_transaction(connection: Any) -> bool:
    """Whether the next statement on this connection of ours opens a transaction, outside a pipeline."""
    return (isinstance(connection, PipelinedBeginConnection) and connection._pipeline is None  # noqa: SLF001
            and not connection.autocommit and connection.pgconn.transaction_status == _IDLE)


def first_in_pipeline(connection: Any) -> AbstractContextManager[Any]:
    """A pipeline of its own for the statement about to be sent on `connection` (a DB-API connection) when that
    statement opens a transaction: BEGIN then goes with it. Else (no transaction to open, another driver) nothing."""
    if _starts_transaction(connection):
        pipeline: AbstractContextManager[Any] = connection.pipeline()
        return pipeline
    return nullcontext()


def begin_with_first_statement(engine: Engine) -> None:
    """Make `engine`'s psycopg connections send BEGIN with the first statement of a transaction (other drivers:
    nothing to do)."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        return PipelinedBeginConnection.connect(*cargs, **cparams)

    dialect = engine.dialect
    plain_execute: Callable[..., None] = dialect.do_execute
    plain_execute_no_params: Callable[..., None] = dialect.do_execute_no_params

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        with first_in_pipeline(cursor.connection) if type(cursor) is psycopg.Cursor else nullcontext():
            plain_execute(cursor, statement, parameters, context)

    def do_execute_no_params(cursor: Any, statement: str, context: Any = None) -> None:
        with first_in_pipeline(cursor.connection) if type(cursor) is psycopg.Cursor else nullcontext():
            plain_execute_no_params(cursor, statement, context)

    dialect.do_execute = do_execute  # type: ignore[method-assign]
    dialect.do_execute_no_params = do_execute_no_params  # type: ignore[method-assign]
