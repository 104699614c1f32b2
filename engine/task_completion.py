"""Completing a work item: its task gets the validated form data, then the case runs until it waits again."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from . import model_forms
from .case_row_update import driver_parameters, driver_sql, guarded_sql
from .clock import utcnow
from .db import db
from .errors import Conflict, Forbidden
from .models import Case, WorkItem
from .pending_rows import add_guarded, can_defer_guarded
from .raw_rows import execute_on_driver
from .runtime import CaseRun, commit_or_explain, run_guarded
from .timeline import add_event
from .workitems import Actor, read_item, task_form_fields, validate_form

# The claim, built once (a Core UPDATE of the table: no ORM bulk-update machinery, a reused cache key).
_items = WorkItem.__table__
_CLAIM = (update(_items).where(_items.c.id == bindparam("item_id"), _items.c.status == "open")
          .values(status=bindparam("status"), completed_at=bindparam("completed_at"),
                  completed_by_id=bindparam("completed_by_id")))


def complete_work_item(item_id: int, user: Actor, form_data: Any) -> Case:
    """Complete the task behind a work item with form data, then run the case until it waits again."""
    item = read_item(item_id)
    group_key = item.group_key
    if not user.may_act_for(group_key):
        raise Forbidden(f"you may not act for group '{group_key}'")
    if item.status != "open":
        raise Conflict(f"work item {item_id} is no longer open ({item.status})")
    declared = task_form_fields(item)
    case_id = item.case_id

    def act() -> Case:
        run = cast(CaseRun, CaseRun.open(case_id, actor=user.display_name, user_id=user.id))  # None only if skip_locked
        # Checked on the locked case: the form's checks that read the case (its suggested group, "not its own
        # duplicate") find it in the session, as the process will see it, without a query of their own.
        values = validate_form(item.form_key, form_data, case_id=case_id, declared=declared)
        # Claim the item with a conditional UPDATE: of two people completing it at once, one wins. On PostgreSQL it
        # goes in the commit's pipeline (no round trip of its own), failing the commit if the item is not open any
        # more; elsewhere it runs now. The case's lock already orders completions of its items.
        done = {"status": "completed", "completed_at": utcnow(), "completed_by_id": user.id}
        dialect = db.session.get_bind().dialect
        if can_defer_guarded(db.session()):
            sql, slots = guarded_sql(dialect, _CLAIM)
            add_guarded(db.session, sql, driver_parameters(slots, {"item_id": item_id, **done}))
        else:  # through the driver: SQLAlchemy's execute of this one UPDATE cost more than the UPDATE itself
            sql, slots = driver_sql(dialect, _CLAIM)
            if execute_on_driver(db.session, sql, driver_parameters(slots, {"item_id": item_id, **done})) != 1:
                raise Conflict(f"work item {item_id} is no longer open")
        loaded = db.session.identity_map.get(identity_key(WorkItem, item_id))
        if loaded is not None:  # the row already says so; keep the session's object in step without an UPDATE
            for name, value in done.items():
                set_committed_value(loaded, name, value)
        task = run.ready_manual_task(item.task_id)
        task.set_data(**values)
        task.run()
        note = values.get("note")
        shown = {k: v for k, v in values.items() if k != "note"}
        data: dict[str, Any] = {"task": item.task_name, "title": item.title, "form": shown}
        if declared:  # a form the model declares: the timeline shows its fields with their labels
            data["fields"] = model_forms.shown_values(declared, values)
        add_event(run.case, "task_completed", actor=user.display_name, user_id=user.id, note=note, data=data)
        run.run_engine()
        run.save(keep_with=(item.group_id, user.id), claimed=item_id)
        commit_or_explain(case_id)
        return run.case

    return run_guarded(case_id, user.display_name, act)
