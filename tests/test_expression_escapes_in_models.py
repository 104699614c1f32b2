"""Python escapes placed in a BPMN model are refused twice: at deploy (the lint) and at run time (the
script engine), so a definition that slipped past the lint (an old row, a direct insert) still runs nothing.

Run-time checks insert a ProcessDefinition row directly, bypassing deploy, and start a case on it. Every
escape that could have side effects writes a marker file under tmp_path: it must never appear.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import func, select

from engine import deploy as deployment
from engine.db import db
from engine.deploy import deploy
from engine.errors import DeployError, ProcessError
from engine.messages import deliver_message
from engine.models import Case, ProcessDefinition
from engine.runtime import start_case

from .helpers import Staff
from .test_deploy import START, definitions, flow, process, service_task, xsd_valid

MARKER = "{marker}"  # replaced by a path under tmp_path
ESCAPES = {
    "import-getpid": "__import__('os').getpid() == 1",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "import-system": f"__import__('os').system('touch {MARKER}') == 0",
}
END = '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'


@dataclass
class Site:
    """One place in a model where SpiffWorkflow evaluates an expression."""

    build: Callable[[str, str], str]  # (process id, expression) -> the whole <definitions> document
    element: str  # the id a refusal must name
    message: Optional[str] = None  # deliver this message after the start (the expression runs on catch)
    data: dict = field(default_factory=dict)


def around(middle_id: str, middle: str) -> Callable[[str, str], str]:
    """start -> middle -> end, where `middle` is a format string with {expr}."""

    def build(pid: str, expr: str) -> str:
        return definitions(
            process(
                pid,
                START
                + flow("f1", "start", middle_id)
                + middle.format(expr=expr)
                + flow("f2", middle_id, "end")
                + END,
            )
        )

    return build


def gateway(pid: str, expr: str) -> str:
    return definitions(
        process(
            pid,
            START
            + flow("f1", "start", "gw")
            + """
<bpmn:exclusiveGateway id="gw" default="f_ok"><bpmn:incoming>f1</bpmn:incoming>
  <bpmn:outgoing>f_ok</bpmn:outgoing><bpmn:outgoing>f_evil</bpmn:outgoing></bpmn:exclusiveGateway>"""
            + flow("f_evil", "gw", "end_evil", expr)
            + flow("f_ok", "gw", "end")
            + """
<bpmn:endEvent id="end_evil"><bpmn:incoming>f_evil</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="end"><bpmn:incoming>f_ok</bpmn:incoming></bpmn:endEvent>""",
        )
    )


def boundary_timer(pid: str, expr: str) -> str:
    return definitions(
        process(
            pid,
            START
            + flow("f1", "start", "work")
            + """
<bpmn:userTask id="work"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
<bpmn:boundaryEvent id="evil_deadline" cancelActivity="false" attachedToRef="work">
  <bpmn:outgoing>f3</bpmn:outgoing><bpmn:timerEventDefinition>
  <bpmn:timeDate xsi:type="bpmn:tFormalExpression">"""
            + expr
            + """</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>"""
            + flow("f2", "work", "end")
            + flow("f3", "evil_deadline", "end_late")
            + END
            + """
<bpmn:endEvent id="end_late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>""",
        )
    )


def correlation(pid: str, expr: str) -> str:
    """A correlation property's retrieval expression: evaluated when the message is caught."""
    return definitions(
        f'<bpmn:collaboration id="collab_{pid}"><bpmn:participant id="part_{pid}" processRef="{pid}" />'
        '<bpmn:correlationKey name="evil_key">'
        '<bpmn:correlationPropertyRef>evil_property</bpmn:correlationPropertyRef>'
        "</bpmn:correlationKey></bpmn:collaboration>",
        '<bpmn:correlationProperty id="evil_property" name="evil_property">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="msg_answer"><bpmn:formalExpression>'
        f"{expr}</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>",
        '<bpmn:message id="msg_answer" name="antwoord" />',
        process(
            pid,
            START + flow("f1", "start", "wait") + '<bpmn:receiveTask id="wait" messageRef="msg_answer">'
            "<bpmn:extensionElements><spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>"
            "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            "</bpmn:receiveTask>" + flow("f2", "wait", "end") + END,
        ),
    )


def payload_in_event(pid: str, expr: str) -> str:
    """A throw event's spiffworkflow:messagePayload (only read when the definition has a messageRef)."""
    return definitions(
        '<bpmn:message id="msg_out" name="uit" />',
        process(
            pid,
            START + flow("f1", "start", "evil_throw") + '<bpmn:intermediateThrowEvent id="evil_throw">'
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            '<bpmn:messageEventDefinition messageRef="msg_out"><bpmn:extensionElements>'
            f"<spiffworkflow:messagePayload>{expr}</spiffworkflow:messagePayload></bpmn:extensionElements>"
            "</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>"
            + flow("f2", "evil_throw", "end")
            + END,
        ),
    )


def payload_on_message(pid: str, expr: str) -> str:
    """The deprecated (still parsed) place for messagePayload: on the bpmn:message, outside the process."""
    return definitions(
        '<bpmn:message id="evil_message" name="uit"><bpmn:extensionElements><spiffworkflow:messagePayload>'
        f"{expr}</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:message>",
        process(
            pid,
            START + flow("f1", "start", "throw") + '<bpmn:intermediateThrowEvent id="throw">'
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            '<bpmn:messageEventDefinition messageRef="evil_message" /></bpmn:intermediateThrowEvent>'
            + flow("f2", "throw", "end")
            + END,
        ),
    )


SITES: dict[str, Site] = {
    "gateway-condition": Site(gateway, "f_evil"),
    "timer-duration": Site(
        around(
            "evil_timer",
            '<bpmn:intermediateCatchEvent id="evil_timer"><bpmn:incoming>f1'
            "</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            "<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="
            '"bpmn:tFormalExpression">{expr}</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        ),
        "evil_timer",
    ),
    "boundary-timer-date": Site(boundary_timer, "evil_deadline"),
    "script-assignment": Site(
        around(
            "evil_script",
            '<bpmn:scriptTask id="evil_script"><bpmn:incoming>f1'
            "</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>"
            "x = {expr}</bpmn:script></bpmn:scriptTask>",
        ),
        "evil_script",
    ),
    "pre-script": Site(
        around(
            "evil_pre",
            '<bpmn:userTask id="evil_pre"><bpmn:extensionElements>'
            "<spiffworkflow:preScript>x = {expr}</spiffworkflow:preScript>"
            "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming>"
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>",
        ),
        "evil_pre",
    ),
    "service-parameter": Site(
        lambda pid, expr: definitions(
            process(
                pid,
                START
                + flow("f1", "start", "evil_service")
                + service_task(
                    "evil_service",
                    "routing.suggest",
                    "f1",
                    "f2",
                    f'<spiffworkflow:parameter id="template" type="str" value="{expr}" />',
                )
                + flow("f2", "evil_service", "end")
                + END,
            )
        ),
        "evil_service",
    ),
    "message-payload": Site(payload_in_event, "evil_throw"),
    "multi-instance-cardinality": Site(
        around(
            "evil_mi",
            '<bpmn:scriptTask id="evil_mi"><bpmn:incoming>f1'
            "</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>"
            "{expr}</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>"
            "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
        ),
        "evil_mi",
    ),
    # Places the deploy lint does not look at (see the report): conditions the engine still evaluates.
    "standard-loop-condition": Site(
        around(
            "evil_loop",
            '<bpmn:scriptTask id="evil_loop"><bpmn:incoming>f1'
            "</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
            "<bpmn:standardLoopCharacteristics><bpmn:loopCondition "
            'xsi:type="bpmn:tFormalExpression">{expr}</bpmn:loopCondition>'
            "</bpmn:standardLoopCharacteristics><bpmn:script>x = 1"
            "</bpmn:script></bpmn:scriptTask>",
        ),
        "evil_loop",
    ),
    "conditional-event": Site(
        around(
            "evil_condition",
            '<bpmn:intermediateCatchEvent id="evil_condition">'
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2"
            "</bpmn:outgoing><bpmn:conditionalEventDefinition>"
            '<bpmn:condition xsi:type="bpmn:tFormalExpression">{expr}'
            "</bpmn:condition></bpmn:conditionalEventDefinition>"
            "</bpmn:intermediateCatchEvent>",
        ),
        "evil_condition",
    ),
    "payload-on-message-element": Site(payload_on_message, "evil_message"),
    "correlation-retrieval-expression": Site(correlation, "evil_property", message="antwoord"),
    "ad-hoc-completion-condition": Site(
        around(
            "evil_adhoc",
            '<bpmn:adHocSubProcess id="evil_adhoc">'
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2"
            '</bpmn:outgoing><bpmn:userTask id="inner" />'
            "<bpmn:completionCondition xsi:type="
            '"bpmn:tFormalExpression">{expr}'
            "</bpmn:completionCondition></bpmn:adHocSubProcess>",
        ),
        "evil_adhoc",
    ),
}
# The three escapes at the gateway and the two timer sites, plus every site with the side-effect escape.
CASES = sorted(
    {
        (site, esc)
        for site in ("gateway-condition", "timer-duration", "boundary-timer-date")
        for esc in ESCAPES
    }
    | {(site, "import-system") for site in SITES}
)


def build(site: str, escape: str, marker: Path) -> tuple[str, str]:
    key = f"evil_{site.replace('-', '_')}"
    expr = ESCAPES[escape].replace(MARKER, str(marker))
    return key, SITES[site].build(key, expr)


@pytest.fixture(autouse=True)
def production_warnings():
    """setup.cfg turns SpiffWorkflow DeprecationWarnings into errors; in production the old payload place
    (on bpmn:message) only warns, and that is the behaviour to test."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "spiffworkflow:messagePayload", DeprecationWarning)
        yield


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("site, escape", CASES)
def test_fixtures_pass_the_xsd_so_refusals_come_from_our_checks(site, escape, tmp_path):
    xsd_valid(build(site, escape, tmp_path / "pwned")[1])


@pytest.mark.parametrize("site, escape", CASES)
def test_escape_is_refused_at_deploy_naming_the_element(app, site, escape, tmp_path):
    marker = tmp_path / "pwned"
    key, xml = build(site, escape, marker)
    filename = f"{key}.bpmn"
    with pytest.raises(DeployError) as caught:
        deploy(xml.encode("utf-8"), filename)
    text = str(caught.value)
    assert text.startswith(filename) and len(text) < 1000, text
    assert f"'{SITES[site].element}'" in text, f"the refusal should name '{SITES[site].element}': {text}"
    assert "not allowed" in text or "refused" in text, text
    assert (
        db.session.scalar(
            select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key)
        )
        == 0
    )
    assert not marker.exists()


@pytest.mark.parametrize("site, escape", CASES)
def test_escape_is_refused_at_run_time_and_nothing_runs(app, site, escape, tmp_path):
    marker = tmp_path / "pwned"
    key, xml = build(site, escape, marker)
    db.session.add(ProcessDefinition(key=key, version=1, sha256="x" * 64, filename="evil.bpmn", xml=xml))
    db.session.commit()
    deployment.forget_cached_specs()
    cases_before = case_count()
    spec_site = SITES[site]
    started: Optional[Case] = None
    error: Optional[Exception] = None
    try:
        started = start_case(
            kind="melding", process_key=key, fields={"description": "kwaad"}, data=spec_site.data
        )
        if spec_site.message:  # the expression runs when the message is caught
            deliver_message(started.id, spec_site.message, {"answer": 42})
    except Exception as err:  # noqa: BLE001 - the type is asserted below, after the marker
        error = err
    db.session.rollback()
    assert not marker.exists(), f"the escape in {site} RAN: {marker} was created ({error!r})"
    assert error is not None, f"the escape in {site} was neither refused nor run"
    assert isinstance(error, ProcessError), f"expected ProcessError, got {error!r}"
    text = str(error)
    assert "not allowed" in text or "refused" in text, text
    if started is None:
        assert case_count() == cases_before  # a start that fails leaves no case behind


def test_a_case_on_a_sneaked_in_definition_records_the_refusal_and_keeps_its_last_state(app, tmp_path):
    """The escape is reached only after a user task: the case exists, the failing action is rolled back."""
    marker = tmp_path / "pwned"
    xml = definitions(
        process(
            "evil_later",
            START
            + flow("f1", "start", "first")
            + """
<bpmn:userTask id="first">
  <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_gw</bpmn:outgoing></bpmn:userTask>"""
            + flow("f_gw", "first", "gw")
            + """
<bpmn:exclusiveGateway id="gw" default="f2"><bpmn:incoming>f_gw</bpmn:incoming>
  <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f_evil</bpmn:outgoing></bpmn:exclusiveGateway>"""
            + flow("f_evil", "gw", "end_evil", f"__import__('os').system('touch {marker}') == 0")
            + flow("f2", "gw", "end")
            + END
            + '<bpmn:endEvent id="end_evil"><bpmn:incoming>f_evil</bpmn:incoming></bpmn:endEvent>',
        )
    )
    db.session.add(
        ProcessDefinition(key="evil_later", version=1, sha256="x" * 64, filename="evil.bpmn", xml=xml)
    )
    db.session.commit()
    case = start_case(kind="melding", process_key="evil_later", fields={"description": "kwaad"})
    case_id, state_before = case.id, case.state

    from engine.runtime import CaseRun, commit_or_explain, run_guarded

    def act():
        run = CaseRun.open(case_id)
        task = next(t for t in run.workflow.get_tasks() if t.task_spec.name == "first")
        task.run()
        run.run_engine()
        run.save()
        commit_or_explain(case_id)

    with pytest.raises(ProcessError) as caught:
        run_guarded(case_id, "test", act)
    assert "not allowed" in str(caught.value)
    assert not marker.exists()
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.state == state_before and not case.completed
    assert case.error and "__import__" in case.error


# --------------------------------------------------------------------------------------------------
# Form data: keys starting with '_' never become process variables
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        {"__builtins__": {}, "decision": "dispatch"},
        {"__class__": "x", "decision": "dispatch"},
        {"_private": 1, "decision": "dispatch"},
        {"__import__": "os", "decision": "dispatch"},
    ],
    ids=["__builtins__", "__class__", "_private", "__import__"],
)
def test_form_keys_starting_with_underscore_are_refused_with_422(app, form):
    staff = Staff.create(app.test_client())
    ref = staff.meldkamer.file_melding()["reference"]
    body = staff.meldkamer.complete(ref, "triage", form, expect=422)
    bad = next(k for k in form if k.startswith("_"))
    assert bad in body["fields"], body
    assert "decision" not in body["fields"], body
    case = staff.meldkamer.case(ref)
    assert case["status"] == "ontvangen" and staff.meldkamer.open_item(ref, "triage")
    # the same form without the bad key goes through
    staff.meldkamer.complete(ref, "triage", {k: v for k, v in form.items() if not k.startswith("_")})
    assert staff.meldkamer.case(ref)["status"] == "toegewezen"


def test_form_values_that_look_like_code_are_data_never_evaluated(app, tmp_path):
    staff = Staff.create(app.test_client())
    marker = tmp_path / "pwned"
    ref = staff.meldkamer.file_melding(f"__import__('os').system('touch {marker}')")["reference"]
    staff.meldkamer.complete(
        ref, "triage", {"decision": "refer", "public_text": f"__import__('os').system('touch {marker}')"}
    )
    case = staff.meldkamer.case(ref)
    assert case["status"] == "doorverwezen"
    assert not marker.exists()
