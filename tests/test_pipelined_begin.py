"""engine/pipelined_begin.py: on PostgreSQL a transaction's BEGIN goes to the server with its first statement, and
the transaction is the same as before: its writes roll back, it has the isolation level asked for, an error in the
first statement fails it as before, and the connection goes on."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine.db import db
from handlers.models import HandlerGroup

from .helpers import postgres_round_trips

postgresql_only = pytest.mark.parametrize("app", ["postgresql"], indirect=True)


def _groups_named(name: str) -> int:
    """Counted on a connection of its own: what is committed."""
    with db.engine.connect() as other:
        return other.scalar(text("SELECT count(*) FROM handler_groups WHERE name = :name"), {"name": name})


@postgresql_only
def test_the_first_statement_of_a_transaction_and_its_begin_take_one_round_trip(app):
    db.session.remove()
    with postgres_round_trips() as exchanges:
        key = db.session.scalar(select(HandlerGroup.key).where(HandlerGroup.key == "meldkamer"))
        db.session.scalar(select(HandlerGroup.key).where(HandlerGroup.key == "onthaal"))
    assert key == "meldkamer"
    assert len(exchanges) == 2, exchanges  # BEGIN with the first statement, then the second: no BEGIN of its own
    assert db.session.connection().connection.driver_connection.info.transaction_status.name == "INTRANS"


@postgresql_only
def test_a_transaction_begun_with_its_first_statement_still_rolls_back(app):
    db.session.remove()
    db.session.execute(text("UPDATE handler_groups SET name = 'Tijdelijk' WHERE key = 'meldkamer'"))  # first
    assert _groups_named("Tijdelijk") == 0  # not committed: another connection does not see it
    db.session.rollback()
    assert db.session.scalar(select(HandlerGroup.name).where(HandlerGroup.key == "meldkamer")) != "Tijdelijk"
    assert _groups_named("Tijdelijk") == 0


@postgresql_only
def test_the_begin_has_the_isolation_level_asked_for(app):
    db.session.remove()
    db.session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
    assert db.session.scalar(text("SHOW transaction_isolation")) == "serializable"
    db.session.rollback()
    db.session.remove()
    assert db.session.scalar(text("SHOW transaction_isolation")) == "read committed"


@postgresql_only
def test_a_first_statement_that_fails_fails_its_transaction_and_the_connection_goes_on(app):
    db.session.remove()
    with pytest.raises(DBAPIError):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(select(HandlerGroup.key).where(HandlerGroup.key == "meldkamer")) == "meldkamer"


@postgresql_only
def test_a_server_side_cursor_as_first_statement_works_as_before(app):
    db.session.remove()
    keys = list(db.session.scalars(select(HandlerGroup.key).order_by(HandlerGroup.key)
                                   .execution_options(yield_per=2)))
    assert "meldkamer" in keys and len(keys) == len(set(keys)) > 2
