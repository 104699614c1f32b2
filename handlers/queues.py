"""Queues: the first page of a group's or the meldkamer's open work, read from the work-item table.

Keyset pagination on the work item id (no OFFSET scans) and no process state loaded, so the first
page stays fast with millions of cases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from engine.clock import utcnow
from engine.db import db
from engine.deploy import active_ref, spec_for
from engine.models import Case, ProcessDefinition, WorkItem

from .case_search import matching_case_ids
from .models import Category

PAGE_SIZE = 25


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
    for key in sorted(db.session.scalars(select(ProcessDefinition.key).distinct())):
        spec, subprocesses = spec_for(active_ref(key).id)
        for process in (spec, *subprocesses.values()):
            for task in process.task_specs.values():
                if getattr(task, "manual", False) and getattr(task, "lane", None) in lanes:
                    choices.setdefault(task.bpmn_name or task.name)
    return list(choices)


def category_ids(key: str) -> list[int]:
    """The category with this key and its sub categories (a main category filters on all of them)."""
    rows = db.session.execute(select(Category.id, Category.key, Category.parent_id)).all()
    main = [r.id for r in rows if r.key == key]
    return main + [r.id for r in rows if r.parent_id in main]


def queue_page(group_id: int, filters: Optional[QueueFilter] = None, cursor: Optional[int] = None,
               newest_first: bool = False, limit: int = PAGE_SIZE) -> QueuePage:
    """Open work items of one group, oldest first (or newest first for the meldkamer)."""
    filters = filters or QueueFilter()
    query = (select(WorkItem).join(WorkItem.case)
             .options(contains_eager(WorkItem.case).load_only(*CASE_COLUMNS),
                      contains_eager(WorkItem.case).joinedload(Case.category).load_only(Category.name, Category.key),
                      contains_eager(WorkItem.case).joinedload(Case.reporter),
                      contains_eager(WorkItem.case).joinedload(Case.suggested_group),
                      joinedload(WorkItem.assignee))
             .where(WorkItem.group_id == group_id, WorkItem.status == "open"))
    if filters.task:
        query = query.where(WorkItem.title == filters.task)
    if filters.category:
        query = query.where(Case.category_id.in_(category_ids(filters.category)))
    if filters.overdue:
        query = query.where(WorkItem.due_at < utcnow())
    if filters.assignee_id:
        query = query.where(WorkItem.assignee_id == filters.assignee_id)
    if filters.unassigned:
        query = query.where(WorkItem.assignee_id.is_(None))
    if filters.search:
        text = filters.search.strip()
        if REFERENCE.match(text):  # a reference is unique and indexed: no scan through descriptions
            query = query.where(Case.reference == text.upper())
        else:  # the matching cases come from the search indexes first (handlers/case_search.py)
            hits = matching_case_ids(text, with_texts=filters.search_texts)
            if hits is not None:
                query = query.where(WorkItem.case_id.in_(hits))
    if cursor:
        query = query.where(WorkItem.id < cursor if newest_first else WorkItem.id > cursor)
    query = query.order_by(WorkItem.id.desc() if newest_first else WorkItem.id).limit(limit + 1)
    items = list(db.session.scalars(query).unique())
    next_cursor = items[limit - 1].id if len(items) > limit else None
    return QueuePage(items=items[:limit], next_cursor=next_cursor)
