"""web/prepared_statements.py: on PostgreSQL a statement psycopg prepared stays prepared when the transaction it ran
in is rolled back (every web request ends with a rollback), so it is parsed and planned once per connection."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine.db import db
from handlers.models import HandlerGroup

postgresql_only = pytest.mark.parametrize("app", ["postgresql"], indirect=True)


def _prepared(connection) -> list[str]:
    return [" ".join(s.split()) for s in connection.scalars(text("SELECT statement FROM pg_prepared_statements"))]


@postgresql_only
def test_a_statement_stays_prepared_across_rolled_back_transactions(app):
    with db.engine.connect() as connection:
        for _ in range(7):  # psycopg prepares a statement at its fifth use
            connection.execute(select(HandlerGroup.id).where(HandlerGroup.key == "meldkamer")).all()
            connection.rollback()
        assert [s for s in _prepared(connection) if s.startswith("SELECT handler_groups.id")], _prepared(connection)
        connection.rollback()
        # a failed statement still ends its transaction as before: the connection goes on
        with pytest.raises(DBAPIError):
            connection.execute(text("SELECT 1 / 0"))
        connection.rollback()
        assert connection.execute(select(HandlerGroup.id).where(HandlerGroup.key == "meldkamer")).scalar() is not None


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_sqlite_rolls_back_as_before(app):
    assert "do_rollback" not in vars(db.engine.dialect)


@postgresql_only
def test_a_statement_whose_preparation_a_failed_pipeline_skipped_is_prepared_again(app):
    """A refused change (engine/raw_rows.py: a guarded UPDATE fails first in the commit's pipeline) aborts the
    statements after it, the preparation of one reaching its fifth use included; the next new case on that
    connection must not ask for a prepared statement the server never made."""
    insert = "INSERT INTO handler_groups (key, name) SELECT %s, %s WHERE false"
    with db.engine.connect() as connection:
        driver = connection.connection.driver_connection
        for _ in range(5):  # psycopg prepares at the use after its fifth
            driver.execute(insert, ("x", "x"))
            connection.rollback()
        connection.execute(text("SELECT 1")).all()  # a transaction open, as at a commit
        with pytest.raises(Exception, match="division by zero"):
            with driver.pipeline():
                driver.execute("SELECT 1 / 0")
                driver.execute(insert, ("x", "x"))  # PREPARE sent, skipped by the server
        connection.rollback()
        driver.execute(insert, ("x", "x"))  # failed with "prepared statement ... does not exist"
        connection.rollback()
