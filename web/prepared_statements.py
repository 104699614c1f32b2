"""PostgreSQL keeps the statements psycopg prepared across transactions, so each is parsed and planned once per
connection rather than once per use.

psycopg 3 prepares a statement on a connection after its fifth use, but forgets them all and sends DEALLOCATE ALL
at every `rollback()`, and every web request ends with one (the session's close). So no statement ever stayed
prepared from one request to the next: PostgreSQL parsed and planned all of them each time (a queue page's five
statements cost 2.2-2.9 ms of its CPU so, 1.4-2.5 ms prepared; a case page's fourteen 2.9-3.4 ms, 1.4-1.8 ms).
Prepared statements belong to the connection, not to a transaction: a ROLLBACK leaves them valid. PostgreSQL plans
one again when a table it reads changed. Here a clean transaction's rollback is sent as a plain command, which
leaves psycopg's cache alone. A failed transaction still rolls back through psycopg, which forgets them: in a
pipeline that a failed statement aborted (a refused change, engine/raw_rows.py) the PREPARE of a statement after
it was skipped by the server while psycopg counted it as made, and asking for it later would fail.

A statement whose best plan depends on its values (a searched queue's matching cases, handlers/queue_hits.py) is run
with the execution option `prepare=False`: psycopg then never prepares it, and PostgreSQL plans it for the values
it has each time rather than, after five runs, perhaps once for any values.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine


def keep_prepared_statements(engine: Engine) -> None:
    """Roll back with a ROLLBACK command on psycopg connections (nothing to do for other drivers)."""
    if engine.dialect.driver != "psycopg":
        return
    from psycopg import pq

    clean = pq.TransactionStatus.INTRANS

    def do_rollback(dbapi_connection: Any) -> None:
        connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if connection.info.transaction_status == clean:  # every statement in it ran: all it prepared exists
            connection.execute("ROLLBACK", prepare=False)
        else:  # idle (nothing to end), failed or broken: psycopg's own rollback, which forgets what it prepared
            connection.rollback()

    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    default_execute = engine.dialect.do_execute

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        if context is not None and context.execution_options.get("prepare") is False:
            cursor.execute(statement, parameters, prepare=False)
        else:
            default_execute(cursor, statement, parameters, context)

    engine.dialect.do_execute = do_execute  # type: ignore[method-assign]
