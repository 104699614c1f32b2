"""The staff JSON API: authentication, roles, groups, and a clear JSON error for every bad input."""
from __future__ import annotations

import pytest

from handlers.models import User


def test_openapi_document_describes_the_endpoints(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/meldingen", "/api/v1/cases/{reference}", "/api/v1/work-items",
            "/api/v1/work-items/{id}/complete"} <= set(doc["paths"])
    assert "MeldingIn" in doc["components"]["schemas"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc", "Token xyz"])
def test_missing_or_wrong_token_answers_401_in_json(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/work-items", headers=headers)
    assert response.status_code == 401
    assert "token" in response.get_json()["message"].lower()


def test_deactivated_user_cannot_use_the_api(staff, app):
    staff.ood.user.active = False
    from engine.db import db
    db.session.commit()
    assert staff.ood.get("/api/v1/work-items").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"channel": "telefoon"}, "description"),
    ({"description": "x", "channel": "telefoon"}, "description"),
    ({"description": "Lamp kapot", "channel": "duif"}, "channel"),
    ({"description": "Lamp kapot", "channel": "web", "category": "bestaat-niet"}, "category"),
    ({"description": "Lamp kapot", "channel": "web", "reporter": {"email": "geen-adres"}}, "reporter"),
    ({"description": "Lamp kapot", "channel": "web", "location": {"lat": 91, "lon": 4}}, "location"),
    ({"description": "Lamp kapot", "channel": "web", "location": {"lat": 51.0}}, "location"),
    ({"description": "Lamp kapot", "channel": "web", "extra": 1}, "extra"),
])
def test_bad_melding_gets_422_with_the_field_named(staff, body, field):
    response = staff.meldkamer.post("/api/v1/meldingen", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


@pytest.mark.parametrize("data, content_type", [("not json", "application/json"), ("{}", "text/plain"),
                                                ("[1, 2]", "application/json")])
def test_body_that_is_not_a_json_object_gets_a_clear_error(staff, data, content_type):
    response = staff.meldkamer.client.post("/api/v1/meldingen", data=data, content_type=content_type,
                                           headers=staff.meldkamer.headers)
    assert response.status_code in (400, 422)
    assert response.get_json()["message"]


def test_handler_cannot_register_meldingen(staff):
    response = staff.ood.post("/api/v1/meldingen", json={"description": "Lamp kapot", "channel": "web"})
    assert response.status_code == 403


def test_handler_of_another_group_gets_403_on_case_and_item(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    assert staff.netheid.get(f"/api/v1/cases/{ref}").status_code == 403
    item = staff.ood.open_item(ref, "take_in_handling")
    response = staff.netheid.post(f"/api/v1/work-items/{item['id']}/complete", json={})
    assert response.status_code == 403
    assert staff.ood.case(ref)["status"] == "toegewezen"


def test_handler_cannot_do_the_meldkamer_triage(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    item = staff.meldkamer.open_item(ref, "triage")
    assert staff.ood.post(f"/api/v1/work-items/{item['id']}/complete", json={"decision": "dispatch"}
                          ).status_code == 403


def test_reporter_contact_data_is_hidden_from_the_reporting_role(staff, client, app):
    from engine.db import db
    analyst = User(username="rita", display_name="Rita", role="rapportage")
    db.session.add(analyst)
    token = analyst.issue_api_token()
    db.session.commit()
    ref = staff.meldkamer.file_melding()["reference"]
    seen = client.get(f"/api/v1/cases/{ref}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert seen["reporter"] is None
    assert staff.meldkamer.case(ref)["reporter"]["email"] == "melder@voorbeeld.example"


def test_queue_lists_open_items_of_a_group_with_keyset_pages(staff):
    refs = [staff.meldkamer.file_melding()["reference"] for _ in range(5)]
    first = staff.meldkamer.get("/api/v1/work-items?group=meldkamer&status=open&limit=2").get_json()
    assert [i["case"] for i in first["items"]] == refs[:2]
    second = staff.meldkamer.get(f"/api/v1/work-items?group=meldkamer&limit=2&after={first['next_after']}"
                                 ).get_json()
    assert [i["case"] for i in second["items"]] == refs[2:4]


@pytest.mark.parametrize("query", ["group=bestaat-niet", "status=weg"])
def test_bad_queue_query_gets_422(staff, query):
    response = staff.meldkamer.get(f"/api/v1/work-items?{query}")
    assert response.status_code == 422
    assert response.get_json()["message"]


def test_handler_cannot_read_another_groups_queue(staff):
    assert staff.ood.get("/api/v1/work-items?group=openbare-netheid").status_code == 403


def test_unknown_case_and_item_answer_404(staff):
    assert staff.meldkamer.get("/api/v1/cases/M2026-999999").status_code == 404
    assert staff.meldkamer.post("/api/v1/work-items/999999/complete", json={}).status_code == 404


def test_bad_form_data_gets_422_and_the_case_does_not_move(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    body = staff.meldkamer.complete(ref, "triage", {"decision": "weggooien"}, expect=422)
    assert "decision" in body["fields"]
    body = staff.meldkamer.complete(ref, "triage", {"decision": "dispatch", "group": "aannemer-verlichting"},
                                    expect=422)
    assert "group" in body["fields"]
    assert staff.meldkamer.case(ref)["status"] == "ontvangen"


def test_a_citizen_s_message_is_refused_to_staff_whatever_the_case_waits_for(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    response = staff.meldkamer.post(f"/api/v1/cases/{ref}/messages",
                                    json={"name": "feedback", "payload": {"satisfied": True}})
    assert response.status_code == 403
    assert "feedback link" in response.get_json()["message"]


def test_a_contractor_report_without_its_date_or_reason_is_refused_by_its_schema(app):
    """The portal validates with the same schema the process keeps (staff cannot send it at all). With the app: the
    handlers register the forms when it is made (without it, this test passed only after another test had made one)."""
    from engine.errors import InvalidInput
    from engine.workitems import validate_form

    with pytest.raises(InvalidInput) as planned:
        validate_form("message:contractor_report", {"result": "planned"})
    assert "planned_for" in planned.value.fields
    with pytest.raises(InvalidInput) as refused:
        validate_form("message:contractor_report", {"result": "refused"})
    assert "note" in refused.value.fields


def test_a_form_schema_is_built_once_and_each_validation_stands_on_its_own(app):
    """The schema of a form is shared by every validation (building it cost more than a load): what one
    submission sent or lacked never shows in the next one's result."""
    from engine import registry
    from engine.errors import InvalidInput
    from engine.workitems import validate_form

    assert registry.get_form("message:contractor_report") is registry.get_form("message:contractor_report")
    with pytest.raises(InvalidInput) as refused:
        validate_form("message:contractor_report", {"result": "refused"})
    assert "note" in refused.value.fields
    done = validate_form("message:contractor_report", {"result": "refused", "note": "Geen toegang tot de put"})
    assert done["note"] == "Geen toegang tot de put"
    with pytest.raises(InvalidInput) as again:
        validate_form("message:contractor_report", {"result": "refused"})
    assert "note" in again.value.fields


def test_outbox_is_listed_for_admins_only(staff):
    staff.meldkamer.file_melding()
    rows = staff.admin.get("/api/v1/outbox").get_json()
    assert rows[0]["template"] == "ontvangen" and rows[0]["status"] == "pending"
    assert staff.meldkamer.get("/api/v1/outbox").status_code == 403


def test_unknown_api_url_answers_json_404(staff):
    response = staff.meldkamer.get("/api/v1/bestaat-niet")
    assert response.status_code == 404 and response.get_json()["message"]
