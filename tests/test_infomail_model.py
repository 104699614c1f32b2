"""bpmn/infomail.bpmn as a model: it deploys and lints like the melding model, its diagram covers every
element, its statuses and forms exist, and a case on it survives every save and load."""
from __future__ import annotations

import json

from lxml import etree
from sqlalchemy import select

from engine import deploy as deployment
from engine import registry, statuses
from engine.db import db
from engine.deploy import BPMN_DIR, deploy, deploy_file, latest_definition, parse_document
from engine.lint import NS, lint
from engine.models import Case
from engine.runtime import SERIALIZER

from .test_infomail_process import SAMEN_LEVEN, make_actor, receive_mail, reply, route

INFOMAIL = BPMN_DIR / "infomail.bpmn"
DI = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}


def model() -> etree._Element:
    return parse_document(INFOMAIL.read_bytes(), INFOMAIL.name)


def test_infomail_model_is_deployed_once_and_redeploying_it_changes_nothing(app):
    first = latest_definition("infomail")
    assert first.version == 1 and first.filename == "infomail.bpmn"
    again, created = deploy_file(INFOMAIL)
    assert created is False and again.id == first.id
    assert deploy(INFOMAIL.read_bytes(), "infomail.bpmn") == (first, False)
    assert all(created is False for _, created in deployment.deploy_builtin())


def test_infomail_model_passes_the_lint_with_only_registered_services(app):
    root = model()
    assert lint(root, registry.service_names()) == []
    operators = {op.get("id") for op in root.iterfind(".//spiffworkflow:serviceTaskOperator", NS)}
    assert operators >= {"notify.reporter", "mail.convert", "mail.route", "mail.send_answer", "mail.escalate"}
    assert operators <= registry.service_names()


def test_lanes_forms_and_statuses_of_the_model_exist(app):
    root = model()
    lanes = {lane.get("name"): lane for lane in root.iterfind(".//bpmn:lane", NS)}
    assert set(lanes) == {"onthaal", "behandelaarsgroep"}
    tasks = {t.get("id"): t for t in root.iterfind(".//bpmn:userTask", NS)}
    forms = {t.get("name"): t.find(".//spiffworkflow:property[@name='form']", NS).get("value")
             for t in tasks.values()}
    assert forms == {"Mail triëren": "mail_triage", "Mail beantwoorden": "mail_answer"}
    assert all(registry.get_form(key) is not None for key in forms.values())
    lane_of = {ref.text: name for name, lane in lanes.items() for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    assert lane_of["triage"] == "onthaal" and lane_of["answer"] == "behandelaarsgroep"
    used = {p.get("value") for p in root.iterfind(".//spiffworkflow:property[@name='status']", NS)}
    assert used == {"ontvangen", "in_behandeling", "beantwoord", "afgesloten", "omgezet"}
    assert all(status in statuses.LABELS for status in used)
    assert "omgezet" in statuses.CLOSED and "beantwoord" not in statuses.CLOSED


def test_the_diagram_draws_every_element_and_flow(app):
    root = model()
    process = root.find(".//bpmn:process", NS)
    elements = {node.get("id") for node in process.iter() if node.get("id") and etree.QName(node).localname in (
        "startEvent", "endEvent", "boundaryEvent", "serviceTask", "userTask", "receiveTask", "exclusiveGateway",
        "lane")}
    flows = {flow.get("id") for flow in process.iterfind("bpmn:sequenceFlow", NS)}
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", DI)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", DI)}
    assert elements <= shapes and flows == set(edges)
    assert all(len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2
               for edge in edges.values())
    plane = root.find(".//bpmndi:BPMNPlane", DI)
    assert plane.get("bpmnElement") == root.find(".//bpmn:collaboration", NS).get("id")


def _stored(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def test_state_round_trips_unchanged_between_every_step_and_after_a_restart(app, client):
    onthaal = make_actor(client, "eva", "onthaal", "onthaal")
    group = make_actor(client, "sam", "behandelaar", SAMEN_LEVEN)
    ref = receive_mail()
    steps = [
        lambda: route(onthaal, ref),
        lambda: group.complete(ref, "answer", {"action": "send_back", "reason": "Niet voor ons"}),
        lambda: onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Van 9 tot 16 uur."}),
        lambda: reply(ref, "En op zondag?"),
        deployment.forget_cached_specs,  # as after a restart: the spec is parsed again from the database
        lambda: onthaal.complete(ref, "triage", {"decision": "no_answer", "reason": "Beantwoord per telefoon"}),
    ]
    for step in [lambda: None] + steps:
        step()
        case = _stored(ref)
        document = json.loads(case.state)
        assert "spec" not in document and document["spec_ref"] == case.definition_id
        again = SERIALIZER.serialize_json(SERIALIZER.deserialize_json(case.state))
        assert json.loads(again) == document
    case = _stored(ref)
    assert case.completed is True and case.status == "afgesloten"
