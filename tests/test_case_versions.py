"""Moving running meldingen to another version of the melding process: checked first, per case, audited."""
from __future__ import annotations

from datetime import timedelta

from flask.cli import ScriptInfo
from freezegun import freeze_time
from sqlalchemy import select

from engine import deploy, timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, ProcessDefinition, WorkItem
from handlers.admin_changes import AdminChange
from handlers.case_versions import check_move, definition_version, move, move_cases
from notifications.models import OutboxMessage
from web.cli import main

from .channels import contractor_reports
from .helpers import Browser, timeline_kinds, with_password

MELDING = deploy.BPMN_DIR / "melding.bpmn"

EXTRA_TASK = """    <bpmn:userTask id="check_on_site" name="Controle ter plaatse">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="status" value="in_behandeling" />
          <spiffworkflow:property name="form" value="take" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_gw_action_to_close</bpmn:incoming>
      <bpmn:outgoing>flow_check_on_site_to_close</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_check_on_site_to_close" sourceRef="check_on_site" targetRef="close" />
"""
EXTRA_SHAPE = """      <bpmndi:BPMNShape id="check_on_site_di" bpmnElement="check_on_site">
        <dc:Bounds x="1780" y="530" width="100" height="80" />
      </bpmndi:BPMNShape>
"""


def with_extra_task(xml: str) -> str:
    """v2: after 'Melding behandelen' with 'afsluiten', a new user task 'Controle ter plaatse' before closing."""
    xml = xml.replace('<bpmn:sequenceFlow id="flow_gw_action_to_close" name="Afsluiten" sourceRef="gw_action" '
                      'targetRef="close" />',
                      '<bpmn:sequenceFlow id="flow_gw_action_to_close" name="Afsluiten" sourceRef="gw_action" '
                      'targetRef="check_on_site" />')
    xml = xml.replace('<bpmn:incoming>flow_gw_action_to_close</bpmn:incoming>\n'
                      '      <bpmn:outgoing>flow_close_to_mail_closed',
                      '<bpmn:incoming>flow_check_on_site_to_close</bpmn:incoming>\n      '
                      '<bpmn:outgoing>flow_close_to_mail_closed')
    xml = xml.replace('    <bpmn:serviceTask id="close" name="Afsluiten">', EXTRA_TASK
                      + '    <bpmn:serviceTask id="close" name="Afsluiten">', 1)
    xml = xml.replace("<bpmn:flowNodeRef>handle</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>handle</bpmn:flowNodeRef>\n        "
                      "<bpmn:flowNodeRef>check_on_site</bpmn:flowNodeRef>", 1)
    xml = xml.replace('      <bpmndi:BPMNShape id="close_di" bpmnElement="close">',
                      EXTRA_SHAPE + '      <bpmndi:BPMNShape id="close_di" bpmnElement="close">', 1)
    assert xml.count("check_on_site") >= 6
    return xml


def with_renamed_triage(xml: str) -> str:
    """A version whose triage task has another element id."""
    for old, new in (('id="triage"', 'id="triage_meldkamer"'), ('targetRef="triage"', 'targetRef="triage_meldkamer"'),
                     ('sourceRef="triage"', 'sourceRef="triage_meldkamer"'),
                     ('bpmnElement="triage"', 'bpmnElement="triage_meldkamer"'),
                     ("<bpmn:flowNodeRef>triage</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>triage_meldkamer</bpmn:flowNodeRef>")):
        assert old in xml, old
        xml = xml.replace(old, new)
    return xml


def deploy_v2(edit) -> ProcessDefinition:
    definition, created = deploy.deploy(edit(MELDING.read_text("utf-8")).encode("utf-8"), "melding.bpmn",
                                        deployed_by="test")
    db.session.commit()
    assert created and definition.version == 2
    return definition


def case_row(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def version_of(reference: str) -> int:
    return db.session.get(ProcessDefinition, case_row(reference).definition_id).version


def tasks(actor, reference: str) -> list[str]:
    return [w["task"] for w in actor.case(reference)["work_items"]]


def test_movable_cases_continue_on_v2_and_reach_the_new_task(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        at_triage = staff.meldkamer.file_melding()["reference"]
        waiting = staff.meldkamer.file_melding()["reference"]  # waits to be taken, under the SLA timer
        staff.meldkamer.complete(waiting, "triage", {"decision": "dispatch"})
        handling = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(handling, "triage", {"decision": "dispatch"})
        staff.ood.complete(handling, "take_in_handling")
        item_before = staff.ood.open_item(handling, "handle")
        timer_before = case_row(waiting).next_timer_at
        assert timer_before is not None
        v1 = definition_version("melding", 1)
        v2 = deploy_v2(with_extra_task)

        dry = move_cases(v1, v2, staff.admin.user, dry_run=True)
        assert {(v.reference, v.movable, v.moved) for v in dry} == {
            (at_triage, True, False), (waiting, True, False), (handling, True, False)}
        assert {version_of(r) for r in (at_triage, waiting, handling)} == {1}
        assert db.session.scalars(select(AdminChange)).all() == []

        report = move_cases(v1, v2, staff.admin.user)
        assert {(v.reference, v.moved) for v in report} == {(at_triage, True), (waiting, True), (handling, True)}
        assert {version_of(r) for r in (at_triage, waiting, handling)} == {2}

        # the work items stay where they were, same task, same row
        assert staff.ood.open_item(handling, "handle")["id"] == item_before["id"]
        assert tasks(staff.meldkamer, at_triage) == ["triage"]
        assert tasks(staff.ood, waiting) == ["take_in_handling"]
        assert case_row(waiting).next_timer_at == timer_before

        # timeline and audit
        notes = [e["note"] for e in staff.admin.case(handling)["timeline"] if e["kind"] == "version_moved"]
        assert notes == ["Verplaatst van melding v1 naar melding v2 door Root"]
        changes = db.session.scalars(select(AdminChange).order_by(AdminChange.id)).all()
        assert [(c.area, c.action, c.subject, c.actor) for c in changes] == [
            ("case_version", "move", r, "Root") for r in (at_triage, waiting, handling)]
        assert changes[0].data["old"] == "melding v1" and changes[0].data["new"] == "melding v2"

        # the SLA timer armed on v1 fires on v2
        clock.tick(timedelta(days=10))
        assert timers.tick() >= 1
        assert "escalated" in timeline_kinds(staff.ood.case(waiting))
        assert tasks(staff.ood, waiting) == ["take_in_handling"]

    # each continues on v2 and reaches the new task
    staff.ood.complete(handling, "handle", {"action": "close", "public_text": "Hersteld."})
    assert tasks(staff.ood, handling) == ["check_on_site"]
    staff.ood.complete(handling, "check_on_site")
    assert staff.ood.case(handling)["status"] == "afgesloten"

    staff.meldkamer.complete(at_triage, "triage", {"decision": "dispatch"})
    for ref in (at_triage, waiting):
        staff.ood.complete(ref, "take_in_handling")
        staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Hersteld."})
        assert tasks(staff.ood, ref) == ["check_on_site"]
    # nothing moved twice, nothing is left on v1
    assert move_cases(v1, v2, staff.admin.user) == []


def test_cases_whose_waiting_task_is_gone_stay_on_v1_and_finish_there(app, staff):
    at_triage = staff.meldkamer.file_melding()["reference"]
    handling = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(handling, "triage", {"decision": "dispatch"})
    staff.ood.complete(handling, "take_in_handling")
    v1 = definition_version("melding", 1)
    v2 = deploy_v2(with_renamed_triage)

    verdict = check_move(case_row(at_triage), v2)
    assert not verdict.movable
    assert verdict.codes == ["waiting_missing"]
    assert verdict.reasons == ["de wachtende taak 'Melding beoordelen' (triage) bestaat niet in melding v2"]
    verdict = check_move(case_row(handling), v2)
    assert not verdict.movable and verdict.codes == ["history_missing"]
    assert "'Melding beoordelen' (triage)" in verdict.reasons[0]

    report = move_cases(v1, v2, staff.admin.user)
    assert {(v.reference, v.movable, v.moved) for v in report} == {(at_triage, False, False), (handling, False, False)}
    assert version_of(at_triage) == 1 and version_of(handling) == 1
    assert db.session.scalars(select(AdminChange)).all() == []
    assert "version_moved" not in timeline_kinds(staff.admin.case(handling))

    # they finish on v1, a new case starts on v2 with the renamed task
    staff.meldkamer.complete(at_triage, "triage", {"decision": "dispatch"})
    for ref in (at_triage, handling):
        if "take_in_handling" in tasks(staff.ood, ref):
            staff.ood.complete(ref, "take_in_handling")
        staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Hersteld."})
        assert staff.ood.case(ref)["status"] == "afgesloten"
        assert version_of(ref) == 1
    new = staff.meldkamer.file_melding()["reference"]
    assert version_of(new) == 2 and tasks(staff.meldkamer, new) == ["triage_meldkamer"]


def test_check_names_completed_same_version_and_other_process(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    v1 = definition_version("melding", 1)
    assert check_move(case_row(ref), v1).codes == ["same_version"]
    assert check_move(case_row(ref), v1).reasons == ["de zaak loopt al op melding v1"]
    other = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key != "melding"))
    assert check_move(case_row(ref), other).codes == ["other_process"]
    v2 = deploy_v2(with_extra_task)
    staff.meldkamer.complete(ref, "triage", {"decision": "refer", "public_text": "Zie politie."})
    verdict = check_move(case_row(ref), v2)
    assert verdict.codes == ["completed"] and verdict.reasons == ["de zaak is afgerond"]
    verdict = move(case_row(ref), v2, staff.admin.user)
    assert not verdict.moved and version_of(ref) == 1
    # a reference that is not a running case of v1 is reported, not skipped silently
    report = move_cases(v1, v2, staff.admin.user, references=[ref, "M2000-999999"])
    assert [(v.reference, v.codes) for v in report] == [(ref, ["not_running_here"]),
                                                        ("M2000-999999", ["not_running_here"])]


def test_api_move_reports_per_case_and_is_admin_only(app, staff):
    first = staff.meldkamer.file_melding()["reference"]
    second = staff.meldkamer.file_melding()["reference"]
    deploy_v2(with_extra_task)
    url = "/api/v1/processes/melding/versions/2/move"
    assert staff.meldkamer.post(url, json={"dry_run": True}).status_code == 403
    assert staff.ood.post(url, json={}).status_code == 403

    response = staff.admin.post(url, json={"dry_run": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True and body["moved"] == 0
    assert {(c["reference"], c["movable"], c["moved"], c["from"]) for c in body["cases"]} == {
        (first, True, False, "melding v1"), (second, True, False, "melding v1")}

    response = staff.admin.post(url, json={"references": [second]})
    assert response.status_code == 200
    assert [(c["reference"], c["moved"]) for c in response.get_json()["cases"]] == [(second, True)]
    assert version_of(first) == 1 and version_of(second) == 2

    for bad, field in (({"references": "M1"}, "references"), ({"dry_run": "ja"}, "dry_run"),
                       ({"from": 7}, "from"), ([], "_schema")):
        response = staff.admin.post(url, json=bad)
        assert response.status_code == 422, (bad, response.get_json())
        assert field in response.get_json()["fields"], response.get_json()
    assert staff.admin.post("/api/v1/processes/melding/versions/9/move", json={}).status_code == 404
    assert staff.admin.post("/api/v1/processes/nope/versions/1/move", json={}).status_code == 404


def test_cli_move_dry_run_then_move(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    deploy_v2(with_extra_task)
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    result = invoke("bpmn", "move", "melding", "--from", "1", "--to", "2", "--dry-run")
    assert result.exit_code == 0, result.output
    assert ref in result.output and "kan verplaatst worden" in result.output
    assert version_of(ref) == 1
    result = invoke("bpmn", "move", "melding", "--from", "1", "--to", "2", ref)
    assert result.exit_code == 0, result.output
    assert "verplaatst" in result.output and version_of(ref) == 2
    change = db.session.scalar(select(AdminChange))
    assert change.area == "case_version" and change.actor == "cli"
    result = invoke("bpmn", "move", "melding", "--from", "1", "--to", "5")
    assert result.exit_code == 2 and "geen versie 5" in result.output


def test_admin_page_checks_then_moves_the_ticked_cases(app, staff):
    first = staff.meldkamer.file_melding()["reference"]
    second = staff.meldkamer.file_melding()["reference"]
    deploy_v2(with_extra_task)
    admin = Browser(app, "root", with_password(staff.admin.user))
    url = "/werk/beheer/processen/melding/verplaatsen"
    page = admin.get(url).get_data(as_text=True)
    assert "Controleren" in page and "Kan verplaatst worden" not in page
    checked = admin.get(f"{url}?van=1&naar=2").get_data(as_text=True)
    assert first in checked and second in checked and "Kan verplaatst worden" in checked
    response = admin.post(url, {"van": "1", "naar": "2", "zaak": [second]}, page=f"{url}?van=1&naar=2")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    report = response.get_data(as_text=True)
    assert second in report and "Verplaatst" in report
    assert version_of(first) == 1 and version_of(second) == 2
    assert "version_moved" in timeline_kinds(staff.admin.case(second))

    response = admin.post(url, {"van": "1", "naar": "2"}, page=f"{url}?van=1&naar=2")
    assert response.status_code == 422 and "Vink minstens één zaak aan" in response.get_data(as_text=True)
    assert version_of(first) == 1
    response = admin.post(url, {"van": "1", "naar": "2", "alles": "1"}, page=f"{url}?van=1&naar=2")
    assert response.status_code == 200 and "1 zaak verplaatst." in response.get_data(as_text=True)
    assert version_of(first) == 2

    response = admin.get(f"{url}?van=1&naar=9")
    assert response.status_code == 200 and "Deze versie bestaat niet" in response.get_data(as_text=True)

    handler = Browser(app, "bart", with_password(staff.ood.user))
    assert handler.get(url).status_code == 403


def test_case_page_moves_one_case_for_admins_only(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    deploy_v2(with_extra_task)
    case_id = case_row(ref).id
    admin = Browser(app, "root", with_password(staff.admin.user))
    page = admin.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "Naar versie ... verplaatsen" in page and "Deze zaak loopt op melding v1." in page
    assert '<option value="2">melding v2</option>' in page
    response = admin.post(f"/werk/dossier/{ref}/versie", {"naar": "2"}, page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    assert version_of(ref) == 2
    page = admin.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "Verplaatst van melding v1 naar melding v2 door Root" in page

    handler = Browser(app, "an", with_password(staff.meldkamer.user))
    assert "Naar versie" not in handler.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert handler.post(f"/werk/dossier/{ref}/versie", {"naar": "1"}, page=f"/werk/dossier/{ref}").status_code == 403
    assert version_of(ref) == 2
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.status == "open")).all()
    assert [i.task_name for i in items] == ["triage"]
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "version_moved")).public is False


def with_manual_take(xml: str) -> str:
    """A version where 'In behandeling nemen' is a manual task instead of a user task."""
    start = xml.index('<bpmn:userTask id="take_in_handling"')
    end = xml.index("</bpmn:userTask>", start)
    return (xml[:start] + xml[start:end].replace("<bpmn:userTask", "<bpmn:manualTask") + "</bpmn:manualTask>"
            + xml[end + len("</bpmn:userTask>"):])


def test_a_waiting_task_that_became_another_kind_of_step_is_not_moved(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    v2 = deploy_v2(with_manual_take)
    verdict = check_move(case_row(ref), v2)
    assert verdict.codes == ["waiting_changed"]
    assert verdict.reasons == ["de wachtende taak 'In behandeling nemen' (take_in_handling) is in melding v2 een "
                               "ander soort stap"]
    assert not move(case_row(ref), v2, staff.admin.user).moved and version_of(ref) == 1
    staff.ood.complete(ref, "take_in_handling")
    assert tasks(staff.ood, ref) == ["handle"]


def test_cases_waiting_on_a_contractor_or_on_feedback_move_with_their_timers(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        at_contractor = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(at_contractor, "triage", {"decision": "dispatch"})
        staff.ood.complete(at_contractor, "take_in_handling")
        staff.ood.complete(at_contractor, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                                     "instructions": "Lamp vervangen aan paal 12"})
        closed = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(closed, "triage", {"decision": "dispatch"})
        staff.ood.complete(closed, "take_in_handling")
        staff.ood.complete(closed, "handle", {"action": "close", "public_text": "Klaar."})
        v1 = definition_version("melding", 1)
        v2 = deploy_v2(with_extra_task)
        report = move_cases(v1, v2, staff.admin.user)
        assert {(v.reference, v.moved) for v in report} == {(at_contractor, True), (closed, True)}
        assert staff.ood.case(at_contractor)["status"] == "bij_aannemer"

        clock.tick(timedelta(days=3, minutes=1))  # the contractor's reminder, armed on v1, fires on v2
        assert timers.tick() == 1
        assert [m.data["reference"] for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "aannemer_herinnering"))] == [at_contractor]
        assert contractor_reports(app, at_contractor, "done", note="Lamp vervangen").status_code == 303
        assert tasks(staff.ood, at_contractor) == ["handle"]
        staff.ood.complete(at_contractor, "handle", {"action": "close", "public_text": "Hersteld."})
        assert tasks(staff.ood, at_contractor) == ["check_on_site"]

        clock.tick(timedelta(days=12))  # the feedback window of the closed case ends on v2
        timers.tick()
    assert case_row(closed).completed and version_of(closed) == 2
    assert staff.ood.case(closed)["status"] == "afgesloten"
