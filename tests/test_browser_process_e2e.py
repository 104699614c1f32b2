"""Issue #14's own scenario in Chromium, against the real check, deploy and activate endpoints: an old melding
waits in handling on version 1; the admin adds "Controle ter plaatse" (a required choice field, a status with
nl/en labels) after "In behandeling nemen" in the behandelaarsgroep lane, makes the feedback timer 7 days,
checks and deploys version 2. A new melding reaches the new task; the handler's form refuses a missing choice in
Dutch and captures a chosen one on the timeline; the tracking page shows the new status label. The old case
finishes on version 1. "Terugzetten" makes version 1 the one new cases start on again; the administration log
lists the deploy and the rollback. On SQLite and on PostgreSQL (a schema of its own, tests/live_server.py)."""
from __future__ import annotations

import json
import re

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine import deploy as deployment
from engine.db import db
from engine.models import Case, ProcessDefinition, WorkItem
from intake.meldingen import register_melding

from .live_server import chromium, live_app, login
from .test_browser_csp import WATCH
from .test_browser_process_modeler import NS, RESULT_FIELD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1400, "height": 900}


def file_melding(app, description: str) -> str:
    with app.app_context():
        case = register_melding(description=description, channel="telefoon", category="straatlamp-defect",
                                location={"address": "Bruul 12, 2800 Mechelen"},
                                reporter={"name": "Els", "email": "els@voorbeeld.example"})
        reference = case.reference
        db.session.remove()
    return reference


def case_facts(app, reference: str) -> tuple[int, str, list[str]]:
    """(the case's process version, its tracking token, its open work items' task names)."""
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        version = db.session.get(ProcessDefinition, case.definition_id).version
        open_items = list(db.session.scalars(select(WorkItem.task_name).where(
            WorkItem.case_id == case.id, WorkItem.completed_at.is_(None))))
        token = case.tracking_token
        db.session.remove()
    return version, token, open_items


def dispatch_and_take(desk, bart, base: str, reference: str) -> None:
    """The meldkamer dispatches the case, bart.ood picks it up and takes it in handling, all in the browser."""
    desk.goto(f"{base}/werk/meldkamer")
    desk.locator(f"tr[data-reference='{reference}']").get_by_role(
        "button", name="Doorsturen → Onderhoud openbaar domein").click()
    assert desk.locator(f"tr[data-reference='{reference}']").count() == 0
    bart.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
    bart.locator(f"tr[data-reference='{reference}']").get_by_role("button", name="Opnemen").click()
    bart.goto(f"{base}/werk/dossier/{reference}")
    bart.locator("form[data-task='take_in_handling']").get_by_role("button", name="Opslaan").click()
    bart.locator("form[data-task='take_in_handling']").wait_for(state="detached")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_admin_changes_the_melding_model_in_the_browser_and_rolls_back(tmp_path, database):
    with live_app(tmp_path, database) as (app, base), chromium() as browser:
        with app.app_context():
            assert db.engine.dialect.name == database
        errors: list[str] = []

        def page_for(username: str):
            context = browser.new_context(viewport=DESKTOP)
            context.add_init_script(WATCH)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            login(page, base, username)
            return page

        desk, bart, admin = page_for("an.meldkamer"), page_for("bart.ood"), page_for("admin")

        # An old case, through the real intake, waits in handling on version 1.
        old = file_melding(app, "Straatlamp aan paal 12 brandt niet")
        dispatch_and_take(desk, bart, base, old)
        assert case_facts(app, old)[0] == 1
        assert case_facts(app, old)[2] == ["handle"]

        # The admin opens the melding model in the editor and draws the new task after taking in handling.
        admin.goto(f"{base}/werk/beheer/processen/melding/bewerken")
        admin.wait_for_selector("#modeler-canvas[data-ready=true]")
        task_id = admin.evaluate("""() => {
            const m = window.processModeler, registry = m.get('elementRegistry'), modeling = m.get('modeling');
            const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask'});
            const made = modeling.createShape(shape, {x: 3050, y: 1390}, registry.get('participant_stad'));
            const flow = registry.get('flow_take_in_handling_to_mail_in_progress');
            const next = registry.get('mail_in_progress');
            modeling.reconnectEnd(flow, made, {x: made.x, y: made.y + made.height / 2});
            modeling.connect(made, next, {type: 'bpmn:SequenceFlow'});
            m.get('selection').select(made);
            return made.id;
        }""")
        form = admin.locator("#element-form")
        assert f"Id: {task_id}" in form.inner_text()
        form.locator("[data-prop=name]").fill("Controle ter plaatse")
        form.locator("[data-prop=status]").fill("controle_ter_plaatse")
        form.locator("[data-prop=status_label_nl]").fill("Controle ter plaatse")
        form.locator("[data-prop=status_label_en]").fill("On-site check")
        form.locator("input[data-prop=form-mode][value=fields]").check()
        form.get_by_role("button", name="Veld toevoegen").click()
        form.locator("fieldset[data-field] [data-prop=field-name]").fill("resultaat")
        form.locator("fieldset[data-field] [data-prop=field-type]").select_option("choice")
        field = form.locator("fieldset[data-field]")
        field.locator("[data-prop=field-label-nl]").fill("Resultaat")
        field.locator("[data-prop=field-label-en]").fill("Result")
        field.locator("[data-prop=field-required]").check()
        for value, nl, en in (("ok", "In orde", "Fine"), ("herstel", "Herstel nodig", "Repair needed")):
            form.get_by_role("button", name="Keuze toevoegen").click()
            choice = form.locator(".choice").last
            choice.locator("[data-prop=choice-value]").fill(value)
            choice.locator("[data-prop=choice-label-nl]").fill(nl)
            choice.locator("[data-prop=choice-label-en]").fill(en)
            choice.locator("[data-prop=choice-label-en]").press("Tab")
        lane = admin.evaluate("id => { const r = window.processModeler.get('elementRegistry');"
                              " return r.filter(e => e.type === 'bpmn:Lane' &&"
                              " (e.businessObject.flowNodeRef || []).some(n => n.id === id))"
                              ".map(e => e.businessObject.name); }", task_id)
        assert lane == ["behandelaarsgroep"]

        # The feedback timer becomes 7 days, through the form.
        admin.evaluate("() => { const m = window.processModeler;"
                       " m.get('selection').select(m.get('elementRegistry').get('feedback_window_over')); }")
        timer = form.locator("[data-prop=timer-expression]")
        assert timer.input_value() == "P14D"
        timer.fill("P7D")
        timer.press("Tab")

        # Controleren: no problems; In gebruik nemen: version 2 is in use.
        admin.get_by_role("button", name="Controleren").click()
        status = admin.locator("#modeler-status")
        status.filter(has_text=re.compile(r"Geen problemen gevonden|Problemen gevonden")).wait_for()
        problems = admin.locator("#model-problems li")
        assert status.inner_text() == "Geen problemen gevonden.", problems.all_inner_texts()
        admin.get_by_role("button", name="In gebruik nemen").click()
        admin.locator("#modeler-status", has_text="Versie 2 is in gebruik genomen").wait_for()
        admin.goto(f"{base}/werk/beheer/processen")
        assert "In gebruik" in admin.locator("#process-melding tr[data-version='2']").inner_text()
        with app.app_context():
            deployed = deployment.active_definition("melding")
            assert deployed.version == 2
            timer = re.search(r'id="feedback_window_over".*?<bpmn:timeDuration[^>]*>([^<]*)<', deployed.xml, re.S)
            assert timer and timer.group(1) == '"P7D"'
            root = etree.fromstring(deployed.xml.encode())
            declared = root.xpath("//bpmn:userTask[@id=$id]//spiffworkflow:property[@name='field.resultaat']/@value",
                                  namespaces=NS, id=task_id)
            assert [json.loads(v) for v in declared] == [RESULT_FIELD]
            db.session.remove()

        # A new case starts on version 2 and reaches "Controle ter plaatse" after being taken in handling.
        new = file_melding(app, "Losliggende stoeptegel aan Bruul 14")
        dispatch_and_take(desk, bart, base, new)
        version, token, open_items = case_facts(app, new)
        assert version == 2 and open_items == [task_id]  # the task is named by its element id

        # The citizen's tracking page shows the new status by its label.
        citizen = browser.new_context(viewport=DESKTOP).new_page()
        citizen.goto(f"{base}/volg/{token}")
        assert "Controle ter plaatse" in citizen.locator(".badge").all_inner_texts()
        assert "controle_ter_plaatse" not in citizen.locator("body").inner_text()

        bart.goto(f"{base}/werk/dossier/{new}")
        assert bart.locator("#case-status").inner_text() == "Controle ter plaatse"
        task_form = bart.locator(f"form[data-task='{task_id}']")
        assert "Resultaat (verplicht)" in task_form.inner_text()
        # Staff see the task by the name given in the editor, never by the id the modeler generated.
        assert "Controle ter plaatse" in task_form.inner_text() and task_id not in bart.locator("body").inner_text()
        select_box = task_form.locator("select[name=resultaat]")
        assert [o.strip() for o in select_box.locator("option").all_inner_texts()] == [
            "– kies –", "In orde", "Herstel nodig"]
        # Without a choice (the browser's own check set aside, so the server's answer shows): the Dutch error.
        task_form.evaluate("f => { f.noValidate = true; }")
        task_form.get_by_role("button", name="Opslaan").click()
        task_form = bart.locator(f"form[data-task='{task_id}']")
        assert "Vul dit veld in." in task_form.inner_text()
        assert case_facts(app, new)[2] == [task_id]
        # With a choice: captured, shown on the case's timeline, and the case moves on.
        task_form.locator("select[name=resultaat]").select_option("herstel")
        task_form.get_by_role("button", name="Opslaan").click()
        bart.locator(f"form[data-task='{task_id}']").wait_for(state="detached")
        bart.goto(f"{base}/werk/dossier/{new}")
        timeline = bart.locator("#timeline").inner_html()
        assert "<dt>Resultaat</dt>" in timeline and "Herstel nodig</dd>" in timeline
        assert case_facts(app, new)[2] == ["handle"]

        # The old case finishes on version 1, never meeting the new task.
        bart.goto(f"{base}/werk/dossier/{old}")
        handle = bart.locator("form[data-task='handle']")
        handle.locator("select[name=action]").select_option("close")
        handle.locator("textarea[name=public_text]").fill("De lamp werd vervangen. Bedankt voor uw melding.")
        handle.get_by_role("button", name="Opslaan").click()
        handle.wait_for(state="detached")
        version, _token, open_items = case_facts(app, old)
        assert version == 1 and open_items == []
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == old))
            assert case.status == "afgesloten"
            assert db.session.scalar(select(WorkItem).where(
                WorkItem.case_id == case.id, WorkItem.task_name == task_id)) is None
            db.session.remove()

        # Terugzetten: version 1 is the one new cases use again.
        admin.goto(f"{base}/werk/beheer/processen")
        admin.locator("#process-melding tr[data-version='1']").get_by_role("button", name="Terugzetten").click()
        assert "Versie 1 van 'melding' is in gebruik" in admin.locator(".flash").inner_text()
        third = file_melding(app, "Graffiti op de brug")
        dispatch_and_take(desk, bart, base, third)
        version, _token, open_items = case_facts(app, third)
        assert version == 1 and open_items == ["handle"]

        # The administration log lists the deploy and the rollback, by the admin.
        admin.goto(f"{base}/werk/beheer/wijzigingen")
        rows = admin.locator("#admin-changes tbody tr").all_inner_texts()
        assert any("melding v2 (deploy)" in r for r in rows), rows
        assert any("melding v1 (activate)" in r for r in rows), rows

        for page in (desk, bart, admin):
            assert page.evaluate("window.__csp || []") == []
        assert errors == []


def test_the_editor_lists_and_marks_real_problems_and_deploys_nothing(tmp_path):
    """The issue's broken model in the editor, against the real check and deploy endpoints: a misspelt name in a
    condition and a timer of "14 dagen" are listed with element name, id and line and marked in the diagram;
    "In gebruik nemen" refuses it and nothing is deployed."""
    with live_app(tmp_path) as (app, base), chromium() as browser:
        errors: list[str] = []
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(WATCH)
        admin = context.new_page()
        admin.on("pageerror", lambda e: errors.append(str(e)))
        login(admin, base, "admin")
        admin.goto(f"{base}/werk/beheer/processen/melding/bewerken")
        admin.wait_for_selector("#modeler-canvas[data-ready=true]")
        form = admin.locator("#element-form")

        def pick(element_id: str) -> None:
            admin.evaluate("id => { const m = window.processModeler;"
                           " m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)

        pick("flow_gw_triage_to_refer")
        condition = form.locator("[data-prop=condition]")
        assert condition.input_value() == "decision == 'refer'"
        condition.fill("decison == 'refer'")
        condition.press("Tab")
        pick("feedback_window_over")
        timer = form.locator("[data-prop=timer-expression]")
        timer.fill("14 dagen")
        timer.press("Tab")

        admin.get_by_role("button", name="Controleren").click()
        status = admin.locator("#modeler-status")
        status.filter(has_text=re.compile(r"Geen problemen gevonden|Problemen gevonden|lukte niet")).wait_for()
        assert status.inner_text().startswith("Problemen gevonden: 2"), status.inner_text()
        problems = admin.locator("#model-problems li").all_inner_texts()
        assert any(p.startswith("Doorverwijzen (flow_gw_triage_to_refer), regel ") and "'decison'" in p
                   for p in problems), problems
        assert any(p.startswith("Feedbacktermijn verstreken (feedback_window_over), regel ") and "'14 dagen'" in p
                   and "ISO 8601" in p for p in problems), problems
        for element_id in ("flow_gw_triage_to_refer", "feedback_window_over"):
            assert "process-problem" in admin.locator(f".djs-element[data-element-id={element_id}]").get_attribute(
                "class")
        assert "process-problem" not in admin.locator(".djs-element[data-element-id=triage]").get_attribute("class")

        with admin.expect_response(lambda r: r.url.endswith("/in-gebruik-nemen")) as deployed:
            admin.get_by_role("button", name="In gebruik nemen").click()
        assert deployed.value.status == 422
        status.filter(has_text="Problemen gevonden: 2").wait_for()
        with app.app_context():
            assert deployment.active_definition("melding").version == 1
            assert db.session.scalar(select(func.count()).select_from(ProcessDefinition).where(
                ProcessDefinition.key == "melding")) == 1
            db.session.remove()
        assert admin.evaluate("window.__csp || []") == [] and errors == []
