"""Variants of the shipped melding model, as a city would deploy them (issue #14): an extra user task with a
form declared in the model, a status with its own labels, another feedback window."""
from __future__ import annotations

import json
from pathlib import Path

from engine.db import db
from engine.deploy import deploy

MELDING = Path(__file__).resolve().parent.parent / "bpmn" / "melding.bpmn"

RESULTAAT = {"type": "choice", "label": {"nl": "Resultaat", "en": "Result"}, "required": True,
             "choices": [{"value": "ok", "label": {"nl": "In orde", "en": "Fine"}},
                         {"value": "herstel", "label": {"nl": "Herstel nodig", "en": "Repair needed"}}]}
OPMERKING = {"type": "longtext", "label": {"nl": "Opmerking", "en": "Remark"}, "required": False}


def _prop(name: str, value: str) -> str:
    quoted = value.replace("&", "&amp;").replace("'", "&apos;")
    return f"          <spiffworkflow:property name=\"{name}\" value='{quoted}' />\n"


def _replace(xml: str, old: str, new: str) -> str:
    assert old in xml, old
    return xml.replace(old, new, 1)


def with_site_check(xml: str | None = None, fields: dict | None = None) -> str:
    """melding.bpmn with the user task "Controle ter plaatse" (behandelaarsgroep lane) between dispatching
    and taking the case in handling, its form declared as field.* properties, and a status with labels."""
    xml = xml if xml is not None else MELDING.read_text(encoding="utf-8")
    fields = fields if fields is not None else {"resultaat": RESULTAAT, "opmerking": OPMERKING}
    props = (_prop("status", "controle_ter_plaatse") + _prop("status_label_nl", "Controle ter plaatse")
             + _prop("status_label_en", "On-site check")
             + "".join(_prop(f"field.{name}", json.dumps(spec)) for name, spec in fields.items()))
    task = ("    <bpmn:userTask id=\"controle_ter_plaatse\" name=\"Controle ter plaatse\">\n"
            "      <bpmn:extensionElements>\n        <spiffworkflow:properties>\n" + props
            + "        </spiffworkflow:properties>\n      </bpmn:extensionElements>\n"
            "      <bpmn:incoming>flow_dispatch_to_take_in_handling</bpmn:incoming>\n"
            "      <bpmn:outgoing>flow_controle_to_take_in_handling</bpmn:outgoing>\n    </bpmn:userTask>\n")
    xml = _replace(xml, "        <bpmn:flowNodeRef>take_in_handling</bpmn:flowNodeRef>\n",
                   "        <bpmn:flowNodeRef>controle_ter_plaatse</bpmn:flowNodeRef>\n"
                   "        <bpmn:flowNodeRef>take_in_handling</bpmn:flowNodeRef>\n")
    take = "    <bpmn:userTask id=\"take_in_handling\""
    xml = _replace(xml, take, task + take)
    xml = _replace(xml, "      <bpmn:incoming>flow_dispatch_to_take_in_handling</bpmn:incoming>\n      <bpmn:outgoing>"
                   "flow_take_in_handling_to_mail_in_progress",
                   "      <bpmn:incoming>flow_controle_to_take_in_handling</bpmn:incoming>\n      <bpmn:outgoing>"
                   "flow_take_in_handling_to_mail_in_progress")
    xml = _replace(xml, 'sourceRef="dispatch" targetRef="take_in_handling" />',
                   'sourceRef="dispatch" targetRef="controle_ter_plaatse" />\n'
                   '    <bpmn:sequenceFlow id="flow_controle_to_take_in_handling" sourceRef="controle_ter_plaatse" '
                   'targetRef="take_in_handling" />')
    xml = _replace(xml, '      <bpmndi:BPMNShape id="take_in_handling_di"',
                   '      <bpmndi:BPMNShape id="controle_ter_plaatse_di" bpmnElement="controle_ter_plaatse">\n'
                   '        <dc:Bounds x="980" y="500" width="100" height="80" />\n      </bpmndi:BPMNShape>\n'
                   '      <bpmndi:BPMNEdge id="flow_controle_to_take_in_handling_di" '
                   'bpmnElement="flow_controle_to_take_in_handling">\n'
                   '        <di:waypoint x="1030" y="580" />\n        <di:waypoint x="1030" y="630" />\n'
                   '      </bpmndi:BPMNEdge>\n'
                   '      <bpmndi:BPMNShape id="take_in_handling_di"')
    return xml


def with_feedback_window(duration: str, xml: str | None = None) -> str:
    """melding.bpmn whose feedback timer (boundary event on the feedback wait) is `duration`."""
    xml = xml if xml is not None else MELDING.read_text(encoding="utf-8")
    start = xml.index('<bpmn:timerEventDefinition id="feedback_window_over_timer">')
    end = xml.index("</bpmn:timerEventDefinition>", start)
    part = xml[start:end]
    assert '"P14D"' in part
    return xml[:start] + part.replace('"P14D"', f'"{duration}"') + xml[end:]


def deploy_variant(xml: str):
    """Deploy the variant as the newest melding version (the one new cases use) and commit."""
    definition, created = deploy(xml.encode("utf-8"), "melding.bpmn", deployed_by="test")
    assert created
    db.session.commit()
    return definition
