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


@postgresql_only
def test_the_queue_pages_plan_is_kept_not_made_on_every_view(app):
    """handlers/queues.py `_unfiltered_page`: a queue's first and next page without filters are planned once per
    connection. With LIMIT as a parameter PostgreSQL made a custom plan on every view (1.5 to 2 ms of its CPU for
    0.5 ms of work at 1,000,000 cases), because the plan it would keep looked costlier; the kept plan now reads the
    queue's index from the cursor on, and the pages are the same."""
    from handlers.groups import group_by_key
    from handlers.queues import queue_page
    from intake.meldingen import register_melding

    case = register_melding(description="Straatlamp brandt niet", channel="web", category="straatlamp-defect",
                            location={"address": "Bruul 12, 2800 Mechelen"})
    desk = group_by_key("meldkamer").id
    # a queue long enough for the planner to weigh a tenth of it (one case, 5,000 items: the page is the same shape)
    db.session.execute(text(
        "INSERT INTO work_items (case_id, task_id, task_name, title, lane, form_key, group_id, status, created_at) "
        "SELECT :case, 'extra-' || n, 'triage', 'Melding beoordelen', 'meldkamer', 'triage', :desk, 'open', now() "
        "FROM generate_series(1, 5000) AS n"), {"case": case.id, "desk": desk})
    db.session.commit()
    db.session.execute(text("ANALYZE work_items"))
    db.session.commit()
    everything = [item.id for item in queue_page(desk, newest_first=True, limit=100).items]
    assert len(everything) == 100
    for _ in range(12):  # in one transaction, so on one connection: prepared at the sixth use, then kept
        first = queue_page(desk, newest_first=True, limit=3)
        second = queue_page(desk, cursor=first.next_cursor, newest_first=True, limit=3)
        assert [i.id for i in first.items + second.items] == everything[:6]
    plans = db.session.execute(text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                                    "WHERE statement LIKE '%FROM work_items JOIN cases%'")).all()
    assert len(plans) == 2, plans  # the first and the next page
    assert all(generic > 0 and custom <= 5 for _, generic, custom in plans), [p[1:] for p in plans]
    db.session.rollback()
