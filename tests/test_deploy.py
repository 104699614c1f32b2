"""Deploying BPMN: versions, the model lint, hostile or broken files, and runaway models.

Every refusal must be an engine.errors.DeployError whose message starts with the file name and
names the element, so an admin can find and fix it; anything else (a bare KeyError, a database error,
a UnicodeDecodeError) is a bug: the CLI and the API only explain EngineErrors.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select

from engine import deploy as deployment
from engine.db import db
from engine.deploy import BPMN_DIR, deploy, deploy_file, latest_definition
from engine.errors import DeployError, ProcessError
from engine.models import Case, ProcessDefinition
from engine.runtime import MAX_ENGINE_STEPS, start_case

from .helpers import Staff

MELDING = BPMN_DIR / "melding.bpmn"

# --------------------------------------------------------------------------------------------------
# Building small BPMN documents
# --------------------------------------------------------------------------------------------------

HEADER = (
    '<?xml version="1.0" encoding="{encoding}"?>\n{doctype}'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="definitions_test" targetNamespace="http://meldpunt.test/bpmn">\n'
)


def definitions(*parts: str, encoding: str = "UTF-8", doctype: str = "") -> str:
    """Wrap processes (and messages, collaborations...) in <bpmn:definitions> with our namespaces."""
    return HEADER.format(encoding=encoding, doctype=doctype) + "\n".join(parts) + "\n</bpmn:definitions>\n"


def process(pid: str, body: str, executable: bool = True) -> str:
    return f'<bpmn:process id="{pid}" isExecutable="{str(executable).lower()}">\n{body}\n</bpmn:process>'


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def service_task(tid: str, operator: str, incoming: str, outgoing: str, params: str = "") -> str:
    return (
        f'<bpmn:serviceTask id="{tid}"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operator}"><spiffworkflow:parameters>{params}'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        f"<bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:serviceTask>"
    )


def linear(pid: str, middle: str = "", middle_id: str | None = None) -> str:
    """start -> [middle] -> end; `middle` must take incoming f1 and outgoing f2."""
    if middle_id is None:
        return process(
            pid,
            '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
            + flow("f1", "start", "end")
            + '<bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>',
        )
    return process(
        pid,
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        + flow("f1", "start", middle_id)
        + middle
        + flow("f2", middle_id, "end")
        + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>',
    )


def xsd_valid(xml: str | bytes, filename: str = "test.bpmn") -> None:
    """Raise unless the document passes the BPMN + spiffworkflow XSDs deploy validates against."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    SpiffBpmnParser(validator=VALIDATOR).add_bpmn_xml(etree.fromstring(data), filename)


def definition_count(key: str | None = None) -> int:
    query = select(func.count()).select_from(ProcessDefinition)
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    return db.session.scalar(query)


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def assert_readable(err: DeployError, filename: str) -> str:
    text = str(err)
    assert text.startswith(filename), text
    assert "Traceback" not in text and len(text) < 1000, text
    return text


# --------------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------------


def test_redeploying_the_unchanged_melding_model_is_a_no_op(app):
    before = latest_definition("melding")
    again, created = deploy_file(MELDING)
    assert created is False
    assert (again.id, again.version, again.sha256) == (before.id, before.version, before.sha256)
    assert definition_count("melding") == 1
    # also through deploy() with bytes, and with the builtin sweep
    assert deploy(MELDING.read_bytes(), "melding.bpmn") == (before, False)
    assert [created for _, created in deployment.deploy_builtin()] == [False] * len(
        list(BPMN_DIR.glob("*.bpmn"))
    )
    assert definition_count("melding") == 1


@pytest.mark.parametrize("restart", [False, True], ids=["spec-cached", "after-restart"])
def test_changed_model_becomes_version_2_and_running_cases_stay_on_version_1(app, restart):
    staff = Staff.create(app.test_client())
    old_ref = staff.meldkamer.file_melding()["reference"]
    v1 = latest_definition("melding")
    assert staff.meldkamer.open_item(old_ref, "triage")["title"] == "Melding beoordelen"

    changed = MELDING.read_text("utf-8").replace(
        'name="Melding beoordelen"', 'name="Melding beoordelen (v2)"'
    )
    assert changed != MELDING.read_text("utf-8")
    v2, created = deploy(changed.encode("utf-8"), "melding.bpmn", deployed_by="test")
    db.session.commit()
    assert created is True
    assert (v2.key, v2.version) == ("melding", v1.version + 1) and v2.id != v1.id
    assert latest_definition("melding").id == v2.id
    if restart:  # a fresh process has no parsed specs: v1 must be rebuilt from its stored XML
        deployment.forget_cached_specs()

    # the old case is still on v1 and carries on there
    old_case = db.session.scalar(select(Case).where(Case.reference == old_ref))
    assert old_case.definition_id == v1.id
    staff.meldkamer.complete(old_ref, "triage", {"decision": "dispatch"})
    old = staff.ood.case(old_ref)
    assert old["status"] == "toegewezen"
    assert staff.ood.open_item(old_ref, "take_in_handling")
    db.session.expire_all()
    assert db.session.scalar(select(Case.definition_id).where(Case.reference == old_ref)) == v1.id

    # a new case starts on v2 and shows the changed task name
    new_ref = staff.meldkamer.file_melding()["reference"]
    assert db.session.scalar(select(Case.definition_id).where(Case.reference == new_ref)) == v2.id
    assert staff.meldkamer.open_item(new_ref, "triage")["title"] == "Melding beoordelen (v2)"

    # deploying v2 again is a no-op; the v1 bytes again make a new version (v3), not a rollback in place
    assert deploy(changed.encode("utf-8"), "melding.bpmn") == (v2, False)
    v3, created = deploy(MELDING.read_bytes(), "melding.bpmn")
    assert created and v3.version == v2.version + 1


# --------------------------------------------------------------------------------------------------
# The lint: refusals name the file and the element
# --------------------------------------------------------------------------------------------------

START = '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'

XOR_WITHOUT_DEFAULT = process(
    "xor_no_default",
    START
    + flow("f1", "start", "gw_choice")
    + """
<bpmn:exclusiveGateway id="gw_choice"><bpmn:incoming>f1</bpmn:incoming>
  <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
"""
    + flow("f_yes", "gw_choice", "end_yes", "answer == 'yes'")
    + flow("f_no", "gw_choice", "end_no", "answer == 'no'")
    + """
<bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="end_no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>""",
)

OR_WITHOUT_DEFAULT = (
    XOR_WITHOUT_DEFAULT.replace("exclusiveGateway", "inclusiveGateway")
    .replace("xor_no_default", "or_no_default")
    .replace("gw_choice", "gw_or_choice")
)

RECEIVE_WITHOUT_VARIABLE = '<bpmn:message id="msg_answer" name="answer" />\n' + linear(
    "receive_no_variable",
    '<bpmn:receiveTask id="await_answer" messageRef="msg_answer">'
    "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:receiveTask>",
    "await_answer",
)

CATCH_EVENT_WITHOUT_VARIABLE = '<bpmn:message id="msg_answer" name="answer" />\n' + linear(
    "catch_no_variable",
    '<bpmn:intermediateCatchEvent id="catch_answer"><bpmn:incoming>f1</bpmn:incoming>'
    '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition id="catch_answer_def" '
    'messageRef="msg_answer" /></bpmn:intermediateCatchEvent>',
    "catch_answer",
)

UNKNOWN_OPERATOR = linear(
    "unknown_operator", service_task("call_unknown", "nope.does_not_exist", "f1", "f2"), "call_unknown"
)

EVENT_BASED_GATEWAY = '<bpmn:message id="msg_answer" name="answer" />\n' + process(
    "event_gateway",
    START
    + flow("f1", "start", "gw_events")
    + """
<bpmn:eventBasedGateway id="gw_events"><bpmn:incoming>f1</bpmn:incoming>
  <bpmn:outgoing>f_msg</bpmn:outgoing><bpmn:outgoing>f_timer</bpmn:outgoing></bpmn:eventBasedGateway>
"""
    + flow("f_msg", "gw_events", "got_answer")
    + flow("f_timer", "gw_events", "too_late")
    + """
<bpmn:intermediateCatchEvent id="got_answer"><bpmn:extensionElements>
    <spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable></bpmn:extensionElements>
  <bpmn:incoming>f_msg</bpmn:incoming><bpmn:outgoing>f_end1</bpmn:outgoing>
  <bpmn:messageEventDefinition id="got_answer_def" messageRef="msg_answer" /></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="too_late">
  <bpmn:incoming>f_timer</bpmn:incoming><bpmn:outgoing>f_end2</bpmn:outgoing>
  <bpmn:timerEventDefinition id="too_late_def">
    <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1D"</bpmn:timeDuration>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
"""
    + flow("f_end1", "got_answer", "end1")
    + flow("f_end2", "too_late", "end2")
    + """
<bpmn:endEvent id="end1"><bpmn:incoming>f_end1</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="end2"><bpmn:incoming>f_end2</bpmn:incoming></bpmn:endEvent>""",
)

SCRIPT_WITH_IMPORT = linear(
    "script_import",
    '<bpmn:scriptTask id="run_import" scriptFormat="python">'
    "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    "<bpmn:script>import os\nx = os.getpid()</bpmn:script></bpmn:scriptTask>",
    "run_import",
)

LINT_CASES = {
    "xor-split-without-default": (
        XOR_WITHOUT_DEFAULT,
        "gw_choice",
        "exclusiveGateway splitst in 2 paden maar heeft geen standaardpad (default flow)",
    ),
    "or-split-without-default": (
        OR_WITHOUT_DEFAULT,
        "gw_or_choice",
        "inclusiveGateway splitst in 2 paden maar heeft geen standaardpad (default flow)",
    ),
    "receive-task-without-message-variable": (RECEIVE_WITHOUT_VARIABLE, "await_answer", "messageVariable"),
    "catch-event-without-message-variable": (CATCH_EVENT_WITHOUT_VARIABLE, "catch_answer", "messageVariable"),
    "unregistered-service-operator": (
        UNKNOWN_OPERATOR,
        "call_unknown",
        "onbekende service-operator 'nope.does_not_exist'",
    ),
    "event-based-gateway": (EVENT_BASED_GATEWAY, "gw_events", "een event-based gateway kan Meldpunt niet uitvoeren"),
    "script-with-import": (SCRIPT_WITH_IMPORT, "run_import", "import is not allowed"),
}


@pytest.mark.parametrize("name", LINT_CASES)
def test_lint_fixtures_are_schema_valid_so_the_refusal_is_the_lint(name):
    xsd_valid(definitions(LINT_CASES[name][0]))


@pytest.mark.parametrize("name", LINT_CASES)
def test_lint_refuses_with_a_message_naming_file_and_element(app, name):
    body, element, phrase = LINT_CASES[name]
    filename = f"{name}.bpmn"
    before = definition_count()
    with pytest.raises(DeployError) as caught:
        deploy(definitions(body).encode("utf-8"), filename)
    text = assert_readable(caught.value, filename)
    assert f"'{element}'" in text, f"the message should name element '{element}': {text}"
    assert phrase in text, text
    assert re.search(r"\(line \d+\)", text), text
    assert definition_count() == before


def test_lint_reports_every_finding_not_just_the_first(app):
    body = (
        XOR_WITHOUT_DEFAULT
        + "\n"
        + RECEIVE_WITHOUT_VARIABLE.replace('isExecutable="true"', 'isExecutable="false"')
    )
    with pytest.raises(DeployError) as caught:
        deploy(definitions(body).encode("utf-8"), "two_findings.bpmn", process_id="xor_no_default")
    text = str(caught.value)
    assert "'gw_choice'" in text and "'await_answer'" in text


def test_a_linted_model_that_passes_deploys_and_runs(app):
    """The positive control for the fixtures above: the same shapes, fixed, deploy and start a case."""
    fixed = '<bpmn:message id="msg_answer" name="answer" />\n' + linear(
        "fixed_receive",
        '<bpmn:receiveTask id="await_answer" messageRef="msg_answer"><bpmn:extensionElements>'
        "<spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>"
        "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
        "</bpmn:receiveTask>",
        "await_answer",
    )
    definition, created = deploy(definitions(fixed).encode("utf-8"), "fixed.bpmn")
    assert created and (definition.key, definition.version, definition.filename) == (
        "fixed_receive",
        1,
        "fixed.bpmn",
    )
    case = start_case(kind="melding", process_key="fixed_receive", fields={"description": "test"})
    assert case.definition_id == definition.id and not case.completed


# --------------------------------------------------------------------------------------------------
# Hostile and broken files
# --------------------------------------------------------------------------------------------------


def _passwd_markers() -> list[str]:
    try:
        lines = [ln for ln in Path("/etc/passwd").read_text().splitlines() if ln.strip()]
    except OSError:
        lines = []
    return ["root:x:0:0", "root:"] + lines[:3]


ENTITY_BODY = linear("xxe").replace('<bpmn:startEvent id="start">', '<bpmn:startEvent id="start" name="&e;">')
XXE_DOCUMENTS = {
    "external-general-entity": definitions(
        linear("xxe").replace(
            "</bpmn:process>", "<bpmn:documentation>&e;</bpmn:documentation></bpmn:process>"
        ),
        doctype='<!DOCTYPE bpmn:definitions [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n',
    ),
    "external-entity-in-attribute": definitions(
        ENTITY_BODY, doctype='<!DOCTYPE bpmn:definitions [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    ),
    "external-parameter-entity": definitions(
        linear("xxe"), doctype='<!DOCTYPE bpmn:definitions [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
    ),
    "error-based-exfiltration": definitions(
        linear("xxe"),
        doctype='<!DOCTYPE bpmn:definitions [<!ENTITY % file SYSTEM "file:///etc/passwd">'
        "<!ENTITY % eval \"<!ENTITY &#x25; err SYSTEM 'file:///nonexistent/%file;'>\">"
        "%eval;%err;]>\n",
    ),
    "external-dtd": definitions(
        linear("xxe"), doctype='<!DOCTYPE bpmn:definitions SYSTEM "file:///etc/passwd">\n'
    ),
    "billion-laughs": definitions(
        linear("xxe").replace(
            "</bpmn:process>", "<bpmn:documentation>&d;</bpmn:documentation></bpmn:process>"
        ),
        doctype='<!DOCTYPE bpmn:definitions [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n',
    ),
    "internal-entity-only": definitions(
        linear("xxe").replace(
            "</bpmn:process>", "<bpmn:documentation>&e;</bpmn:documentation></bpmn:process>"
        ),
        doctype='<!DOCTYPE bpmn:definitions [<!ENTITY e "harmless">]>\n',
    ),
}


@pytest.mark.parametrize("name", XXE_DOCUMENTS)
def test_doctype_and_external_entities_are_refused_without_leaking_file_content(app, name):
    filename = f"{name}.bpmn"
    with pytest.raises(DeployError) as caught:
        deploy(XXE_DOCUMENTS[name].encode("utf-8"), filename)
    err = caught.value
    text = assert_readable(err, filename)
    assert "DOCTYPE" in text or "entity" in text.lower() or "not well-formed" in text, text
    everything = " | ".join(
        [
            text,
            repr(err),
            err.message,
            str(err.__cause__ or ""),
            repr(err.__cause__),
            str(err.__context__ or ""),
            repr(err.details),
        ]
    )
    for marker in _passwd_markers():
        assert marker not in everything, f"/etc/passwd content leaked into the error: {marker!r}"
    assert definition_count("xxe") == 0


@pytest.mark.parametrize(
    "xml, phrase",
    [
        (b"", "Geen geldige XML"),
        (b"<bpmn:definitions", "Geen geldige XML"),
        (definitions(linear("broken")).replace("</bpmn:process>", "").encode("utf-8"), "Geen geldige XML"),
        (b"\x00\x01 not xml at all", "Geen geldige XML"),
        (
            definitions(linear("broken"))
            .replace("bpmn:startEvent id=", "bpmn:startEvent id=start ")
            .encode(),
            "Geen geldige XML",
        ),
    ],
    ids=["empty", "truncated", "unclosed-element", "binary", "unquoted-attribute"],
)
def test_malformed_xml_is_refused_with_a_message(app, xml, phrase):
    with pytest.raises(DeployError) as caught:
        deploy(xml, "broken.bpmn")
    text = assert_readable(caught.value, "broken.bpmn")
    assert phrase in text and len(text) > len("broken.bpmn: Geen geldige XML op regel 1: "), text


@pytest.mark.parametrize(
    "xml",
    [
        definitions('<bpmn:message id="msg_only" name="only" />'),
        definitions(
            '<bpmn:collaboration id="collab"><bpmn:participant id="p1" name="Niemand" /></bpmn:collaboration>'
        ),
        '<?xml version="1.0"?><not-bpmn><process id="p" /></not-bpmn>',
    ],
    ids=["only-a-message", "collaboration-without-process", "not-bpmn-at-all"],
)
def test_a_file_without_a_process_is_refused(app, xml):
    with pytest.raises(DeployError) as caught:
        deploy(xml.encode("utf-8"), "leeg.bpmn")
    text = assert_readable(caught.value, "leeg.bpmn")
    assert text in ("leeg.bpmn: het bestand bevat geen bpmn:process",
                    "leeg.bpmn: (line 1): Dit is geen BPMN-bestand: het hoofdelement is <not-bpmn>, niet "
                    "<bpmn:definitions>."), text


def test_several_processes_must_be_named_and_an_unknown_name_is_refused(app):
    xml = (
        definitions(
            linear("first"),
            linear("second")
            .replace('id="start"', 'id="start2"')
            .replace('id="end"', 'id="end2"')
            .replace('"f1"', '"f1b"')
            .replace(">f1<", ">f1b<")
            .replace('sourceRef="start"', 'sourceRef="start2"')
            .replace('targetRef="end"', 'targetRef="end2"'),
        )
        .replace('isExecutable="true"', 'isExecutable="false"')
        .encode("utf-8")
    )
    xsd_valid(xml)
    with pytest.raises(DeployError) as caught:
        deploy(xml, "twee.bpmn")
    assert "first, second" in assert_readable(caught.value, "twee.bpmn")
    with pytest.raises(DeployError) as caught:
        deploy(xml, "twee.bpmn", process_id="third")
    assert "'third' staat niet in het bestand" in assert_readable(caught.value, "twee.bpmn")


def test_a_file_over_the_size_limit_is_refused_before_parsing(app):
    xml = definitions(
        linear("big").replace(
            "</bpmn:process>",
            "<bpmn:documentation>"
            + "x" * (deployment.MAX_BPMN_BYTES + 1)
            + "</bpmn:documentation></bpmn:process>",
        )
    ).encode("utf-8")
    with pytest.raises(DeployError) as caught:
        deploy(xml, "big.bpmn")
    assert "groter dan 5 MB" in assert_readable(caught.value, "big.bpmn")


# --------------------------------------------------------------------------------------------------
# Robustness: schema-valid but unusual files are deployed or refused with a DeployError, never anything else
# --------------------------------------------------------------------------------------------------


def _deploy_or_refuse(xml: bytes, filename: str, **kw):
    """Deploy; a refusal must be a readable DeployError. Returns the definition or None."""
    try:
        definition, _ = deploy(xml, filename, **kw)
    except DeployError as err:
        assert_readable(err, filename)
        return None
    return definition


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16"])
def test_a_non_utf8_file_is_deployed_faithfully_or_refused_with_a_deploy_error(app, encoding):
    """BUG (engine/deploy.py deploy): `xml.decode("utf-8")` raises UnicodeDecodeError for a valid
    ISO-8859-1 or UTF-16 document, after parsing, lint and the XSD all accepted it."""
    body = linear("latin").replace(
        '<bpmn:startEvent id="start">', '<bpmn:startEvent id="start" name="Geëscaleerd">'
    )
    xml = definitions(body, encoding=encoding).encode(encoding.lower().replace("iso-8859-1", "latin-1"))
    xsd_valid(xml)
    definition = _deploy_or_refuse(xml, "latin.bpmn")
    if definition is not None:  # stored faithfully: a fresh process rebuilds the same spec from the row
        db.session.commit()
        deployment.forget_cached_specs()
        spec, _ = deployment.spec_for(definition.id)
        assert spec.task_specs["start"].bpmn_name == "Geëscaleerd"


def test_a_process_without_an_id_is_refused_with_a_deploy_error(app):
    """BUG (engine/deploy.py choose_process): the XSD allows a process without an id; one such process
    reaches the INSERT with key NULL (IntegrityError), two make ', '.join(ids) raise TypeError."""
    anonymous = linear("anon").replace('<bpmn:process id="anon"', "<bpmn:process")
    xsd_valid(definitions(anonymous))
    with pytest.raises(DeployError) as caught:
        deploy(definitions(anonymous).encode("utf-8"), "anoniem.bpmn")
    assert_readable(caught.value, "anoniem.bpmn")
    second = (
        anonymous.replace('"start"', '"start2"')
        .replace('"end"', '"end2"')
        .replace('"f1"', '"f1b"')
        .replace(">f1<", ">f1b<")
    )
    with pytest.raises(DeployError) as caught:
        deploy(definitions(anonymous, second).encode("utf-8"), "anoniem.bpmn")
    assert_readable(caught.value, "anoniem.bpmn")
    assert definition_count() == len(list(BPMN_DIR.glob("*.bpmn")))  # only the built-in models


@pytest.mark.parametrize(
    "pid, filename",
    [("p" * 150, "lang.bpmn"), ("kort", "f" * 300 + ".bpmn")],
    ids=["process-id-over-100-chars", "filename-over-255-chars"],
)
def test_values_longer_than_their_columns_are_refused_with_a_deploy_error(app, pid, filename):
    """BUG on PostgreSQL (engine/deploy.py deploy): key is VARCHAR(100) and filename VARCHAR(255); longer
    values raise sqlalchemy DataError at flush (SQLite stores them silently)."""
    xml = definitions(linear(pid)).encode("utf-8")
    xsd_valid(xml)
    definition = _deploy_or_refuse(xml, filename)
    if definition is not None:
        db.session.commit()
        assert (definition.key, definition.filename) == (pid, filename)


# --------------------------------------------------------------------------------------------------
# A model that never waits is stopped
# --------------------------------------------------------------------------------------------------


def busy_loop(pid: str, middle: str) -> str:
    """start -> join -> middle -> gw (default back to join; 'stop' never true) -> end."""
    return process(
        pid,
        START
        + flow("f1", "start", "join")
        + """
<bpmn:exclusiveGateway id="join"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming>
  <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>"""
        + flow("f2", "join", "work")
        + middle
        + flow("f3", "work", "gw_again")
        + """
<bpmn:exclusiveGateway id="gw_again" default="f_again"><bpmn:incoming>f3</bpmn:incoming>
  <bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_done</bpmn:outgoing></bpmn:exclusiveGateway>"""
        + flow("f_again", "gw_again", "join")
        + flow("f_done", "gw_again", "end", "n &lt; 0")
        + """
<bpmn:endEvent id="end"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>""",
    )


LOOPS = {
    "script": busy_loop(
        "loop_script",
        '<bpmn:scriptTask id="work"><bpmn:incoming>f2</bpmn:incoming>'
        "<bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>n = 1</bpmn:script>"
        "</bpmn:scriptTask>",
    ),
    "service": busy_loop("loop_service", service_task("work", "routing.suggest", "f2", "f3")),
}


@pytest.mark.parametrize("name", LOOPS)
def test_a_model_that_loops_without_waiting_is_stopped_and_leaves_no_case(app, name):
    key = f"loop_{name}"
    xml = definitions(LOOPS[name]).encode("utf-8")
    xsd_valid(xml)
    definition, created = deploy(xml, f"{key}.bpmn")  # the lint cannot see that it never waits
    db.session.commit()
    assert created
    cases_before = case_count()
    with pytest.raises(ProcessError) as caught:
        start_case(
            kind="melding",
            process_key=key,
            fields={"description": "loopt rond", "channel": "web"},
            data={"n": 0},
        )
    assert f"more than {MAX_ENGINE_STEPS} engine steps" in str(caught.value)
    db.session.rollback()
    db.session.expire_all()
    assert case_count() == cases_before
    assert latest_definition(key).id == definition.id  # the definition itself stays deployed


# --------------------------------------------------------------------------------------------------
# Built specs are remembered by content
# --------------------------------------------------------------------------------------------------

def test_the_same_content_is_parsed_once_and_a_changed_file_again(app, staff):
    """Every test deploys the built-in models on an emptied database: the specs come from the content cache
    (sha256 of the file), each definition still gets a spec carrying its own id, and a change is parsed."""
    stats = deployment.build_stats
    built, reused = stats["built"], stats["reused"]
    first = latest_definition("melding")
    deployment.forget_cached_specs()  # as after a restart: loaded again from the stored XML, not parsed again
    assert deployment.spec_for(first.id)[0].meldpunt_definition_id == first.id
    assert (stats["built"], stats["reused"]) == (built, reused + 1)

    change = f"<!-- gewijzigd {uuid.uuid4()} -->\n</bpmn:definitions>".encode()  # new content on every run
    changed = MELDING.read_bytes().replace(b"</bpmn:definitions>", change)
    second, created = deploy(changed, "melding.bpmn")
    assert created and second.version == first.version + 1
    assert stats["built"] == built + 1  # a changed file is parsed anew

    third, created = deploy(MELDING.read_bytes(), "melding.bpmn")  # the first content again: a new version
    assert created and third.version == first.version + 2 and stats["built"] == built + 1
    assert [deployment.spec_for(d.id)[0].meldpunt_definition_id for d in (first, second, third)] == [
        first.id, second.id, third.id]
    db.session.commit()
    reference = staff.meldkamer.file_melding()["reference"]  # a case on the reused spec runs and is stored
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    assert db.session.scalar(select(Case.definition_id).where(Case.reference == reference)) == third.id
