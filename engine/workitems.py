"""Work items: READY manual tasks as queue rows, and validating the form data that completes them."""
from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import Any, NamedTuple, Optional, Protocol, cast

from marshmallow import ValidationError
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, bindparam, inspect, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from . import model_forms, registry
from .clock import utcnow
from .db import db
from .errors import InvalidInput, NotFound
from .models import Case, WorkItem
from .pending_rows import add_row


class Actor(Protocol):
    """The staff member completing work (handlers.models.User fits)."""

    id: int
    display_name: str

    def may_act_for(self, group_key: Optional[str]) -> bool: ...


# Built once: SQLAlchemy then reuses its cache key and compiled form instead of building them for every save.
# Core statements on the table: a save needs the open items' ids and tasks, not ORM objects of them.
_items = WorkItem.__table__
_OPEN_ITEMS = select(_items.c.id, _items.c.task_id).where(_items.c.case_id == bindparam("case_id"),
                                                         _items.c.status == "open")
_CANCEL = (update(_items).where(_items.c.id == bindparam("item_id"), _items.c.status == "open")
           .values(status="cancelled", completed_at=bindparam("completed_at")))


@cache
def _item_with_group() -> Select[tuple[WorkItem]]:
    """A work item with its group, built once (on first use: the mappers must be complete by then)."""
    return (select(WorkItem).options(joinedload(WorkItem.group)).where(WorkItem.id == bindparam("item_id"))
            .execution_options(autoflush=False))  # as session.get: nothing pending is flushed first


def sync_work_items(case: Case, workflow: Any, keep_with: Optional[tuple[Optional[int], Optional[int]]] = None,
                    new_case: bool = False, ready_tasks: Optional[list[Any]] = None,
                    mark: Optional[str] = None, claimed: Optional[int] = None,
                    open_items: Optional[list[tuple[int, str]]] = None) -> None:
    """Make the open work items of `case` match its READY manual tasks (insert new, cancel gone).

    `keep_with` = (group id, user id): new work for that group stays with the person who did the
    previous step, so a case taken in handling does not fall back to "unassigned". `mark` is put on
    that group's new work as its `returned_reason` (an answer came in for it). `claimed`: the item this action
    completed, never open any more (on PostgreSQL its row changes only at commit: engine/task_completion.py).
    `open_items`: (id, task id) of the case's open items as read with its locked row (engine/runtime.py), else
    they are read here.
    """
    if ready_tasks is None:
        ready_tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    ready = {str(t.id): t for t in ready_tasks}
    existing: dict[str, tuple[int, Optional[WorkItem]]] = {}
    if not new_case:
        if open_items is None:
            open_items = [(item_id, task_id) for item_id, task_id in db.session.execute(_OPEN_ITEMS,
                                                                                        {"case_id": case.id})]
        for item_id, task_id in open_items:
            if item_id == claimed:
                continue
            loaded = cast(Optional[WorkItem], db.session.identity_map.get(identity_key(WorkItem, item_id)))
            if loaded is not None and loaded.__dict__.get("status", "open") != "open":
                continue  # unflushed changes (an item completed just now) count
            existing[task_id] = (item_id, loaded)
    for task_id, (item_id, loaded) in existing.items():
        if task_id not in ready:
            if loaded is not None:  # this session holds it: change the object, the ORM writes it
                loaded.status = "cancelled"
                loaded.completed_at = utcnow()
            else:
                db.session.execute(_CANCEL, {"item_id": item_id, "completed_at": utcnow()})
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        props = task.task_spec.extensions.get("properties", {})
        lane = task.task_spec.lane
        group_id = registry.resolve_group(case, lane, props)
        kept = bool(keep_with and keep_with[0] is not None and keep_with[0] == group_id)
        assignee = keep_with[1] if keep_with and kept else None
        due_at = case.deadline_at if registry.lane_has_deadline(lane) else None
        row = dict(case_id=case.id, task_id=task_id, task_name=task.task_spec.name,
                   title=task.task_spec.bpmn_name or task.task_spec.name, lane=lane, form_key=props.get("form"),
                   group_id=group_id, assignee_id=assignee, due_at=due_at, returned_reason=mark if kept else None)
        # Every save is followed by its commit and nothing reads new items back in between: they go out
        # with the commit's other rows (engine/pending_rows.py).
        add_row(db.session, WorkItem, {**row, "status": "open", "created_at": utcnow()})


# The id of the case whose task a form is being validated for: forms whose checks depend on the case (a
# case cannot be its own duplicate; "the suggested group" is this case's) read it with form_case().
_form_case_id: ContextVar[Optional[int]] = ContextVar("form_case_id", default=None)


def form_case_id() -> Optional[int]:
    """The id of the case whose task's form is being validated (None when validated without one)."""
    return _form_case_id.get()


def form_case() -> Optional[Case]:
    """The case of the task whose form is being validated (None when validated without one): in a completion,
    the locked case the session holds (engine/task_completion.py), so it costs no query."""
    case_id = _form_case_id.get()
    return db.session.get(Case, case_id) if case_id is not None else None


class TaskRef(Protocol):
    """What names a work item's task and form (a WorkItem, or an OpenItem read without the ORM)."""

    @property
    def case_id(self) -> int: ...
    @property
    def task_name(self) -> str: ...
    @property
    def form_key(self) -> Optional[str]: ...


def task_form_fields(item: TaskRef) -> tuple[model_forms.FieldDecl, ...]:
    """The form the model declares for a work item's task ("field.<name>" properties); empty for a task with
    a built-in form (property `form`) or none."""
    if item.form_key:
        return ()
    definition_id = db.session.scalar(select(Case.definition_id).where(Case.id == item.case_id))
    return model_forms.task_fields(definition_id, item.task_name)


def validate_form(form_key: Optional[str], form_data: Any, case_id: Optional[int] = None,
                  declared: tuple[model_forms.FieldDecl, ...] = ()) -> dict[str, Any]:
    """Validate submitted data against the task's registered form, or the form its model declares
    (`declared`); keys starting with '_' are refused.

    `case_id` is the case the task belongs to: checks that a service task would otherwise only make while
    the process runs (and fail there, leaving a process error) are made here, before anything changes.
    """
    if not isinstance(form_data, dict):
        raise InvalidInput("form data must be a JSON object", {"_schema": ["expected an object"]})
    bad = [k for k in form_data if not isinstance(k, str) or k.startswith("_")]
    if bad:
        raise InvalidInput("field names may not start with '_'", {k: ["not allowed"] for k in map(str, bad)})
    schema = registry.get_form(form_key)
    if schema is None and declared:
        schema = model_forms.form_schema(declared, case_id)
    if schema is None:
        if form_data:
            raise InvalidInput("this task takes no form data", {k: ["unknown field"] for k in form_data})
        return {}
    token = _form_case_id.set(case_id)
    try:
        return cast(dict[str, Any], schema.load(form_data))  # a form schema loads a dict
    except ValidationError as err:
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise InvalidInput("the form has errors", fields) from err
    finally:
        _form_case_id.reset(token)


def get_item(item_id: int) -> WorkItem:
    """The work item or NotFound."""
    item = db.session.scalars(_item_with_group(), {"item_id": item_id}).first()
    if item is None:
        raise NotFound(f"work item {item_id} does not exist")
    return item


class OpenItem(NamedTuple):
    """What completing a work item reads of it and its group: a row, not an ORM object."""

    id: int
    case_id: int
    task_id: str
    task_name: str
    title: str
    form_key: Optional[str]
    group_id: Optional[int]
    status: str
    group_key: Optional[str]


@cache
def _item_row() -> Select[Any]:
    """The work item's columns and its group's key in one Core query, built once (the group's table comes
    from the mapper: handler groups are defined outside the engine)."""
    groups = inspect(WorkItem).relationships["group"].mapper.local_table
    return (select(_items.c.id, _items.c.case_id, _items.c.task_id, _items.c.task_name, _items.c.title,
                   _items.c.form_key, _items.c.group_id, _items.c.status, groups.c.key)
            .select_from(_items.outerjoin(groups, groups.c.id == _items.c.group_id))
            .where(_items.c.id == bindparam("item_id")))


def read_item(item_id: int) -> OpenItem:
    """The work item as a row, or NotFound. An object the session holds already (the API and the case page
    load the item before completing it) is used as it is, as a query would leave it: no second query."""
    loaded = cast(Optional[WorkItem], db.session.identity_map.get(identity_key(WorkItem, item_id)))
    if loaded is not None:
        group = loaded.group
        return OpenItem(loaded.id, loaded.case_id, loaded.task_id, loaded.task_name, loaded.title, loaded.form_key,
                        loaded.group_id, loaded.status, group.key if group is not None else None)
    row = db.session.execute(_item_row(), {"item_id": item_id}).first()
    if row is None:
        raise NotFound(f"work item {item_id} does not exist")
    return OpenItem(*row)
