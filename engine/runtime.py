"""Run a case's process instance inside one database transaction.

Every change is: lock the case row, load the instance, act, run engine steps (bounded), save the
instance with its derived status and next timer, sync work items, append timeline events, commit.
Mails are outbox rows written by service tasks in the same transaction; nothing leaves the system here.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Optional, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, String, bindparam, cast, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from . import registry, statuses
from .clock import utcnow
from .db import db
from .deploy import active_ref, spec_for
from .errors import Conflict, EngineError, ProcessError
from .models import Case, WorkItem
from .new_case_row import allocate_case_id, attach_as_loaded, write_new_case
from .script_engine import RunScope, SafeScriptEngine, current_scope
from .serializer import SERIALIZER_VERSION, make_serializer
from .timeline import add_event
from .workitems import sync_work_items

ENGINE = SafeScriptEngine()
SERIALIZER = make_serializer(spec_for)
MAX_ENGINE_STEPS = 500
T = TypeVar("T")


def task_properties(task: Any) -> dict[str, str]:
    """The `spiffworkflow:properties` of a task's BPMN element (status, form, ...)."""
    properties: dict[str, str] = task.task_spec.extensions.get("properties", {}) \
        if hasattr(task.task_spec, "extensions") else {}
    return properties


OPEN_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def derive_status(workflow: BpmnWorkflow, previous: str, open_tasks: Optional[list[Any]] = None) -> str:
    """The status of the newest waiting task that names one, or of the newest completed one at the end."""
    if open_tasks is None:
        open_tasks = workflow.get_tasks(state=OPEN_STATES)
    waiting = [t for t in open_tasks if task_properties(t).get("status")]
    pool = waiting or [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if task_properties(t).get("status")]
    if not pool:
        return previous
    return task_properties(max(pool, key=lambda t: t.last_state_change))["status"]


def next_timer(workflow: BpmnWorkflow) -> Optional[datetime]:
    """The earliest due time among the instance's armed timers (the scheduler's index)."""
    due = []
    for event in workflow.waiting_events():
        # TimeDateEventDefinition, DurationTimerEventDefinition, CycleTimerEventDefinition
        if "Time" in event.event_type and isinstance(event.value, str):
            due.append(datetime.fromisoformat(event.value))
    return min(due) if due else None


_items = WorkItem.__table__
# The case's open work items as "id:task_id,..." (string_agg on PostgreSQL, group_concat on SQLite), read with the
# locked row: the save that ends the action needs them (engine/workitems.sync_work_items) and would otherwise ask
# in a statement of its own. Under the case's lock they change only through this transaction.
_OPEN_ITEMS = (select(func.aggregate_strings(cast(_items.c.id, String) + ":" + _items.c.task_id, ","))
               .where(_items.c.case_id == Case.id, _items.c.status == "open").scalar_subquery())


@cache
def _locking_load(skip_locked: bool) -> Select[tuple[Case, Optional[str]]]:
    """The SELECT ... FOR UPDATE that opens a case, with its open work items, built once: SQLAlchemy then reuses its
    cache key and compiled form instead of building the statement and its four eager loads anew for every action."""
    return (select(Case, _OPEN_ITEMS).where(Case.id == bindparam("case_id"))
            .options(joinedload(Case.category), joinedload(Case.group), joinedload(Case.suggested_group),
                     joinedload(Case.reporter))
            .with_for_update(skip_locked=skip_locked, of=Case)
            .execution_options(populate_existing=True))


def _open_items(listed: Optional[str]) -> list[tuple[int, str]]:
    """(id, task id) of the open work items as _OPEN_ITEMS lists them."""
    return [(int(item_id), task_id) for item_id, task_id in
            (entry.split(":", 1) for entry in listed.split(","))] if listed else []


class CaseRun:
    """One locked case with its loaded process instance, for the duration of one transaction."""

    def __init__(self, case: Case, workflow: BpmnWorkflow, actor: str, user_id: Optional[int],
                 new_case: bool = False, open_items: Optional[list[tuple[int, str]]] = None) -> None:
        self.case = case
        self.workflow = workflow
        self.new_case = new_case
        self.open_items = open_items  # (id, task id) of its open work items when the case was locked
        self.scope = RunScope(case=case, actor=actor, user_id=user_id, new_case=new_case)

    @classmethod
    def open(cls, case_id: int, actor: str = "systeem", user_id: Optional[int] = None,
             skip_locked: bool = False) -> Optional[CaseRun]:
        """Lock the case row (FOR UPDATE on PostgreSQL) and load its instance; None if skipped."""
        # The relations services read are loaded with the row (lazy loads would cost a query each);
        # the lock applies to the case row only (PostgreSQL refuses FOR UPDATE on an outer join's side).
        row = db.session.execute(_locking_load(skip_locked), {"case_id": case_id}).first()
        if row is None:
            return None
        case, listed = row
        workflow = SERIALIZER.deserialize_json(case.state)
        workflow.script_engine = ENGINE  # never restored by deserialize_json: re-attach every time
        return cls(case, workflow, actor, user_id, open_items=_open_items(listed))

    def run_engine(self) -> None:
        """Run automatic tasks until the instance waits; a model that loops without waiting is stopped."""
        steps = 0

        def count(_task: Any) -> None:
            nonlocal steps
            steps += 1
            if steps > MAX_ENGINE_STEPS:
                raise ProcessError(f"more than {MAX_ENGINE_STEPS} engine steps in one action; "
                                   "the model loops without waiting")

        token = current_scope.set(self.scope)
        try:
            # Services query reference data while they run; flushing half-made rows before each of those
            # queries would cost more than the run itself. Everything is flushed once, at commit.
            with db.session.no_autoflush:
                self.workflow.refresh_timers()  # do_engine_steps only refreshes timers after running
                self.workflow.do_engine_steps(did_complete_task=count)
        finally:
            current_scope.reset(token)

    def save(self, keep_with: Optional[tuple[Optional[int], int]] = None, claimed: Optional[int] = None) -> None:
        """Write the instance back with everything derived from it, and sync the work items (`claimed`: the work
        item this action completed, whose row may still say "open" until the commit)."""
        case, workflow = self.case, self.workflow
        previous = case.status
        case.state = SERIALIZER.serialize_json(workflow)
        case.serializer_version = SERIALIZER_VERSION
        open_tasks = workflow.get_tasks(state=OPEN_STATES)  # one walk of the task tree for status and work
        case.status = derive_status(workflow, previous, open_tasks)
        case.completed = workflow.is_completed()
        case.next_timer_at = None if case.completed else next_timer(workflow)
        case.updated_at = utcnow()
        if case.status in statuses.CLOSED:
            case.closed_at = case.closed_at or case.updated_at
        else:
            case.closed_at = None
        case.error = None
        if case.status != previous:
            add_event(case, "status", actor=self.scope.actor, user_id=self.scope.user_id, public=True,
                      text=statuses.label(case.status, definition_id=case.definition_id),
                      data={"from": previous, "to": case.status})
        mark = None
        hand_back = self.scope.extra.pop("hand_back", None)
        if hand_back is not None and keep_with is None:
            # A service task handed the next work back to someone (an answer came in): see handlers/answer_return.py.
            group_id, user_id, mark = hand_back
            keep_with = (group_id, user_id)
        with db.session.no_autoflush:
            ready = [t for t in open_tasks if t.state == TaskState.READY and t.task_spec.manual]
            sync_work_items(case, workflow, keep_with, new_case=self.new_case, ready_tasks=ready, mark=mark,
                            claimed=claimed, open_items=self.open_items)

    def ready_manual_task(self, task_id: str) -> Any:
        """The READY manual task with this id, or Conflict: SpiffWorkflow itself would run any task."""
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (SpiffWorkflowException, ValueError):
            task = None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict("this task is no longer open")
        return task


def new_reference(kind: str, case_id: int, year: int) -> str:
    """Human reference such as M2026-000042: the letter its kind registered (handlers/case_kinds.py)."""
    return f"{registry.reference_prefix(kind)}{year}-{case_id:06d}"


def commit_or_explain(case_id: Optional[int]) -> None:
    """Commit; a concurrent change to the same case becomes a Conflict, never a half-written case."""
    try:
        db.session.commit()
    except StaleDataError as err:
        db.session.rollback()
        raise Conflict("the case was changed by someone else at the same time; reload and try again") from err


def record_failure(case_id: int, err: Exception, actor: str) -> None:
    """After a rollback, keep the error on the case (its last good state stays) and on the timeline."""
    db.session.rollback()
    case = db.session.get(Case, case_id)
    if case is None:
        return
    case.error = str(err)[:2000]
    if case.next_timer_at is not None and case.next_timer_at <= utcnow():
        # A timer whose branch fails would be retried on every tick; retry it later instead.
        case.next_timer_at = utcnow() + timedelta(minutes=15)
    add_event(case, "error", actor=actor, note=f"Procesfout: {err}")
    db.session.commit()


def run_guarded(case_id: int, actor: str, action: Callable[[], T]) -> T:
    """Run `action()` (which ends in a commit); model errors are recorded and raised as ProcessError."""
    try:
        return action()
    except EngineError:
        db.session.rollback()
        raise
    except StaleDataError as err:
        db.session.rollback()
        raise Conflict("the case was changed by someone else at the same time; reload and try again") from err
    except SpiffWorkflowException as err:
        record_failure(case_id, err, actor)
        raise ProcessError(f"the process could not continue: {err}") from err


def start_case(*, kind: str, process_key: str, fields: dict[str, Any], data: Optional[dict[str, Any]] = None,
               actor: str = "systeem", user_id: Optional[int] = None, commit: bool = True,
               case_id: Optional[int] = None) -> Case:
    """Create a case with the given column values, start its process and run it until it waits.

    `commit=False` leaves the commit to the caller: a service task that starts another case (an
    infomail turned into a melding) keeps both cases in its own transaction. `case_id` is an id the
    caller reserved already (engine.new_case_row.reserve_case_id).
    """
    definition = active_ref(process_key)
    spec, deps = spec_for(definition.id)
    label = f"{definition.key} v{definition.version}"
    now = utcnow()
    case = Case(kind=kind, definition_id=definition.id, tracking_token=secrets.token_urlsafe(24),
                status="ontvangen", created_at=now, updated_at=now, **fields)
    allocate_case_id(case, case_id)
    case.reference = new_reference(kind, case.id, now.year)
    workflow = BpmnWorkflow(spec, deps, script_engine=ENGINE)
    start = workflow.get_next_task(state=TaskState.READY)
    start.set_data(**(data or {}))
    case.status = task_properties(start).get("status", case.status)
    add_event(case, "created", actor=actor, user_id=user_id, public=True,
              text=statuses.label(case.status, definition_id=case.definition_id),
              data={"channel": case.channel, "definition": label})
    run = CaseRun(case, workflow, actor, user_id, new_case=True)
    try:
        run.run_engine()
    except SpiffWorkflowException as err:
        db.session.rollback()
        raise ProcessError(f"the process could not start: {err}") from err
    except EngineError:
        db.session.rollback()
        raise
    run.save()
    values = write_new_case(case, at_commit=commit)
    if commit:
        commit_or_explain(case.id)
    attach_as_loaded(case, values)
    return case
