"""The model's own contract, checked at deploy (engine/lint.py, engine/model_contract.py, docs/process-models.md).

Each rule: a melding model that breaks it (bpmn/melding.bpmn edited as text) is refused by engine.deploy.deploy
with a finding naming the element's id, its name and its line, in Dutch, and nothing is stored; a correct
variant deploys. The shipped models pass, and so does the worked example of the documentation (a user task
"Controle ter plaatse" with declared fields, a new status with labels and a timer), on which a case runs.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import registry
from engine.db import db
from engine.deploy import BPMN_DIR, deploy, deploy_builtin, parse_document
from engine.errors import DeployError
from engine.lint import lint
from engine.model_contract import timer_problem
from engine.models import ProcessDefinition

MELDING = (BPMN_DIR / "melding.bpmn").read_text(encoding="utf-8")


def edit(old: str, new: str, xml: str = MELDING) -> str:
    assert xml.count(old) == 1, f"{old!r} occurs {xml.count(old)} times"
    return xml.replace(old, new)


def line_of(xml: str, text: str) -> int:
    lines = [n for n, line in enumerate(xml.splitlines(), start=1) if text in line]
    assert len(lines) == 1, (text, lines)
    return lines[0]


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition)
                             .where(ProcessDefinition.key == "melding"))


def refused(xml: str) -> list[str]:
    """Deploy `xml`; it must be refused with nothing stored. Returns the findings."""
    before = versions()
    with pytest.raises(DeployError) as caught:
        deploy(xml.encode("utf-8"), "melding.bpmn", deployed_by="test")
    db.session.rollback()
    assert versions() == before
    return caught.value.details["findings"]


def passes(xml: str) -> ProcessDefinition:
    definition, created = deploy(xml.encode("utf-8"), "melding.bpmn", deployed_by="test")
    db.session.commit()
    assert created
    return definition


def assert_names(findings: list[str], element: str, name: str, line: int, *phrases: str) -> str:
    """The one finding on `element`: it names the element, its name and its line, and says `phrases`."""
    mine = [f for f in findings if f.startswith(f"element '{element}' \"{name}\" (line {line}): ")]
    assert len(mine) == 1, findings
    for phrase in phrases:
        assert phrase in mine[0], mine[0]
    return mine[0]


# ------------------------------------------------------------------------------------------------ names


def test_a_misspelt_name_in_a_condition_is_refused_naming_flow_name_and_line(app):
    xml = edit("decision == 'refer'", "decison == 'refer'")
    finding = assert_names(refused(xml), "flow_gw_triage_to_refer", "Doorverwijzen",
                           line_of(xml, 'id="flow_gw_triage_to_refer"'), "de voorwaarde gebruikt 'decison'",
                           "kent die naam niet")
    assert "decision" in finding.split("Bekende namen:")[1]  # the right spelling is among the names listed
    passes(edit("decision == 'refer'", "decision == 'refer' and note != 'x'"))


def test_a_name_no_element_sets_is_refused_in_a_timer_and_in_a_service_parameter(app):
    xml = edit("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">reaction_window</bpmn:timeDuration>",
               "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">reactie_termijn</bpmn:timeDuration>")
    xml = edit("value=\"'informatie_gevraagd'\"", 'value="sjabloon"', xml)
    findings = refused(xml)
    assert_names(findings, "no_reaction", "Geen reactie", line_of(xml, 'id="no_reaction"'),
                 "de timer gebruikt 'reactie_termijn'")
    assert_names(findings, "mail_info_requested", "Informatie vragen aan melder",
                 line_of(xml, 'id="mail_info_requested"'), "parameter 'template' gebruikt 'sjabloon'")


def test_names_from_start_data_forms_messages_and_services_are_known(app):
    # reaction_window is set by deadline.pause, contractor_report is a message variable, reopen a field of the
    # built-in form review_reopen: the shipped model uses them all. A declared field is known too.
    xml = edit('<spiffworkflow:property name="form" value="take" />',
               '<spiffworkflow:property name="form" value="take" />'
               '<spiffworkflow:property name="field.opmerking" value="{}" />'.format(
                   escape(json.dumps({"type": "text", "label": {"nl": "Opmerking"}}))))
    passes(edit("decision == 'refer'", "decision == 'refer' and opmerking != 'x' and len(str(paused_at)) >= 0",
                xml))


def test_an_operator_declares_the_names_it_sets_in_the_registry(app):
    assert registry.service_sets("deadline.pause") == ("paused_at", "reaction_window")
    assert "deadline" in registry.service_sets("case.dispatch")
    assert registry.service_sets("routing.suggest") == ()
    assert registry.start_data("post") == ("letter_kind", "group", "deadline")
    assert registry.start_data("onbekend") is None


# ------------------------------------------------------------------------------------------------ timers

FEEDBACK_TIMER = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P14D"</bpmn:timeDuration>'


def feedback_timer(expression: str) -> str:
    return edit(FEEDBACK_TIMER, f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}'
                                '</bpmn:timeDuration>')


@pytest.mark.parametrize("expression, phrase", [
    ("&quot;P14X&quot;", "timer \"P14X\" is geen geldige ISO 8601-waarde"),
    ("'P14X'", "timer 'P14X' is geen geldige ISO 8601-waarde"),
    ("14 dagen", "timer '14 dagen' is geen geldige ISO 8601-waarde en geen geldige uitdrukking"),
    ("'14 dagen'", "geef een duur zoals \"P14D\""),
    ("P14D", "zet hem tussen aanhalingstekens"),
    ("14", "timer 14 is geen geldige ISO 8601-waarde"),
    ("'2026-12-31'", "geef een duur"),  # a date where a duration belongs
    ("", "de timer is leeg"),
], ids=["P14X", "P14X-single", "14-dagen", "14-dagen-quoted", "unquoted", "number", "date-as-duration", "empty"])
def test_a_timer_that_is_no_iso_8601_value_is_refused(app, expression, phrase):
    xml = feedback_timer(expression)
    assert_names(refused(xml), "feedback_window_over", "Feedbacktermijn verstreken",
                 line_of(xml, 'id="feedback_window_over"'), phrase)


@pytest.mark.parametrize("expression", ["'P14D'", "&quot;PT1H&quot;", "'P1Y2M3DT4H'", "days(7)",
                                        "reaction_window"])
def test_a_valid_duration_or_an_expression_over_known_names_passes(app, expression):
    passes(feedback_timer(expression))


@pytest.mark.parametrize("expression", ["'2026-12-31'", "'2026-12-31T09:00:00+01:00'", "deadline"])
def test_a_timer_date_takes_an_iso_date_or_a_known_name(app, expression):
    old = ('<bpmn:timerEventDefinition id="deadline_passed_timer">\n'
           '        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">deadline</bpmn:timeDate>')
    new = ('<bpmn:timerEventDefinition id="deadline_passed_timer">\n'
           f'        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>')
    if expression == "deadline":
        new = new.replace("deadline<", "deadline if deadline else '2026-12-31'<")
    passes(edit(old, new))
    xml = edit(old, old.replace(">deadline<", ">'31/12/2026'<"))
    assert_names(refused(xml), "deadline_passed", "Termijn verstreken", line_of(xml, 'id="deadline_passed"'),
                 "geef een datum zoals")


@pytest.mark.parametrize("kind, expression, ok", [
    ("timeCycle", "'R3/PT1H'", True), ("timeCycle", "'R/P1D'", True), ("timeCycle", "'PT1H'", False),
    ("timeDuration", "'P1W'", True), ("timeDuration", "'P'", False), ("timeDuration", "'P1DT'", False),
    ("timeDate", "'2026-02-30'", False), ("timeDate", "'2026-02-28T08:00:00'", True),
])
def test_timer_values_of_each_kind(kind, expression, ok):
    assert (timer_problem(kind, expression) is None) is ok


# ------------------------------------------------------------------------------------------------- lanes


def test_a_lane_no_group_role_answers_to_is_refused(app):
    xml = edit('name="behandelaarsgroep">', 'name="behandelaars">')
    assert_names(refused(xml), "lane_behandelaarsgroep", "behandelaars",
                 line_of(xml, 'id="lane_behandelaarsgroep"'), "lane 'behandelaars' hoort bij geen groep",
                 "behandelaarsgroep of meldkamer of onthaal")
    passes(edit('<bpmn:lane id="lane_meldkamer" name="meldkamer">', '<bpmn:lane id="lane_meldkamer" name="onthaal">'))


# ---------------------------------------------------------------------------------------------- statuses

REVIEW_STATUS = '<spiffworkflow:property name="status" value="heropenverzoek" />'


def test_a_status_without_a_label_is_refused_and_one_with_status_label_nl_passes(app):
    xml = edit(REVIEW_STATUS, '<spiffworkflow:property name="status" value="heropen_beoordeling" />')
    assert_names(refused(xml), "review_reopen", "Heropeningsverzoek beoordelen", line_of(xml, 'id="review_reopen"'),
                 "status 'heropen_beoordeling' heeft geen label", "status_label_nl")
    passes(edit(REVIEW_STATUS, '<spiffworkflow:property name="status" value="heropen_beoordeling" />'
                               '<spiffworkflow:property name="status_label_nl" value="Heropening wordt bekeken" />'
                               '<spiffworkflow:property name="status_label_en" value="Reopening under review" />'))


def test_a_status_meldpunt_knows_needs_no_label(app):
    passes(edit(REVIEW_STATUS, '<spiffworkflow:property name="status" value="in_behandeling" />'))


# ---------------------------------------------------------------------------------------------- messages


def test_a_message_no_channel_delivers_is_refused(app):
    xml = edit('<bpmn:message id="msg_feedback" name="feedback" />',
               '<bpmn:message id="msg_feedback" name="tevredenheid" />')
    assert_names(refused(xml), "await_feedback", "Wachten op feedback", line_of(xml, 'id="await_feedback"'),
                 "bericht 'tevredenheid' kan geen kanaal bezorgen", "feedback, reporter_reaction")
    # another message a channel delivers is accepted (the contractor's report, from the portal)
    passes(edit('<bpmn:receiveTask id="await_feedback" name="Wachten op feedback" messageRef="msg_feedback">',
                '<bpmn:receiveTask id="await_feedback" name="Wachten op feedback" '
                'messageRef="msg_contractor_report">'))


# ------------------------------------------------------------------------------------------------- forms

TAKE_FORM = '<spiffworkflow:property name="form" value="take" />'


def field(name: str, spec: object) -> str:
    value = spec if isinstance(spec, str) else json.dumps(spec)
    return f'<spiffworkflow:property name="field.{name}" value="{escape(value)}" />'


def test_a_user_task_without_a_form_is_refused(app):
    xml = edit(TAKE_FORM, "")
    assert_names(refused(xml), "take_in_handling", "In behandeling nemen", line_of(xml, 'id="take_in_handling"'),
                 "deze taak heeft geen formulier")


def test_an_unknown_built_in_form_is_refused(app):
    xml = edit(TAKE_FORM, '<spiffworkflow:property name="form" value="overnemen" />')
    assert_names(refused(xml), "take_in_handling", "In behandeling nemen", line_of(xml, 'id="take_in_handling"'),
                 "formulier 'overnemen' bestaat niet", "take, triage")


@pytest.mark.parametrize("name, spec, phrase", [
    ("opmerking", "{type: text}", "de waarde is geen geldige JSON"),
    ("opmerking", {"type": "memo", "label": {"nl": "Opmerking"}}, "type 'memo' bestaat niet"),
    ("opmerking", {"type": "text", "label": {"en": "Remark"}}, "heeft geen Nederlandse tekst"),
    ("opmerking", {"type": "text", "label": {"nl": "Opmerking"}, "required": "ja"}, "\"required\" is true of false"),
    ("resultaat", {"type": "choice", "label": {"nl": "Resultaat"}}, "een keuzeveld heeft \"choices\""),
    ("resultaat", {"type": "choice", "label": {"nl": "Resultaat"}, "choices": [{"value": "ok"}]},
     "keuze 'ok' van veld 'resultaat' heeft geen Nederlandse tekst"),
    ("Resultaat", {"type": "text", "label": {"nl": "Resultaat"}}, "veldnaam 'Resultaat' is ongeldig"),
    ("opmerking", {"type": "text", "label": {"nl": "Opmerking"}, "verplicht": True}, "onbekende sleutel(s) verplicht"),
], ids=["json", "type", "label-nl", "required", "choices", "choice-label", "name", "unknown-key"])
def test_a_declared_field_that_breaks_the_contract_is_refused(app, name, spec, phrase):
    xml = edit(TAKE_FORM, field(name, spec))
    assert_names(refused(xml), "take_in_handling", "In behandeling nemen", line_of(xml, 'id="take_in_handling"'),
                 phrase)


def test_declared_fields_alone_are_a_form(app):
    passes(edit(TAKE_FORM, field("opmerking", {"type": "longtext", "label": {"nl": "Opmerking", "en": "Remark"}})))


# --------------------------------------------------------------------------- every finding, shipped models


def test_every_problem_is_listed_at_once(app):
    xml = edit("decision == 'refer'", "decison == 'refer'")
    xml = edit(FEEDBACK_TIMER, FEEDBACK_TIMER.replace("P14D", "P14X"), xml)
    xml = edit(TAKE_FORM, "", xml)
    findings = refused(xml)
    assert len(findings) == 3, findings


def test_the_shipped_models_pass_every_check(app):
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        root = parse_document(path.read_bytes(), path.name)
        assert lint(root, registry.service_names()) == [], path.name
        assert registry.start_data(path.stem) is not None  # so the contract rules ran on it
    assert {d.key for d, _ in deploy_builtin()} == {"melding", "infomail", "post", "contact"}


# ------------------------------------------------------------------ the worked example of the documentation

# The fragment docs/process-models.md shows: the task, its timer and escalation, and their flows.
CONTROLE_TASK = (Path(__file__).parent / "data" / "controle_ter_plaatse.xml").read_text(encoding="utf-8")


def with_controle(xml: str = MELDING) -> str:
    """The documentation's example: "Controle ter plaatse" between the mail 'in behandeling' and handling."""
    xml = edit('        <bpmn:flowNodeRef>take_in_handling</bpmn:flowNodeRef>\n',
               '        <bpmn:flowNodeRef>take_in_handling</bpmn:flowNodeRef>\n'
               '        <bpmn:flowNodeRef>controle</bpmn:flowNodeRef>\n'
               '        <bpmn:flowNodeRef>controle_te_lang</bpmn:flowNodeRef>\n'
               '        <bpmn:flowNodeRef>escalate_controle</bpmn:flowNodeRef>\n'
               '        <bpmn:flowNodeRef>end_escalated_controle</bpmn:flowNodeRef>\n', xml)
    xml = edit("<bpmn:outgoing>flow_mail_in_progress_to_join_handle</bpmn:outgoing>",
               "<bpmn:outgoing>flow_mail_in_progress_to_controle</bpmn:outgoing>", xml)
    xml = edit("<bpmn:incoming>flow_mail_in_progress_to_join_handle</bpmn:incoming>",
               "<bpmn:incoming>flow_controle_to_join_handle</bpmn:incoming>", xml)
    xml = edit('    <bpmn:sequenceFlow id="flow_mail_in_progress_to_join_handle" sourceRef="mail_in_progress" '
               'targetRef="join_handle" />\n', "", xml)
    return edit("  </bpmn:process>", CONTROLE_TASK + "  </bpmn:process>", xml)


def test_a_new_user_task_with_fields_a_new_status_with_labels_and_a_timer_passes_and_runs(app, staff):
    definition = passes(with_controle())
    assert definition.version == 2
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    case = staff.ood.case(ref)
    assert case["status"] == "controle_ter_plaatse"
    item = staff.ood.open_item(ref, "controle")
    assert item["title"] == "Controle ter plaatse"


def test_a_misspelt_field_name_after_the_new_task_is_refused_and_the_right_one_passes(app):
    flow = '<bpmn:sequenceFlow id="flow_controle_to_join_handle" sourceRef="controle" targetRef="join_handle" />'
    conditional = (flow[:-3] + ' name="Na controle"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                   "{}</bpmn:conditionExpression></bpmn:sequenceFlow>")
    broken = edit(flow, conditional.format("resultat != 'x'"), with_controle())
    assert_names(refused(broken), "flow_controle_to_join_handle", "Na controle",
                 line_of(broken, 'id="flow_controle_to_join_handle"'), "de voorwaarde gebruikt 'resultat'")
    passes(edit(flow, conditional.format("resultaat != 'x'"), with_controle()))


def test_the_documentation_lists_every_operator_with_what_it_sets(app):
    doc = (Path(__file__).parent.parent / "docs" / "process-models.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[3].strip()
            for line in doc.splitlines() if line.startswith("| `") and line.count("|") == 5}
    for name in registry.service_names():
        assert name in rows, f"docs/process-models.md does not list operator {name}"
        assert rows[name] == (", ".join(registry.service_sets(name)) or "-"), name
