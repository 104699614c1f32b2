"""A searched queue on PostgreSQL: which of the queue's open work items belong to the cases the search index found.

The matching cases' ids are read first, then the queue's items among them in one statement that has the ids as
one array (`case_id = ANY(...)`). Knowing how many there are, the planner chooses between looking up each case's
items (`uq_work_items_case_id`: right for a few, a name or a street) and reading the queue's own index once,
testing each item's case against a hash of the ids (`ix_work_items_queue`, bounded by the queue's length: right for
thousands). A word common in the city but rare in the queue has thousands of open cases and hardly an item in the
queue: "straatlamp" in openbare-netheid (5,377 open cases, 69,640 open items) took 87 ms looking up each case's
items, and takes 7 ms reading the queue.

That choice needs the array's values, so the statement is never prepared: a prepared statement may be given a
generic plan, which assumes ten ids (and so looks each one up) and tests an item against the array one element at
a time rather than by hash.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import TextClause

from engine.db import db
from engine.models import Case, WorkItem

# the array's text ("{4,8,15}") as a parameter of unknown type, read as the array it is cast to: a constant of the
# plan, which PostgreSQL tests by hash
OF_HITS = text("work_items.case_id = ANY(CAST(:hit_ids AS BIGINT[]))")


def items_of_cases(hits: Select[Any], item_conditions: list[ColumnElement[bool]],
                   case_conditions: list[ColumnElement[bool]]) -> list[int]:
    """The ids of the work items that meet `item_conditions` (the queue: group, status, filters) and belong to one of
    the cases `hits` selects, whose row meets `case_conditions`."""
    found = hits.subquery("hits")
    # the ids as one value, the array's text: psycopg neither parses thousands of ints nor adapts them back (the list
    # cost 6.6 ms of the web worker's CPU for 5,377 ids, the text 0.5 ms)
    ids = db.session.scalar(select(cast(func.array_agg(found.c.id), Text)))
    if ids is None:
        return []
    # prepare=False: never prepared, planned for these ids each time (web/prepared_statements.py)
    query = items_query(OF_HITS, item_conditions, case_conditions).execution_options(prepare=False)
    return list(db.session.scalars(query, {"hit_ids": ids}))


def items_query(of_hits: ColumnElement[bool] | TextClause, item_conditions: list[ColumnElement[bool]],
                case_conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The ids of the work items that meet `of_hits` (their case is one of the hits: OF_HITS with the parameter
    `hit_ids`, an array's text, on PostgreSQL) and `item_conditions`, and whose case meets `case_conditions`."""
    query = select(WorkItem.id).where(of_hits, *item_conditions)
    if case_conditions:
        query = query.join(Case, Case.id == WorkItem.case_id).where(*case_conditions)
    return query
