"""Queues: the first page of a group's or the meldkamer's open work, read from the work-item table.

Keyset pagination on the work item id (no OFFSET scans) and no process state loaded, so the first
page stays fast with millions of cases.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional, cast

from sqlalchemy import Select, literal_column, not_, select
from sqlalchemy.orm import contains_eager, joinedload

from engine.clock import utcnow
from engine.db import db
from engine.deploy import active_ref, deployed_keys, spec_for
from engine.models import Case, WorkItem

from .case_search import matching_case_ids, row_matches, short_words
from .models import Category
from .queue_hits import items_of_cases, items_query

PAGE_SIZE = 25
# A search first tests this many of the queue's next open items row by row (in queue order, by the queue's
# index): a common word fills a page there. Only when they hold fewer than a page does the search index list
# the matching cases (a rare word: few of them).
SEARCH_WINDOW = 2000


@dataclass
class QueueFilter:
    """What the queue page filters on; every field is optional."""

    category: Optional[str] = None
    task: Optional[str] = None  # the task's title: task ids repeat across processes ("triage"), titles do not
    overdue: bool = False
    assignee_id: Optional[int] = None
    unassigned: bool = False
    search: Optional[str] = None
    search_texts: bool = True  # False: references and addresses only, not the reporter's text nor their data


@dataclass
class QueuePage:
    """One page of work items with their cases, and the cursor of the next page (None at the end)."""

    items: list[WorkItem] = field(default_factory=list)
    next_cursor: Optional[int] = None


CASE_COLUMNS = (Case.id, Case.reference, Case.status, Case.created_at, Case.address, Case.description,
                Case.deadline_at, Case.category_id, Case.reporter_id, Case.group_id, Case.channel,
                Case.suggested_group_id, Case.suggestion_reason, Case.lat, Case.lon, Case.definition_id)


REFERENCE = re.compile(r"^[MPIZmpiz]\d{4}-\d{6}$")


def task_choices(lanes: tuple[str, ...]) -> list[str]:
    """Titles of the manual tasks in these lanes of the deployed processes: the queue's task filter."""
    choices: dict[str, None] = {}
    for key in deployed_keys():
        choices.update(dict.fromkeys(_task_titles(active_ref(key).id, lanes)))
    return list(choices)


def _task_titles(definition_id: int, lanes: tuple[str, ...]) -> tuple[str, ...]:
    """The titles of one stored version (its model never changes), remembered on its parsed spec: walked once
    per process, not on every queue page."""
    spec, subprocesses = spec_for(definition_id)
    memo = spec.__dict__.setdefault("meldpunt_task_titles", {})
    if lanes not in memo:
        choices: dict[str, None] = {}
        for process in (spec, *subprocesses.values()):
            for task in process.task_specs.values():
                if getattr(task, "manual", False) and getattr(task, "lane", None) in lanes:
                    choices.setdefault(task.bpmn_name or task.name)
        memo[lanes] = tuple(choices)
    return cast(tuple[str, ...], memo[lanes])


def category_ids(key: str) -> list[int]:
    """The category with this key and its sub categories (a main category filters on all of them)."""
    rows = db.session.execute(select(Category.id, Category.key, Category.parent_id)).all()
    main = [r.id for r in rows if r.key == key]
    return main + [r.id for r in rows if r.parent_id in main]


def queue_page(group_id: int, filters: Optional[QueueFilter] = None, cursor: Optional[int] = None,
               newest_first: bool = False, limit: int = PAGE_SIZE) -> QueuePage:
    """Open work items of one group, oldest first (or newest first for the meldkamer)."""
    filters = filters or QueueFilter()
    conditions = [WorkItem.group_id == group_id, WorkItem.status == "open"]
    if filters.task:
        conditions.append(WorkItem.title == filters.task)
    in_category = None
    if filters.category:
        in_category = Case.category_id.in_(category_ids(filters.category))
        conditions.append(in_category)
    if filters.overdue:
        conditions.append(WorkItem.due_at < utcnow())
    if filters.assignee_id:
        conditions.append(WorkItem.assignee_id == filters.assignee_id)
    if filters.unassigned:
        conditions.append(WorkItem.assignee_id.is_(None))
    searched = None
    if filters.search:
        text = filters.search.strip()
        if REFERENCE.match(text):  # a reference is unique and indexed: no scan through descriptions
            # its case's id first (by the unique index), so the work item is found by case id; as a condition on
            # the joined case, PostgreSQL walked the whole meldkamer queue testing each case's reference
            case_id = db.session.scalar(select(Case.id).where(Case.reference == text.upper()))
            conditions.append(WorkItem.case_id == (case_id if case_id is not None else -1))
        else:
            searched = text
    unfiltered = len(conditions) == 2 and filters.search is None  # the group's open items, nothing else
    if cursor:
        conditions.append(WorkItem.id < cursor if newest_first else WorkItem.id > cursor)
    query = (select(WorkItem).join(WorkItem.case)
             .options(contains_eager(WorkItem.case).load_only(*CASE_COLUMNS),
                      contains_eager(WorkItem.case).joinedload(Case.category).load_only(Category.name, Category.key),
                      contains_eager(WorkItem.case).joinedload(Case.reporter),
                      contains_eager(WorkItem.case).joinedload(Case.suggested_group),
                      joinedload(WorkItem.assignee)))
    order = WorkItem.id.desc() if newest_first else WorkItem.id
    if searched is not None:
        items = _searched(query, conditions, order, searched, filters.search_texts, newest_first, limit)
    elif unfiltered:
        items = list(db.session.scalars(_unfiltered_page(query, conditions, order, limit + 1)).unique())
    elif in_category is not None:
        items = _stepped(query, conditions, order, newest_first, limit, window_test=None,
                         open_hits=lambda: (_open_cases(in_category), []))
    else:
        items = list(db.session.scalars(query.where(*conditions).order_by(order).limit(limit + 1)).unique())
    next_cursor = items[limit - 1].id if len(items) > limit else None
    return QueuePage(items=items[:limit], next_cursor=next_cursor)


def _unfiltered_page(query, conditions: list, order, rows: int):
    """A page of the queue without filters: its ids from the queue index in a derived table, the LIMIT a number in
    the SQL text, then the rows with their cases by primary key.

    PostgreSQL plans a prepared statement anew on every run (a custom plan) while the plan it would keep (the
    generic one) looks costlier, and with LIMIT as a parameter it assumes a tenth of the queue: the page's plan, the
    same every time, was made again on every view, 1.5 to 2 ms of the server's CPU for 0.5 ms of work. With the
    number in the text and the ids apart, the kept plan's estimate is right and it is used: an index-only scan of
    `ix_work_items_queue` from the cursor on. Filtered pages keep their custom plans: with the cursor as a parameter
    the kept plan of `WHERE group_id = $1 AND status = $2 AND id > $3 ORDER BY id` was to walk `pk_work_items`
    testing each item's group, which for a short queue reads the table.
    """
    page = (select(WorkItem.id).where(*conditions).order_by(order).limit(literal_column(str(rows)))
            .subquery("queue_page"))
    return query.join(page, page.c.id == WorkItem.id).order_by(order)


def _open_cases(in_category) -> Select[tuple[int]]:
    """The open cases of the category filter's categories (`ix_cases_category_open`, migration 0022c)."""
    return select(Case.id).where(in_category, not_(Case.completed))  # as the index says it on either database


def _searched(query, conditions: list, order, typed: str, with_texts: bool, newest_first: bool,
              limit: int) -> list[WorkItem]:
    """The page of a searched queue (handlers/case_search.py), in the steps of `_stepped`: the words tested on the
    window's cases, then the search indexes of open cases list the matching ones."""
    condition = row_matches(typed, with_texts=with_texts)
    if condition is None:  # nothing searchable typed (punctuation only)
        return list(db.session.scalars(query.where(*conditions).order_by(order).limit(limit + 1)).unique())

    def open_hits() -> tuple[Optional[Select[tuple[int]]], list]:
        short = short_words(typed)
        on_case = [c for c in conditions if _on_case(c)]
        return (matching_case_ids(typed, with_texts=with_texts, long_only=True, open_only=True),
                on_case + ([row_matches(typed, with_texts=with_texts, only=short)] if short else []))

    return _stepped(query, conditions, order, newest_first, limit, window_test=condition, open_hits=open_hits)


def _stepped(query, conditions: list, order, newest_first: bool, limit: int, window_test,
             open_hits: Callable[[], tuple[Optional[Select[tuple[int]]], list]]) -> list[WorkItem]:
    """A page of a queue filtered on its cases (words searched, a category), in steps that each keep their index
    whatever the planner's estimates or its parallel settings:

    1. the next SEARCH_WINDOW open items of the queue (ids and case ids read from the queue index,
       `ix_work_items_queue`), each case's row tested (`window_test` and the filters on the case): a common word or
       category fills the page here after a few dozen rows, where listing all its cases would take longer than the
       whole page;
    2. when they hold less than a page (a word or category rare in this queue), `open_hits()` lists the matching
       open cases by an index of its own (the search indexes, the open cases by category) with what their rows must
       still meet, and their open items in this queue are found by case (`uq_work_items_case_id`) when they are few,
       or by reading the queue's index against a hash of them when they are many (PostgreSQL,
       handlers/queue_hits.py); the page is then loaded by id. No single statement both filters on the hits and
       orders by id: that one the planner may answer by walking the work-item table in id order (`pk_work_items`, in
       parallel) and testing each row against the hits. A category absent from the big group's queue walked its
       69,640 items testing each case: 330 ms; now about 30 ms (`make bench`, 1,000,000 cases).
    """
    plain = [c for c in conditions if not _on_case(c)]
    on_case = [c for c in conditions if _on_case(c)] + ([window_test] if window_test is not None else [])
    # the window's ids and case ids come from the queue index in a derived table of their own (ordered, limited;
    # on PostgreSQL an index-only scan, the case id being an INCLUDE column): only its cases' rows are read to test
    # them, and the page is loaded by the ids found. As an id range instead, PostgreSQL walked pk_work_items
    # over it; filtered and ordered by id alone (no derived table), it read a queue shorter than the window (the
    # onthaal's 1,962 items) in a parallel bitmap heap scan and sorted it.
    window = (select(WorkItem.id.label("id"), WorkItem.case_id.label("case_id")).where(*plain).order_by(order)
              .limit(SEARCH_WINDOW).subquery("search_window"))
    found = list(db.session.scalars(
        select(window.c.id).join(Case, Case.id == window.c.case_id)
        .where(*on_case)
        .order_by(window.c.id.desc() if newest_first else window.c.id).limit(limit + 1)))
    if len(found) > limit:  # the page is full: whether the queue is longer than the window does not matter
        return _by_ids(query, found, order)
    # is the queue longer than the window? (if not, the window held every match)
    bound = db.session.scalar(select(WorkItem.id).where(*plain).order_by(order).offset(SEARCH_WINDOW - 1).limit(1))
    if bound is None:
        return _by_ids(query, found, order)
    hits, on_hits = open_hits()
    if hits is None:
        return _by_ids(query, found, order)
    if db.engine.dialect.name == "postgresql":  # by the number of hits: each case's items, or the queue's index
        ids = items_of_cases(hits, plain, on_hits)
    else:  # the hits joined in SQLite's own plan
        ids = list(db.session.scalars(items_query(WorkItem.case_id.in_(hits), plain, on_hits)))
    return _by_ids(query, sorted(ids, reverse=newest_first)[:limit + 1], order)


def _by_ids(query, ids: list[int], order) -> list[WorkItem]:
    """The page's work items with their cases, by id (the primary key), in queue order."""
    if not ids:
        return []
    return list(db.session.scalars(query.where(WorkItem.id.in_(ids)).order_by(order)).unique())


def _on_case(condition) -> bool:
    """Does this filter need the case's row (category, reference) rather than the work item's alone?"""
    return any(getattr(column, "table", None) is Case.__table__ for column in condition.get_children())
