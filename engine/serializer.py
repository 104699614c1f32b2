"""Serialize process instances without their spec: the blob names the deployed definition instead.

The default SpiffWorkflow JSON embeds the whole spec in every case (about 12 KB); by reference it is
about 4 KB and loading skips rebuilding the spec, which comes from the per-definition cache.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SERIALIZER_VERSION = VERSION  # stored per case row, so a future format change can migrate old rows

SpecLoader = Callable[[int], tuple[Any, Any]]


class SpecRefConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow has no type stubs
    """Writes `spec_ref` (our definition id) in place of the spec and subprocess specs."""

    spec_loader: SpecLoader | None = None

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec_ref"] = workflow.spec.meldpunt_definition_id
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = cast(SpecLoader, type(self).spec_loader)(dct.pop("spec_ref"))  # set by make_serializer
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def make_serializer(spec_loader: SpecLoader) -> BpmnWorkflowSerializer:
    """A serializer for our cases; the module-level SPIFF_CONFIG is copied, never changed in place."""
    config = dict(SPIFF_CONFIG)
    converter = type("BoundSpecRefConverter", (SpecRefConverter,), {"spec_loader": staticmethod(spec_loader)})
    config[BpmnWorkflow] = converter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
