"""SpiffWorkflow's script engine, replaced: safe expressions, assignment-only scripts, registered services.

SpiffWorkflow evaluates conditions, timers, message payloads and service parameters with `eval` and
runs scripts with `exec`, both with full builtins. Every one of those paths goes through this class,
so none of them reaches Python's evaluator.
"""
from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Optional

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy.orm.exc import StaleDataError

from . import expressions, registry
from .clock import utcnow
from .errors import EngineError


@dataclass
class RunScope:
    """Who and what the engine is running for, visible to service tasks during one engine step."""

    case: Any
    actor: str = "systeem"
    user_id: Optional[int] = None
    now: Optional[datetime] = None
    new_case: bool = False
    # What service tasks leave for the save at the end of the step (shared with every ServiceContext):
    # "hand_back" = (group id, user id or None, reason) says where the next work item goes.
    extra: dict[str, Any] = field(default_factory=dict)


current_scope: ContextVar[Optional[RunScope]] = ContextVar("current_scope", default=None)


class ExpressionRefused(SpiffWorkflowException):  # type: ignore[misc]  # SpiffWorkflow has no type stubs
    """An expression or script the safe evaluator refused, raised where SpiffWorkflow calls the environment."""


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # SpiffWorkflow has no type stubs
    """The environment SpiffWorkflow calls directly (correlations, ad-hoc conditions): safe as well.

    Most paths go through SafeScriptEngine below, but a few library paths call the environment
    itself; the default one would `eval` there, so ours evaluates with the same whitelist.
    """

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Optional[dict[str, Any]] = None) -> Any:
        try:
            return expressions.evaluate(expression, {**context, **(external_context or {})})
        except expressions.ExpressionError as err:
            raise ExpressionRefused(f"Error evaluating expression '{expression}': {err}") from err

    def execute(self, script: str, context: dict[str, Any], external_context: Optional[dict[str, Any]] = None) -> bool:
        try:
            expressions.execute_script(script, context)
        except expressions.ExpressionError as err:
            raise ExpressionRefused(f"Script refused: {err}") from err
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> NoReturn:
        raise ExpressionRefused("services run only through service tasks")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow has no type stubs
    """A script engine that never calls eval/exec: see engine.expressions for what is allowed."""

    def __init__(self) -> None:
        super().__init__(environment=SafeEnvironment())

    def validate(self, expression: str) -> None:
        expressions.check(expression)

    def evaluate(self, task: Any, expression: str, external_context: Optional[dict[str, Any]] = None) -> Any:
        variables = dict(task.data)
        if external_context:
            variables.update(external_context)
        try:
            return expressions.evaluate(expression, variables)
        except expressions.ExpressionError as err:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {err}", task=task,
                                        exception=err) from err

    def execute(self, task: Any, script: str, external_context: Optional[dict[str, Any]] = None) -> bool:
        try:
            expressions.execute_script(script, task.data)
        except expressions.ExpressionError as err:
            raise WorkflowTaskException(f"Script refused: {err}", task=task, exception=err) from err
        return True

    def call_service(self, task: Any, operation_name: Optional[str] = None,
                     operation_params: Optional[dict[str, Any]] = None, **kwargs: Any) -> str:
        scope = current_scope.get()
        if scope is None:
            raise WorkflowTaskException("service task ran outside a case transaction", task=task)
        try:
            fn = registry.get_service(operation_name or "")  # no operator: the KeyError below
        except KeyError as err:
            raise WorkflowTaskException(f"unknown service operator '{operation_name}'", task=task) from err
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        ctx = registry.ServiceContext(case=scope.case, data=task.data, task_name=task.task_spec.name,
                                      now=scope.now or utcnow(), actor=scope.actor, user_id=scope.user_id,
                                      new_case=scope.new_case, extra=scope.extra)
        # Wrap every error ourselves: 3.2.0's own wrapper references an undefined name and hides it.
        try:
            result = fn(ctx, **params)
        except (WorkflowTaskException, StaleDataError):
            raise  # a concurrent change to the case is a conflict, not a model error
        except EngineError:
            # Refused input (InvalidInput, Conflict) that only became wrong after the form was checked, such
            # as an original case marked a duplicate meanwhile: the caller rolls back and explains; no process error.
            raise
        except Exception as err:
            raise WorkflowTaskException(f"service '{operation_name}' failed: {err}", task=task,
                                        exception=err) from err
        return json.dumps(result)
