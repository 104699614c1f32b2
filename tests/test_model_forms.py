"""A city adds a user task with a form and a status to the melding model (issue #14): the new task's form is
rendered on the case page and accepted through the API with the same rules, its values become process data
and show on the timeline, its status reads as the model words it (staff page, API, tracking page in nl and
en), and a case started on the old version finishes on its own version."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from markupsafe import escape
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.db import db
from engine.errors import DeployError
from engine.models import Case, CaseEvent, CaseFile, WorkItem
from engine.runtime import SERIALIZER

from .helpers import Browser, with_password
from .model_variants import deploy_variant, with_site_check

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _case(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def _process_data(reference: str) -> dict:
    """The data the process carries on (that of its waiting tasks)."""
    workflow = SERIALIZER.deserialize_json(_case(reference).state)
    ready = workflow.get_tasks(state=TaskState.READY)
    assert ready
    return ready[0].data


def _to_site_check(staff) -> str:
    ref = staff.meldkamer.file_melding("Losliggende stoeptegel aan Bruul 12")["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch", "group": "onderhoud-openbaar-domein"})
    case = staff.ood.case(ref)
    assert [i["task"] for i in case["work_items"]] == ["controle_ter_plaatse"]
    return ref


def _tracking_path(reference: str) -> str:
    return f"/volg/{_case(reference).tracking_token}"


def test_a_new_case_reaches_the_task_and_its_status_reads_as_the_model_words_it(app, staff):
    deploy_variant(with_site_check())
    ref = _to_site_check(staff)
    case = staff.ood.case(ref)
    assert case["status"] == "controle_ter_plaatse" and case["status_label"] == "Controle ter plaatse"
    assert case["process"].endswith("v2")

    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert re.search(r'id="case-status">Controle ter plaatse<', page)
    assert "controle_ter_plaatse</" not in page  # never the raw key

    path, citizen = _tracking_path(ref), app.test_client()
    with app.app_context():  # a fresh context per request, as in production (`g` keeps the language)
        tracking = citizen.get(path).get_data(as_text=True)
    assert '<span class="badge">Controle ter plaatse</span>' in tracking
    citizen.set_cookie("lang", "en")
    with app.app_context():
        tracking = citizen.get(path).get_data(as_text=True)
    assert '<span class="badge">On-site check</span>' in tracking and "Controle ter plaatse" not in tracking


def test_the_staff_page_renders_the_form_and_refuses_a_missing_or_unknown_choice_in_dutch(app, staff):
    deploy_variant(with_site_check())
    ref = _to_site_check(staff)
    item = db.session.scalar(select(WorkItem).where(WorkItem.task_name == "controle_ter_plaatse"))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    url, page_url = f"/werk/dossier/{ref}/taak/{item.id}", f"/werk/dossier/{ref}"
    page = bart.get(page_url).get_data(as_text=True)
    form = page[page.index('data-task="controle_ter_plaatse"'):]
    form = form[:form.index("</form>")]
    assert "Resultaat (verplicht)" in form and "Opmerking" in form
    assert '<option value="ok" >In orde</option>' in form and '<option value="herstel" >Herstel nodig</option>' in form
    assert f'<textarea id="f-{item.id}-opmerking" name="opmerking"' in form

    typed = "Tegel ligt los over 2 meter, \"gevaarlijk\" <voor> fietsers"
    for choice, message in (("", "Vul dit veld in."), ("kapot", "Kies een van de mogelijkheden uit de lijst.")):
        token = FORM_TOKEN.search(bart.get(page_url).get_data(as_text=True)).group(1)
        response = bart.post(url, {"resultaat": choice, "opmerking": typed, "form_token": token}, page=page_url)
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        form = body[body.index('data-task="controle_ter_plaatse"'):]
        form = form[:form.index("</form>")]
        assert message in form and "Missing data" not in body and "Must be one of" not in body
        assert str(escape(typed)) in form  # what was typed is kept
    assert staff.ood.case(ref)["status"] == "controle_ter_plaatse"

    token = FORM_TOKEN.search(bart.get(page_url).get_data(as_text=True)).group(1)
    response = bart.post(url, {"resultaat": "herstel", "opmerking": typed, "form_token": token}, page=page_url)
    assert response.status_code == 302
    data = _process_data(ref)
    assert data["resultaat"] == "herstel" and data["opmerking"] == typed
    timeline = bart.get(page_url).get_data(as_text=True)
    assert "<dt>Resultaat</dt>" in timeline and "Herstel nodig</dd>" in timeline
    assert staff.ood.case(ref)["status"] == "toegewezen"


def test_the_api_applies_the_same_rules_and_names_the_field(app, staff):
    deploy_variant(with_site_check())
    ref = _to_site_check(staff)
    item = staff.ood.open_item(ref, "controle_ter_plaatse")
    assert item["form"] is None
    assert [(f["name"], f["type"], f["required"]) for f in item["form_fields"]] == [
        ("resultaat", "choice", True), ("opmerking", "longtext", False)]
    assert [c["value"] for c in item["form_fields"][0]["choices"]] == ["ok", "herstel"]
    for form, bad in (({"opmerking": "geen resultaat"}, "resultaat"), ({"resultaat": "kapot"}, "resultaat"),
                      ({"resultaat": "ok", "opmerking": "x" * 10001}, "opmerking"),
                      ({"resultaat": "ok", "onbekend": 1}, "onbekend")):
        response = staff.ood.complete(ref, "controle_ter_plaatse", form, expect=422)
        assert list(response["fields"]) == [bad], (form, response)
    assert staff.ood.case(ref)["status"] == "controle_ter_plaatse"

    done = staff.ood.complete(ref, "controle_ter_plaatse", {"resultaat": "ok", "opmerking": "Tegel ligt weer vast"})
    assert done["status"] == "toegewezen"
    assert _process_data(ref)["resultaat"] == "ok" and _process_data(ref)["opmerking"] == "Tegel ligt weer vast"
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == _case(ref).id,
                                                      CaseEvent.kind == "task_completed")
                           .order_by(CaseEvent.id.desc()).limit(1))
    assert event.data["task"] == "controle_ter_plaatse"
    assert [(f["name"], f["text"]["nl"], f["text"]["en"]) for f in event.data["fields"]] == [
        ("resultaat", "In orde", "Fine"), ("opmerking", "Tegel ligt weer vast", "Tegel ligt weer vast")]

    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    bart.post("/werk/taal/en", page=f"/werk/dossier/{ref}")
    page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "<dt>Result</dt>" in page and "Fine</dd>" in page


def test_every_field_type_is_checked_the_same_way(app, staff):
    fields = {
        "kort": {"type": "text", "label": {"nl": "Kort"}, "required": True},
        "gevaar": {"type": "yesno", "label": {"nl": "Gevaarlijk", "en": "Dangerous"}, "required": True},
        "datum": {"type": "date", "label": {"nl": "Datum"}},
        "meters": {"type": "number", "label": {"nl": "Meters"}},
    }
    deploy_variant(with_site_check(fields=fields))
    ref = _to_site_check(staff)
    for form, bad in (({"kort": "x" * 2001, "gevaar": True}, "kort"), ({"kort": "  ", "gevaar": True}, "kort"),
                      ({"kort": "a", "gevaar": "misschien"}, "gevaar"),
                      ({"kort": "a", "gevaar": False, "datum": "31/12/2026"}, "datum"),
                      ({"kort": "a", "gevaar": False, "meters": "NaN"}, "meters"),
                      ({"kort": "a", "gevaar": False, "meters": "veel"}, "meters")):
        assert bad in staff.ood.complete(ref, "controle_ter_plaatse", form, expect=422)["fields"], form

    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    item = db.session.scalar(select(WorkItem).where(WorkItem.task_name == "controle_ter_plaatse"))
    page_url = f"/werk/dossier/{ref}"
    token = FORM_TOKEN.search(bart.get(page_url).get_data(as_text=True)).group(1)
    response = bart.post(f"{page_url}/taak/{item.id}", {"kort": "Put", "gevaar": "true", "datum": "2026-12-24",
                                                        "meters": "2,5", "form_token": token}, page=page_url)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    data = _process_data(ref)
    assert (data["kort"], data["gevaar"], data["datum"], data["meters"]) == ("Put", True, "2026-12-24", 2.5)


def test_a_case_started_on_the_old_version_finishes_on_its_own_version(app, staff):
    old = staff.meldkamer.file_melding("Straatlamp brandt niet")["reference"]
    old_definition = _case(old).definition_id
    deploy_variant(with_site_check())
    new = _to_site_check(staff)
    assert _case(new).definition_id != old_definition

    staff.meldkamer.complete(old, "triage", {"decision": "dispatch", "group": "onderhoud-openbaar-domein"})
    assert [i["task"] for i in staff.ood.case(old)["work_items"]] == ["take_in_handling"]
    staff.ood.complete(old, "take_in_handling")
    closed = staff.ood.complete(old, "handle", {"action": "close", "public_text": "Lamp vervangen."})
    assert closed["status"] == "afgesloten" and closed["status_label"] == "Afgesloten"
    assert _case(old).definition_id == old_definition
    assert db.session.scalar(select(WorkItem).where(WorkItem.case_id == _case(old).id,
                                                    WorkItem.task_name == "controle_ter_plaatse")) is None


def test_a_task_with_neither_form_nor_fields_is_refused_at_deploy(app, staff):
    """A user task must say what it captures (docs/process-models.md): the deploy check names the task."""
    with pytest.raises(DeployError) as refused:
        deploy_variant(with_site_check(fields={}))
    assert "controle_ter_plaatse" in str(refused.value)


def test_a_file_field_stores_the_upload_as_a_case_file_and_keeps_its_id(app, staff):
    fields = {"foto": {"type": "file", "label": {"nl": "Verslag", "en": "Report"}, "required": True}}
    deploy_variant(with_site_check(fields=fields))
    ref = _to_site_check(staff)
    other = staff.meldkamer.file_melding("Andere melding")["reference"]
    item = db.session.scalar(select(WorkItem).where(WorkItem.task_name == "controle_ter_plaatse"))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    page_url = f"/werk/dossier/{ref}"
    page = bart.get(page_url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and f'type="file" id="f-{item.id}-foto" name="foto"' in page

    # Through the API a file field names a file of this case: another case's file or none is refused.
    other_file = CaseFile(case_id=_case(other).id, filename="x.pdf", content_type="application/pdf", size=1,
                          storage_key="elders/x.pdf", sha256="0" * 64)
    db.session.add(other_file)
    db.session.commit()
    for value in (other_file.id, 999999, "geen"):
        assert "foto" in staff.ood.complete(ref, "controle_ter_plaatse", {"foto": value}, expect=422)["fields"]

    # On the page: nothing chosen is refused in Dutch; a PDF is stored on the case and its id is the value.
    token = FORM_TOKEN.search(bart.get(page_url).get_data(as_text=True)).group(1)
    response = bart.post(f"{page_url}/taak/{item.id}", {"form_token": token}, page=page_url)
    assert response.status_code == 422 and "Vul dit veld in." in response.get_data(as_text=True)
    token = FORM_TOKEN.search(bart.get(page_url).get_data(as_text=True)).group(1)
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    response = bart.post(f"{page_url}/taak/{item.id}", {"form_token": token, "foto": (BytesIO(pdf), "verslag.pdf")},
                         page=page_url)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    stored = db.session.scalar(select(CaseFile).where(CaseFile.case_id == _case(ref).id))
    assert stored is not None and stored.filename == "verslag.pdf"
    assert _process_data(ref)["foto"] == stored.id
    timeline = bart.get(page_url).get_data(as_text=True)
    assert f'href="/werk/dossier/{ref}/bestand/{stored.id}"' in timeline
    assert bart.get(f"/werk/dossier/{ref}/bestand/{stored.id}").data == pdf
