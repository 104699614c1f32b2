"""Deliver a BPMN message (a contractor's report, the reporter's reaction or feedback) to a waiting case."""
from __future__ import annotations

from typing import Any, Optional

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from .db import db
from .errors import Conflict, NotFound
from .models import Case
from .runtime import CaseRun, commit_or_explain, run_guarded
from .timeline import add_event


def deliver_message(case_id: int, name: str, payload: dict[str, Any], *, actor: str = "systeem",
                    user_id: Optional[int] = None, public_text: Optional[str] = None) -> Case:
    """Send message `name` with `payload` to the case; Conflict when the case is not waiting for it."""

    def act() -> Case:
        run = CaseRun.open(case_id, actor=actor, user_id=user_id)
        if run is None:
            raise NotFound(f"case {case_id} does not exist")
        try:
            # The spiff class, not the bpmn one: event definitions compare by exact class.
            run.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        except WorkflowException as err:
            if "not waiting for" not in str(err):
                raise  # a model error while catching the message, not a wrong moment
            raise Conflict(f"case {run.case.reference} is not waiting for '{name}'") from err
        add_event(run.case, "message", actor=actor, user_id=user_id, public=public_text is not None,
                  text=public_text, data={"message": name, "payload": payload})
        run.run_engine()
        run.save()
        commit_or_explain(case_id)
        return run.case

    if db.session.get(Case, case_id) is None:
        raise NotFound(f"case {case_id} does not exist")
    return run_guarded(case_id, actor, act)
