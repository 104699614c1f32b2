"""Baselines: the melding process on bare SpiffWorkflow, no database, stored two ways.

"bare-ref" stores the instance exactly as the engine does, by reference to its spec (engine/serializer.py: the
blob names the definition and loading takes the parsed spec from a cache): this is the baseline the engine is
judged by. "bare" is SpiffWorkflow's default, which embeds the whole spec (~45 KB) in every JSON and rebuilds it
on every load; it is slower than by reference, so a ratio against it flatters the engine: printed, not judged.

Per case this does what our engine does minus everything Meldpunt adds (database rows, timeline,
work items, outbox, safe expressions): create the instance, run it to the triage user task and
serialize it; then, for the completion, deserialize, complete triage with a dispatch decision, run
the engine until it waits again and serialize.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.serializer import make_serializer

from .results import PhaseResult

MELDING_BPMN = Path(__file__).resolve().parent.parent / "bpmn" / "melding.bpmn"
PROCESS_ID = "melding"


class StubServiceEnvironment(TaskDataEnvironment):
    """Plain spiff environment whose service operators do the trivial, database-free part of ours."""

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        """Return '{}' (a JSON string, as spiff expects); `case.dispatch` also sets the deadline."""
        if operation_name == "case.dispatch":
            context["deadline"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        return "{}"


class BareRunner:
    """The parsed spec, a default script engine and a serializer: SpiffWorkflow's default (spec embedded) or, with
    `by_reference`, the engine's own converter with the parsed spec as its cache (a dictionary lookup)."""

    def __init__(self, bpmn_path: Path = MELDING_BPMN, process_id: str = PROCESS_ID, *,
                 by_reference: bool = False) -> None:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(bpmn_path))
        self.spec = parser.get_spec(process_id)
        self.deps = parser.get_subprocess_specs(process_id)
        self.engine = PythonScriptEngine(environment=StubServiceEnvironment({}))
        if by_reference:
            self.spec.meldpunt_definition_id = 1
            specs = {1: (self.spec, self.deps)}
            self.serializer = make_serializer(specs.__getitem__)
        else:
            self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG)))

    def create_case(self, number: int) -> str:
        """Start one instance, run it to the first user task and return its JSON."""
        workflow = BpmnWorkflow(self.spec, self.deps, script_engine=self.engine)
        workflow.get_next_task(state=TaskState.READY).set_data(melding_id=number)
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)

    def complete_triage(self, state: str) -> str:
        """Load an instance, complete its READY triage task with a dispatch decision, run on and save."""
        workflow = self.serializer.deserialize_json(state)
        workflow.script_engine = self.engine  # not restored by deserialize_json
        task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.name == "triage")
        task.set_data(decision="dispatch")
        task.run()
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)

    def check(self, state: str) -> None:
        """Fail loudly when the completion did not reach take_in_handling (the benchmark would lie)."""
        workflow = self.serializer.deserialize_json(state)
        names = {t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        if names != {"take_in_handling"}:
            raise RuntimeError(f"bare run ended at {sorted(names)}, expected take_in_handling")


def run_bare(cases: int, warmup: int, *, by_reference: bool = False) -> tuple[PhaseResult, PhaseResult]:
    """Time `cases` creations and `cases` completions (after `warmup` untimed ones of each); the results are
    labelled "bare-ref" (stored by reference, the judged baseline) or "bare" (spec embedded)."""
    label = "bare-ref" if by_reference else "bare"
    runner = BareRunner(by_reference=by_reference)
    for i in range(warmup):
        runner.complete_triage(runner.create_case(-1 - i))

    start, cpu = time.perf_counter(), time.process_time()
    states = [runner.create_case(i) for i in range(cases)]
    create_seconds, create_cpu = time.perf_counter() - start, time.process_time() - cpu
    create_bytes = sum(len(s.encode("utf-8")) for s in states) / cases

    start, cpu = time.perf_counter(), time.process_time()
    done = [runner.complete_triage(s) for s in states]
    complete_seconds, complete_cpu = time.perf_counter() - start, time.process_time() - cpu
    done_bytes = sum(len(s.encode("utf-8")) for s in done) / cases
    runner.check(done[-1])
    return (PhaseResult(label, "create", cases, create_seconds, create_bytes, create_cpu),
            PhaseResult(label, "complete", cases, complete_seconds, done_bytes, complete_cpu))
