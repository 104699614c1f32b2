"""Moving a running process instance to another deployed version of its process.

The serializer (engine/serializer.py) stores an instance by reference to its definition and every task by
the *name* of its task spec (the BPMN element id). So an instance can be loaded against another version whose
elements carry the same ids: the task tree, every task's state, data and internal data (a timer's due time)
are kept. What is kept is only correct when

- every task that ran (the history) still exists in the target, else the instance cannot even be saved
  again (a task without a spec has no name to store);
- every task that waits (a user task in a queue, a timer, a message) exists in the target as the same kind
  of element waiting for the same kind of event (a timer stays a timer, a message keeps its name);
- the instance runs no subprocess (their specs are not matched here).

The predictions below the waiting tasks (the FUTURE/LIKELY/MAYBE tasks, built from the old version's
sequence flows) are dropped and predicted again from the target, so an instance that moves continues along
the target's flows (a task added after the waiting one is reached).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PREDICTED = TaskState.FUTURE | TaskState.PREDICTED_MASK

# why an instance cannot move (handlers/case_versions.py turns these into Dutch sentences)
WAITING_MISSING = "waiting_missing"  # a waiting task does not exist in the target
WAITING_CHANGED = "waiting_changed"  # it exists, but as another kind of element
EVENT_CHANGED = "event_changed"  # a waiting timer/message event is another event in the target
HISTORY_MISSING = "history_missing"  # a task that ran does not exist in the target
SUBPROCESS = "subprocess"  # the instance runs a subprocess
NOT_RUNNABLE = "not_runnable"  # the rebuilt instance does not fit the target's flows


@dataclass(frozen=True)
class Obstacle:
    """One reason an instance cannot move: its kind and the task (element id and name) it is about."""

    kind: str
    task: str = ""
    name: str = ""
    detail: str = ""


def _name(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_name", None) or getattr(task_spec, "name", ""))


def _event_signature(task_spec: Any) -> tuple[str, str]:
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return ("", "")
    return (type(definition).__name__, str(getattr(definition, "name", "") or ""))


def waiting_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """The tasks the instance waits on: open ones, and FUTURE ones whose parent has finished."""
    found = []
    for task in workflow.tasks.values():
        if task.has_state(OPEN):
            found.append(task)
        elif task.has_state(TaskState.FUTURE) and (task.parent is None
                                                   or task.parent.has_state(TaskState.FINISHED_MASK)):
            found.append(task)
    return found


def obstacles(workflow: BpmnWorkflow, target_spec: Any) -> list[Obstacle]:
    """Everything in `workflow` that keeps it from moving to `target_spec` (empty: it can move)."""
    if workflow.subprocesses:
        return [Obstacle(SUBPROCESS)]
    found: list[Obstacle] = []
    target = target_spec.task_specs
    seen: set[tuple[str, str]] = set()
    for task in waiting_tasks(workflow):
        spec = task.task_spec
        other = target.get(spec.name)
        if other is None:
            item = Obstacle(WAITING_MISSING, spec.name, _name(spec))
        elif type(other).__name__ != type(spec).__name__:
            item = Obstacle(WAITING_CHANGED, spec.name, _name(spec), type(other).__name__)
        elif isinstance(spec, CatchingEvent) and _event_signature(spec) != _event_signature(other):
            item = Obstacle(EVENT_CHANGED, spec.name, _name(spec), " ".join(_event_signature(other)).strip())
        else:
            continue
        if (item.kind, item.task) not in seen:
            seen.add((item.kind, item.task))
            found.append(item)
    for task in workflow.get_tasks(state=TaskState.FINISHED_MASK):
        spec = task.task_spec
        if spec.name not in target and (HISTORY_MISSING, spec.name) not in seen:
            seen.add((HISTORY_MISSING, spec.name))
            found.append(Obstacle(HISTORY_MISSING, spec.name, _name(spec)))
    return found


def rebuild(state: str, target_definition_id: int, deserialize: Callable[[str], BpmnWorkflow]) -> BpmnWorkflow:
    """The stored instance `state`, loaded against the target definition, its predictions made anew.

    `deserialize` is the runtime's serializer (engine/runtime.py), which loads the spec by `spec_ref`."""
    dct = json.loads(state)
    dct["spec_ref"] = target_definition_id
    workflow = deserialize(json.dumps(dct))
    for task in waiting_tasks(workflow):
        for child in list(task.children):
            if child.has_state(PREDICTED):
                workflow._remove_task(child.id)
        task.task_spec._predict(task, mask=PREDICTED | task.state)  # its own state: predict below it
    return workflow


def try_rebuild(state: str, target_definition_id: int,
                deserialize: Callable[[str], BpmnWorkflow]) -> tuple[BpmnWorkflow | None, list[Obstacle]]:
    """rebuild(), with any failure of the target's flows as an obstacle instead of an exception."""
    try:
        return rebuild(state, target_definition_id, deserialize), []
    except Exception as err:  # SpiffWorkflow raises plain exceptions for a tree that does not fit
        return None, [Obstacle(NOT_RUNNABLE, detail=str(err)[:300])]
