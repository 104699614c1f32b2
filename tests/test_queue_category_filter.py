"""A queue filtered on a category (handlers/queues.py): the next items of the queue are tested first, and when they
hold less than a page the category's open cases come from their own index (`ix_cases_category_open`, migration
0022c). Before, the filter tested every item's case in queue order until it had a page, which for a category rare in
the queue, or absent from it, walked the whole queue (330 ms in a queue of 69,640 items at 1,000,000 cases)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from engine.db import db
from handlers.groups import group_by_key
from handlers.queues import QueueFilter, queue_page
from intake.meldingen import register_melding

# Eleven meldingen in the meldkamer's queue, registered in this order: lamps are a sub category of "verlichting".
CATEGORIES = ["sluikstort", "straatlamp-defect", "sluikstort", "sluikstort", "straatlamp-defect", "sluikstort",
              "verlichting", "sluikstort", "sluikstort", "straatlamp-defect", "sluikstort"]


@pytest.fixture
def queue(app):
    made = [register_melding(description=f"Melding {n} aan de Bruul", channel="web", category=key,
                             location={"address": f"Bruul {n + 1}, 2800 Mechelen"}).reference
            for n, key in enumerate(CATEGORIES)]
    db.session.remove()
    return made


def pages(category: str, limit: int) -> list[list[str]]:
    """Every page of the meldkamer's queue filtered on `category`, `limit` items each, following the cursor."""
    group = group_by_key("meldkamer")
    seen, cursor = [], None
    while True:
        page = queue_page(group.id, QueueFilter(category=category), cursor, newest_first=True, limit=limit)
        seen.append([item.case.reference for item in page.items])
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("window", [1, 3, 2000])
def test_the_window_and_the_categorys_index_give_the_same_pages_newest_first(queue, monkeypatch, window):
    import handlers.queues as queues

    monkeypatch.setattr(queues, "SEARCH_WINDOW", window)
    lamps = [ref for ref, key in zip(queue, CATEGORIES, strict=True) if key == "straatlamp-defect"][::-1]
    lighting = [ref for ref, key in zip(queue, CATEGORIES, strict=True) if key != "sluikstort"][::-1]
    assert pages("straatlamp-defect", 2) == [lamps[:2], lamps[2:]]
    assert pages("verlichting", 2) == [lighting[:2], lighting[2:]]  # a main category: its sub categories too
    assert pages("verlichting", 25) == [lighting]
    assert pages("onkruid", 2) == [[]]  # none of it in the queue


def _explain(statement: str, params) -> str:
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        if db.engine.dialect.name == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a small table: ask which index it would use
            cursor.execute("EXPLAIN " + statement, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
        return " ".join(str(row[-1]) for row in cursor.fetchall())


def test_past_the_window_the_categorys_open_cases_are_read_from_their_index(queue, monkeypatch):
    """On PostgreSQL the open cases' ids are one statement of their own (handlers/queue_hits.py), on SQLite a
    subquery of the items' statement: either way the plan reads them from the partial index of open cases."""
    import handlers.queues as queues

    monkeypatch.setattr(queues, "SEARCH_WINDOW", 1)
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, many):
        if "cases.category_id IN" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        assert pages("straatlamp-defect", 25) == [[ref for ref, key in zip(queue, CATEGORIES, strict=True)
                                                   if key == "straatlamp-defect"][::-1]]
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    plans = [_explain(statement, params) for statement, params in seen]
    assert any("ix_cases_category_open" in plan for plan in plans), plans
