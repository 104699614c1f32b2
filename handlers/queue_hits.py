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

from sqlalchemy import BigInteger, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.expression import any_

from engine.db import db
from engine.models import Case, WorkItem


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
    sql, parameters = items_statement(ids, item_conditions, case_conditions)
    driver: Any = db.session.connection().connection.driver_connection  # psycopg's, in the session's transaction
    return [row[0] for row in driver.execute(sql, parameters, prepare=False).fetchall()]


def items_statement(ids: str, item_conditions: list[ColumnElement[bool]],
                    case_conditions: list[ColumnElement[bool]]) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the question for psycopg; `ids` is an array's text ("{4,8,15}")."""
    query = select(WorkItem.id).where(WorkItem.case_id == any_(bindparam("hit_ids", type_=ARRAY(BigInteger))),
                                      *item_conditions)
    if case_conditions:
        query = query.join(Case, Case.id == WorkItem.case_id).where(*case_conditions)
    compiled = query.compile(dialect=db.engine.dialect)
    return str(compiled), {**compiled.params, "hit_ids": ids}  # the text, read as the BIGINT[] it is cast to
