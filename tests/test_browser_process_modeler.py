"""In real Chromium: the admin edits the melding model in the browser editor (bpmn-js's Modeler with Meldpunt's
own properties form). A user task "Controle ter plaatse" is drawn in the behandelaarsgroep lane (with bpmn-js's
modeling API, as a mouse would), and everything about it is then set through the form: its name, a new status with
its labels, and a choice field with two choices; the feedback timer becomes P7D. The modeler's XML holds exactly
those SpiffWorkflow properties and that timer, and keeps the rest of the model's extensions. "Controleren" and "In
gebruik nemen" post that XML to the check and deploy endpoints and show what they answer: every problem listed, its
element marked in the diagram and selected on a click; a deployed version with its link. No CSP violation.

The check and deploy endpoints belong to the process administration; here a small test-only blueprint answers
them in the contract's shape (JSON {"ok", "problems": [{"element_id", "element_name", "line", "message"}]}; a deploy
answers {"ok": true, "version", "url"} or 422), so this test is about the page and its script.
"""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request
from lxml import etree
from werkzeug.exceptions import MethodNotAllowed, NotFound

from engine.deploy import BPMN_DIR

from .live_server import chromium, live_app, login
from .test_browser_csp import WATCH

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
CHECK = "/werk/beheer/processen/<key>/controleren"
DEPLOY = "/werk/beheer/processen/<key>/in-gebruik-nemen"
RESULT_FIELD = {"type": "choice", "label": {"nl": "Resultaat", "en": "Result"}, "required": True,
                "choices": [{"value": "ok", "label": {"nl": "In orde", "en": "Fine"}},
                            {"value": "herstel", "label": {"nl": "Herstel nodig", "en": "Repair needed"}}]}


def task_named(xml: str, name: str):
    root = etree.fromstring(xml.encode())
    found = root.xpath("//bpmn:userTask[@name=$name]", namespaces=NS, name=name)
    return found[0] if found else None


def install_endpoints(app, posted: list[dict]) -> None:
    """Answer the check and deploy URLs per the contract, from the XML the page posts (recorded in `posted`)."""

    def check(key):
        xml = request.form["xml"]
        posted.append({"url": request.path, "key": key, "xml": xml, "accept": request.headers.get("Accept", "")})
        task = task_named(xml, "Controle ter plaatse")
        problems = [{"element_id": "feedback_window_over", "element_name": "Feedbacktermijn verstreken", "line": 477,
                     "message": "de termijn is korter dan de feedbacklink geldig is"},
                    {"element_id": "", "element_name": "", "line": 2, "message": "algemeen probleem zonder element"}]
        if task is not None:
            problems.insert(0, {"element_id": task.get("id"), "element_name": "Controle ter plaatse",
                                "line": task.sourceline, "message": "de taak heeft geen inkomende stroom"})
        return jsonify({"ok": False, "problems": problems})

    def deploy(key):
        posted.append({"url": request.path, "key": key, "xml": request.form["xml"],
                       "accept": request.headers.get("Accept", "")})
        if len([p for p in posted if p["url"].endswith("in-gebruik-nemen")]) == 1:
            return jsonify({"ok": False, "problems": [
                {"element_id": "feedback_window_over", "element_name": "Feedbacktermijn verstreken", "line": 477,
                 "message": "nog steeds te kort"}]}), 422
        return jsonify({"ok": True, "version": 2, "url": f"/werk/beheer/processen/{key}"})

    # When the real endpoints exist in this app, this test's answers take their place (in this app only).
    adapter = app.url_map.bind("localhost")
    for rule, view in ((CHECK, check), (DEPLOY, deploy)):
        try:
            endpoint, _args = adapter.match(rule.replace("<key>", "melding"), method="POST")
        except (NotFound, MethodNotAllowed):
            endpoint = None
        if endpoint:
            app.view_functions[endpoint] = view
    blueprint = Blueprint("test_process_endpoints", __name__)
    blueprint.add_url_rule(CHECK, "check", check, methods=["POST"])
    blueprint.add_url_rule(DEPLOY, "deploy", deploy, methods=["POST"])
    app.register_blueprint(blueprint)


def spiff_properties(element) -> list[tuple[str, str]]:
    return [(p.get("name"), p.get("value")) for p in
            element.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)]


def test_admin_edits_the_melding_model_in_the_browser(tmp_path):
    posted: list[dict] = []
    with live_app(tmp_path) as (app, base), chromium() as browser:
        install_endpoints(app, posted)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        context.add_init_script(WATCH)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "admin")
        page.goto(f"{base}/werk/beheer/processen/melding/bewerken")
        assert page.locator("h1").inner_text() == "Proces melding bewerken"
        page.wait_for_selector("#modeler-canvas[data-ready=true]")

        # The diagram shows: the melding's tasks and lanes drawn on the canvas.
        assert page.locator(".djs-element[data-element-id=triage]").is_visible()
        assert page.locator(".djs-element[data-element-id=lane_behandelaarsgroep]").is_visible()
        assert page.locator(".djs-shape").count() > 60
        assert "Kies een element" in page.locator("#element-form").inner_text()

        # Draw a user task in the behandelaarsgroep lane, as the palette would.
        task_id = page.evaluate("""() => {
            const m = window.processModeler, registry = m.get('elementRegistry');
            const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask'});
            const made = m.get('modeling').createShape(shape, {x: 3050, y: 1390}, registry.get('participant_stad'));
            m.get('selection').select(made);
            return made.id;
        }""")
        form = page.locator("#element-form")
        assert f"Id: {task_id}" in form.inner_text()
        form.locator("[data-prop=name]").fill("Controle ter plaatse")
        form.locator("[data-prop=status]").fill("controle_ter_plaatse")
        assert "Nieuwe status" in form.inner_text()
        form.locator("[data-prop=status_label_nl]").fill("Controle ter plaatse")
        form.locator("[data-prop=status_label_en]").fill("On-site check")
        assert form.locator("input[data-prop=form-mode][value=fields]").is_checked()
        form.get_by_role("button", name="Veld toevoegen").click()
        field = form.locator("fieldset[data-field]")
        field.locator("[data-prop=field-name]").fill("resultaat")
        field.locator("[data-prop=field-type]").select_option("choice")
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
        # The diagram shows the name typed in the form.
        page.locator(f".djs-element[data-element-id={task_id}]").get_by_text("Controle ter plaatse").wait_for()

        # The feedback timer: select it, and type the new window in the form.
        page.evaluate("() => { const m = window.processModeler;"
                      " m.get('selection').select(m.get('elementRegistry').get('feedback_window_over')); }")
        assert "Id: feedback_window_over" in form.inner_text()
        timer = form.locator("[data-prop=timer-expression]")
        assert timer.input_value() == "P14D"  # the model's "P14D", shown as the period it is
        assert form.locator("[data-prop=timer-kind]").input_value() == "timeDuration"
        timer.fill("P7D")
        timer.press("Tab")

        xml = page.evaluate("async () => (await window.processModeler.saveXML({format: true})).xml")
        task = task_named(xml, "Controle ter plaatse")
        assert task is not None and task.get("id") == task_id
        properties = spiff_properties(task)
        assert [name for name, _value in properties] == ["status", "status_label_nl", "status_label_en",
                                                          "field.resultaat"]
        assert properties[:3] == [("status", "controle_ter_plaatse"), ("status_label_nl", "Controle ter plaatse"),
                                  ("status_label_en", "On-site check")]
        assert json.loads(properties[3][1]) == RESULT_FIELD
        root = etree.fromstring(xml.encode())
        lane = root.xpath("//bpmn:lane[@name='behandelaarsgroep']", namespaces=NS)[0]
        assert task_id in [ref.text for ref in lane.xpath("bpmn:flowNodeRef", namespaces=NS)]
        durations = root.xpath("//bpmn:boundaryEvent[@id='feedback_window_over']//bpmn:timeDuration",
                               namespaces=NS)
        assert [d.text for d in durations] == ['"P7D"']
        # Everything else SpiffWorkflow reads survives the round trip through the modeler.
        shipped = etree.parse(str(BPMN_DIR / "melding.bpmn")).getroot()
        for tag in ("messageVariable", "serviceTaskOperator", "parameter", "property"):
            path = f"//spiffworkflow:{tag}"
            assert len(root.xpath(path, namespaces=NS)) == len(shipped.xpath(path, namespaces=NS)) + (
                4 if tag == "property" else 0), tag
        assert (root.xpath("//bpmn:serviceTask[@id='confirm_receipt']//spiffworkflow:parameter/@value",
                           namespaces=NS) == ["'ontvangen'"])

        # Controleren: the endpoint gets this XML; its problems are listed and their elements marked.
        page.get_by_role("button", name="Controleren").click()
        problems = page.locator("#model-problems li")
        problems.nth(2).wait_for()
        assert posted[-1]["url"] == "/werk/beheer/processen/melding/controleren"
        assert posted[-1]["xml"] == xml
        assert "Problemen gevonden: 3" in page.locator("#modeler-status").inner_text()
        assert problems.nth(0).inner_text() == (f"Controle ter plaatse ({task_id}), regel {task.sourceline}: "
                                                "de taak heeft geen inkomende stroom")
        assert problems.nth(2).inner_text() == "regel 2: algemeen probleem zonder element"
        for element_id in (task_id, "feedback_window_over"):
            assert "process-problem" in page.locator(f".djs-element[data-element-id={element_id}]").get_attribute(
                "class")
        assert "process-problem" not in page.locator(".djs-element[data-element-id=triage]").get_attribute("class")
        marked = page.evaluate("getComputedStyle(document.querySelector("
                               f"'.djs-element[data-element-id={task_id}] .djs-visual > rect')).stroke")
        assert marked == "rgb(192, 57, 43)", "process_modeler.css did not mark the element"
        problems.nth(0).get_by_role("button").click()
        assert f"Id: {task_id}" in form.inner_text()
        assert form.locator("[data-prop=status]").input_value() == "controle_ter_plaatse"
        problems.nth(1).get_by_role("button").click()
        assert "Id: feedback_window_over" in form.inner_text()

        # In gebruik nemen: refused with a problem (422), then deployed as version 2 with its link.
        page.get_by_role("button", name="In gebruik nemen").click()
        page.locator("#modeler-status", has_text="Problemen gevonden: 1").wait_for()
        assert page.locator("#model-problems li").inner_text() == (
            "Feedbacktermijn verstreken (feedback_window_over), regel 477: nog steeds te kort")
        assert "process-problem" not in page.locator(f".djs-element[data-element-id={task_id}]").get_attribute(
            "class")
        page.get_by_role("button", name="In gebruik nemen").click()
        page.locator("#modeler-status", has_text="Versie 2 is in gebruik genomen").wait_for()
        assert page.locator("#modeler-status a").get_attribute("href") == "/werk/beheer/processen/melding"
        assert page.locator("#model-problems").is_hidden()
        deploys = [p for p in posted if p["url"].endswith("/in-gebruik-nemen")]
        assert len(deploys) == 2 and all(p["accept"] == "application/json" for p in deploys)
        assert deploys[-1]["xml"] == xml

        assert page.evaluate("window.__csp") == []
        assert errors == []


def select(page, element_id: str) -> None:
    page.evaluate("id => { const m = window.processModeler;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)
    page.locator("#element-form [data-element-id]", has_text=f"Id: {element_id}").wait_for()


def test_the_form_edits_operators_conditions_lanes_and_switches_forms(tmp_path):
    posted: list[dict] = []
    with live_app(tmp_path) as (app, base), chromium() as browser:
        install_endpoints(app, posted)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        context.add_init_script(WATCH)
        page = context.new_page()
        login(page, base, "admin")
        page.goto(f"{base}/werk/beheer/processen/melding/bewerken")
        page.wait_for_selector("#modeler-canvas[data-ready=true]")
        form = page.locator("#element-form")

        # A service task: another registered operator brings its own parameter; the old one is removed by hand.
        select(page, "confirm_receipt")
        assert form.locator("[data-prop=operator]").input_value() == "notify.reporter"
        assert form.locator("[data-prop=parameter-value]").input_value() == "'ontvangen'"
        form.locator("[data-prop=operator]").select_option("work.return_to_asker")
        assert [p.input_value() for p in form.locator("[data-prop=parameter-id]").all()] == ["template", "reason"]
        form.locator("fieldset[data-parameter=reason] [data-prop=parameter-value]").fill("'reactie'")
        form.locator("fieldset[data-parameter=template]").get_by_role("button", name="Parameter verwijderen").click()
        assert [p.input_value() for p in form.locator("[data-prop=parameter-id]").all()] == ["reason"]

        # A sequence flow: its condition; the gateway's default path (no condition) on and off.
        select(page, "flow_gw_triage_to_refer")
        condition = form.locator("[data-prop=condition]")
        assert condition.input_value() == "decision == 'refer'"
        condition.fill("decision == 'doorverwijzen'")
        condition.press("Tab")
        assert not form.locator("[data-prop=default-flow]").is_checked()
        select(page, "flow_gw_triage_to_dispatch")
        assert form.locator("[data-prop=default-flow]").is_checked()
        form.locator("[data-prop=default-flow]").uncheck()
        assert page.evaluate("() => window.processModeler.get('elementRegistry').get('gw_triage')"
                             ".businessObject.default === undefined")
        form.locator("[data-prop=default-flow]").check()
        assert page.evaluate("() => window.processModeler.get('elementRegistry').get('gw_triage')"
                             ".businessObject.default.id") == "flow_gw_triage_to_dispatch"

        # A lane: its name is the group role, chosen from the roles Meldpunt knows.
        select(page, "lane_meldkamer")
        assert form.locator("[data-prop=lane]").input_value() == "meldkamer"
        form.locator("[data-prop=lane]").select_option("onthaal")
        page.locator(".djs-element[data-element-id=lane_meldkamer]").get_by_text("onthaal").wait_for()

        # A user task: from its built-in form to fields of its own and back; what was set aside comes back.
        select(page, "triage")
        assert form.locator("input[data-prop=form-mode][value=builtin]").is_checked()
        assert form.locator("[data-prop=form]").input_value() == "triage"
        form.locator("input[data-prop=form-mode][value=fields]").check()
        form.get_by_role("button", name="Veld toevoegen").click()
        form.locator("[data-prop=field-name]").fill("Opmerking!")
        form.locator("[data-prop=field-type]").select_option("longtext")
        assert "Ongeldige naam" in form.locator("fieldset[data-field] .invalid").inner_text()
        form.locator("[data-prop=field-name]").fill("opmerking")
        form.locator("[data-prop=field-label-nl]").fill("Opmerking")
        form.locator("[data-prop=field-label-nl]").press("Tab")
        assert form.locator("fieldset[data-field] .invalid").is_hidden()
        form.locator("input[data-prop=form-mode][value=builtin]").check()
        assert form.locator("[data-prop=form]").input_value() == "triage"
        form.locator("input[data-prop=form-mode][value=fields]").check()
        assert form.locator("[data-prop=field-name]").input_value() == "opmerking"

        root = etree.fromstring(page.evaluate(
            "async () => (await window.processModeler.saveXML({format: true})).xml").encode())
        operator = root.xpath("//bpmn:serviceTask[@id='confirm_receipt']//spiffworkflow:serviceTaskOperator",
                              namespaces=NS)[0]
        assert operator.get("id") == "work.return_to_asker"
        assert [(p.get("id"), p.get("type"), p.get("value")) for p in operator.xpath(
            "spiffworkflow:parameters/spiffworkflow:parameter", namespaces=NS)] == [("reason", "str", "'reactie'")]
        flow = root.xpath("//bpmn:sequenceFlow[@id='flow_gw_triage_to_refer']", namespaces=NS)[0]
        assert flow.xpath("bpmn:conditionExpression/text()", namespaces=NS) == ["decision == 'doorverwijzen'"]
        assert root.xpath("//bpmn:exclusiveGateway[@id='gw_triage']/@default", namespaces=NS) == [
            "flow_gw_triage_to_dispatch"]
        assert root.xpath("//bpmn:lane[@id='lane_meldkamer']/@name", namespaces=NS) == ["onthaal"]
        triage = root.xpath("//bpmn:userTask[@id='triage']", namespaces=NS)[0]
        assert spiff_properties(triage) == [("status", "ontvangen"), ("field.opmerking", json.dumps(
            {"type": "longtext", "label": {"nl": "Opmerking"}, "required": False}, separators=(",", ":")))]

        # Undo and redo (the modeler's own command stack): the form follows what the model now says.
        page.evaluate("() => window.processModeler.get('commandStack').undo()")
        assert form.locator("[data-prop=field-name]").count() == 0
        assert form.get_by_role("button", name="Veld toevoegen").is_visible()
        page.evaluate("() => window.processModeler.get('commandStack').redo()")
        assert form.locator("[data-prop=field-name]").input_value() == "opmerking"

        # bpmn-js's own menus work under the CSP: the replace menu opens; the "align" menu, whose icons carry
        # style attributes, is left out.
        page.evaluate("() => { const m = window.processModeler, r = m.get('elementRegistry');"
                      " m.get('selection').select([r.get('triage'), r.get('refer')]); }")
        assert page.locator(".djs-context-pad [data-action=align-elements]").count() == 0
        select(page, "triage")
        page.locator(".djs-context-pad [data-action=replace]").click()
        page.locator(".djs-popup").wait_for()
        page.keyboard.press("Escape")

        # A session that ended meanwhile: a clear message, and the model stays in the editor.
        context.clear_cookies()
        page.get_by_role("button", name="Controleren").click()
        page.locator("#modeler-status", has_text="Uw sessie of deze pagina is verlopen").wait_for()
        assert posted == []
        assert page.locator(".djs-element[data-element-id=lane_meldkamer]").get_by_text("onthaal").is_visible()
        assert page.evaluate("window.__csp") == []
