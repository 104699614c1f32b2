"""POST and GET /api/v1/contacts (issue #16): a telephony system or counter kiosk registers contacts, the first line
looks a citizen up; roles, the caller's data by role, Idempotency-Key, and Dutch field errors."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from handlers.contact_models import Contact
from handlers.groups import group_by_key
from handlers.models import User

from .helpers import Actor
from .test_post_support import mails


@pytest.fixture
def onthaal(app, client) -> Actor:
    user = User(username="eva", display_name="Eva Wouters", role="onthaal", email="eva@stad.example")
    user.groups.append(group_by_key("onthaal"))
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


@pytest.fixture
def rapportage(app, client) -> Actor:
    user = User(username="rita", display_name="Rita", role="rapportage", email="rita@stad.example")
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


BODY = {"channel": "telefoon", "question": "Wanneer is het containerpark open?", "topic": "afval",
        "outcome": "answered", "answer": "Dinsdag tot zaterdag.",
        "reporter": {"name": "Els Peeters", "email": "els@voorbeeld.example", "phone": "015 12 34 56"}}


def post(actor: Actor, expect: int = 201, headers: dict | None = None, **changes) -> dict:
    body = dict(BODY, **changes)
    response = actor.client.post("/api/v1/contacts", json=body, headers={**actor.headers, **(headers or {})})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_question_answered_at_once_is_201_with_the_contact_and_no_case(onthaal):
    answer = post(onthaal)
    contact = answer["contact"]
    assert answer["case"] is None
    assert contact["outcome"] == "answered" and contact["outcome_label"] == "Meteen beantwoord"
    assert contact["topic"] == {"key": "afval", "name": "Afval en containerpark", "kind": "general"}
    assert contact["taken_by"] == "Eva Wouters" and contact["reporter"]["email"] == "els@voorbeeld.example"


def test_a_melding_by_phone_answers_with_its_case_and_mails_the_receipt(onthaal):
    answer = post(onthaal, outcome="melding", answer=None, topic="straatlamp-defect",
                  question="De straatlamp voor mijn deur brandt niet",
                  melding={"location": {"address": "Bruul 12, 2800 Mechelen"}})
    reference = answer["case"]["reference"]
    assert reference.startswith("M") and "/volg/" in answer["case"]["tracking_url"]
    assert answer["contact"]["case"]["kind"] == "melding"
    case = onthaal.case(reference)
    assert case["channel"] == "telefoon" and case["category"] == "straatlamp-defect"
    assert [m.recipient for m in mails("ontvangen", reference)] == ["els@voorbeeld.example"]


def test_a_handover_answers_with_the_new_case_in_the_groups_queue(onthaal, staff):
    answer = post(onthaal, outcome="handover", answer=None, topic="parkeren", group="onderhoud-openbaar-domein",
                  note="Graag terugbellen voor 17 uur.")
    reference = answer["case"]["reference"]
    assert reference.startswith("C") and answer["contact"]["group"]["key"] == "onderhoud-openbaar-domein"
    queue = staff.ood.get("/api/v1/work-items?group=onderhoud-openbaar-domein").get_json()["items"]
    assert [(i["case"], i["title"]) for i in queue] == [(reference, "Burger antwoorden")]
    mine = staff.ood.get("/api/v1/contacts").get_json()["items"]
    assert [c["case"]["reference"] for c in mine] == [reference]  # the group sees what was handed to it
    assert mine[0]["taken_by"] == "Eva Wouters" and mine[0]["note"] == "Graag terugbellen voor 17 uur."


def test_a_handler_group_does_not_see_other_contacts(onthaal, staff):
    post(onthaal)
    post(onthaal, outcome="handover", answer=None, group="openbare-netheid")
    assert staff.ood.get("/api/v1/contacts").get_json()["items"] == []
    assert len(staff.netheid.get("/api/v1/contacts").get_json()["items"]) == 1
    assert len(onthaal.get("/api/v1/contacts").get_json()["items"]) == 2


def test_information_for_an_existing_case(onthaal, staff):
    melding = staff.meldkamer.file_melding()
    answer = post(onthaal, outcome="existing_case", answer=None, case=melding["reference"],
                  note="Melder belt: het is nu volledig donker in de straat.")
    assert answer["case"]["reference"] == melding["reference"]
    notes = [e["note"] for e in onthaal.case(melding["reference"])["timeline"] if e["kind"] == "contact"]
    assert notes == ["Melder belt: het is nu volledig donker in de straat."]


def test_a_citizens_contacts_by_e_mail_or_id_with_the_rows_to_link(onthaal, staff):
    first = post(onthaal)["contact"]
    post(onthaal, question="Nog een vraag over parkeren", topic="parkeren",
         reporter={"name": "Els Peeters", "email": "els.peeters@werk.example"})
    post(onthaal, reporter={"name": "Jan Smets", "email": "jan@voorbeeld.example"})
    page = onthaal.get("/api/v1/contacts?reporter=ELS@voorbeeld.example").get_json()
    assert [c["id"] for c in page["items"]] == [first["id"]]
    assert [r["email"] for r in page["link_candidates"]] == ["els.peeters@werk.example"]
    by_id = onthaal.get(f"/api/v1/contacts?reporter={first['reporter']['id']}").get_json()
    assert [c["id"] for c in by_id["items"]] == [first["id"]]
    assert onthaal.get("/api/v1/contacts?reporter=niemand@voorbeeld.example").get_json()["items"] == []


def test_the_reporting_role_gets_no_contacts_and_handlers_may_not_register(onthaal, staff, rapportage):
    post(onthaal)
    assert rapportage.get("/api/v1/contacts").status_code == 403
    assert post(staff.ood, expect=403)["error"] == "Forbidden"
    assert post(rapportage, expect=403)["error"] == "Forbidden"
    assert post(staff.meldkamer)["contact"]["taken_by"] == staff.meldkamer.user.display_name


def test_the_same_idempotency_key_registers_the_contact_once(onthaal):
    headers = {"Idempotency-Key": "telefonie-oproep-4711"}
    first = onthaal.client.post("/api/v1/contacts", json=BODY, headers={**onthaal.headers, **headers})
    again = onthaal.client.post("/api/v1/contacts", json=BODY, headers={**onthaal.headers, **headers})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json() == again.get_json() and again.headers.get("Idempotent-Replayed") == "true"
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"question": ""}, "question", "Vul de vraag in, in een paar woorden."),
    ({"topic": "onbekend"}, "topic", "Onbekend onderwerp 'onbekend'. Kies een categorie of een algemeen onderwerp."),
    ({"outcome": "handover", "answer": None}, "group", "Kies de dienst waaraan u het contact overdraagt."),
    ({"outcome": "existing_case", "answer": None, "case": "P2026-000001"}, "case",
     "Er is geen dossier met referentie 'P2026-000001'."),
    ({"reporter": {"id": 987654}}, "reporter", {"id": ["Deze burger werd niet gevonden. Zoek opnieuw of vul de "
                                                       "gegevens in."]}),
])
def test_bad_input_is_a_422_naming_the_field_in_dutch(onthaal, changes, field, message):
    answer = post(onthaal, expect=422, **changes)
    assert answer["fields"][field] == (message if isinstance(message, dict) else [message])
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_the_contacts_operations_are_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    assert set(document["paths"]["/api/v1/contacts"]) == {"get", "post"}
    assert {"ContactIn", "ContactCreated", "ContactPage"} <= set(document["components"]["schemas"])


def test_a_melding_by_phone_reaches_the_citizen_as_a_receipt_mail_over_smtp(app, onthaal, smtp_server):
    from notifications.sender import send_due

    app.config.update(smtp_server.config())
    answer = post(onthaal, outcome="melding", answer=None, topic="sluikstort", channel="balie",
                  question="Matras en vuilniszakken gedumpt aan de Dijle",
                  melding={"location": {"address": "Haverwerf 1, 2800 Mechelen"}})
    reference = answer["case"]["reference"]
    send_due()
    received = [m for m in smtp_server.messages if m.rcpt_tos == ["els@voorbeeld.example"]]
    assert len(received) == 1
    assert reference in str(received[0].message["Subject"]) or reference in received[0].part("text/plain")
    assert answer["case"]["tracking_url"] in received[0].part("text/plain")
