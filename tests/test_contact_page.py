"""The contact page (/werk/contact) through real requests: without JavaScript the search is a GET of the page, the
form registers each outcome, and a form with mistakes comes back with every typed value and a Dutch message tied
to its field. The browser (search as you type, keyboard, draft) is tests/test_browser_contact.py."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseEvent, WorkItem
from handlers.contact_models import Contact
from handlers.models import User

from .helpers import Browser, with_password

OOD = "onderhoud-openbaar-domein"


@pytest.fixture
def desk(app, staff):
    return Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))


def _onthaal(app) -> Browser:
    user = User(username="olga", display_name="Olga Onthaal", role="onthaal", email="olga@stad.example")
    db.session.add(user)
    db.session.commit()
    return Browser(app, "olga", with_password(user))


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _lamp(staff) -> str:
    response = staff.meldkamer.post("/api/v1/meldingen", json={
        "description": "Straatlamp aan paal 12 brandt niet", "category": "straatlamp-defect", "channel": "web",
        "location": {"address": "Bruul 12, 2800 Mechelen"},
        "reporter": {"name": "Els Peeters", "email": "els@voorbeeld.example", "phone": "0471 12 34 56"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reference"]


def test_search_without_javascript_shows_the_caller_with_their_cases_and_choosing_fills_the_form(app, staff):
    reference = _lamp(staff)
    olga = _onthaal(app)
    page = olga.get("/werk/contact?q=0471123456")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Els Peeters" in html and reference in html and "Bruul 12, 2800 Mechelen" in html
    reporter_id = db.session.scalar(select(Case.reporter_id).where(Case.reference == reference))
    assert f'href="/werk/contact?q=0471123456&amp;melder={reporter_id}"' in html

    chosen = olga.get(f"/werk/contact?q=0471123456&melder={reporter_id}").get_data(as_text=True)
    assert f'name="reporter_id" id="reporter_id" value="{reporter_id}"' in chosen
    assert re.search(r'<strong id="chosen-name">Els Peeters · els@voorbeeld.example · 0471 12 34 56</strong>', chosen)

    to_case = olga.get(f"/werk/contact?q=0471123456&dossier={reference}").get_data(as_text=True)
    assert f'id="case" name="case" value="{reference}"' in to_case
    assert re.search(r'value="existing_case" id="outcome-existing_case"\s+checked', to_case)

    assert "Niemand en geen dossier gevonden" in _text(olga.get("/werk/contact?q=onbekende+beller"))


def test_search_json_is_for_the_first_line_only(app, staff, desk):
    reference = _lamp(staff)
    data = desk.get("/werk/contact/zoeken?q=peeters").get_json()
    assert [p["name"] for p in data["people"]] == ["Els Peeters"]
    assert data["people"][0]["cases"][0]["reference"] == reference
    assert data["people"][0]["cases"][0]["url"] == f"/werk/dossier/{reference}"
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert bart.get("/werk/contact/zoeken?q=peeters").status_code == 403
    assert bart.get("/werk/contact").status_code == 403
    assert app.test_client().get("/werk/contact/zoeken?q=peeters").status_code == 302  # to the login


def test_a_question_answered_at_once_is_registered_and_listed(app, staff, desk):
    response = desk.post("/werk/contact", {"channel": "balie", "name": "Jan Claes", "phone": "015 20 30 40",
                                           "question": "Openingsuren containerpark", "topic": "afval",
                                           "outcome": "answered", "answer": "Van dinsdag tot zaterdag, 9 tot 17 uur."})
    assert response.status_code == 302 and response.headers["Location"].endswith("/werk/contact")
    page = desk.get("/werk/contact")
    text = _text(page)
    assert "Contact geregistreerd: meteen beantwoord." in text
    assert 'data-saved="1"' in page.get_data(as_text=True)  # the browser drops its draft once
    assert 'data-saved="1"' not in desk.get("/werk/contact").get_data(as_text=True)
    contact = db.session.scalar(select(Contact))
    assert (contact.channel, contact.outcome, contact.answer, contact.reporter.name, contact.case_id) == (
        "balie", "answered", "Van dinsdag tot zaterdag, 9 tot 17 uur.", "Jan Claes", None)
    assert "Openingsuren containerpark" in _text(desk.get("/werk/contact"))  # under "Laatst door u geregistreerd"


def test_mistakes_come_back_in_dutch_tied_to_their_fields_with_everything_typed(app, staff, desk):
    response = desk.post("/werk/contact", {"channel": "telefoon", "name": "Els Peeters", "email": "els@voorbeeld",
                                           "question": "", "topic": "bestaat-niet", "outcome": "handover",
                                           "handover_note": "Belt terug na 14 uur", "deadline_days": "999"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, message in (("question", "Vul de vraag in, in een paar woorden."),
                           ("topic", "Onbekend onderwerp 'bestaat-niet'."),
                           ("group", "Kies de dienst waaraan u het contact overdraagt."),
                           ("email", "Dit e-mailadres klopt niet."),
                           ("deadline_days", "Geef de antwoordtermijn als een aantal werkdagen van 1 tot 60.")):
        assert re.search(rf'<p class="errors" id="err-{field}">[^<]*{re.escape(message)}', unescape(html)), field
        assert re.search(rf'id="{field}"[^>]*aria-describedby="err-{field}[ "][^>]*aria-invalid="true"', html), field
    assert 'value="Els Peeters"' in html and 'value="els@voorbeeld"' in html
    assert ">Belt terug na 14 uur</textarea>" in html and 'value="999"' in html
    assert re.search(r'value="handover" id="outcome-handover"\s+checked', html)
    assert 'data-from-server="1"' in html  # the page keeps this as the draft, not an older one
    assert db.session.scalar(select(Contact)) is None


def test_a_handover_lands_in_the_groups_queue_with_the_note_and_who_took_the_call(app, staff, desk):
    response = desk.post("/werk/contact", {"channel": "telefoon", "name": "Els Peeters",
                                           "email": "els@voorbeeld.example", "question": "Boom hangt over de weg",
                                           "topic": "boom-gevaarlijk", "outcome": "handover", "group": OOD,
                                           "handover_note": "Mevrouw is ongerust, graag vandaag terugbellen."})
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact))
    assert f"Contact geregistreerd en overgedragen aan Onderhoud openbaar domein ({contact.case.reference})." in \
        _text(desk.get("/werk/contact"))
    item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == contact.case_id, WorkItem.status == "open"))
    assert item.group.key == OOD
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    queue = _text(bart.get(f"/werk/wachtrij/{OOD}"))
    assert contact.case.reference in queue
    case_page = _text(bart.get(f"/werk/dossier/{contact.case.reference}"))
    assert "Mevrouw is ongerust, graag vandaag terugbellen." in case_page and "An" in case_page


def test_information_added_to_an_existing_case_goes_on_its_timeline(app, staff, desk):
    reference = _lamp(staff)
    reporter_id = db.session.scalar(select(Case.reporter_id).where(Case.reference == reference))
    response = desk.post("/werk/contact", {"channel": "telefoon", "reporter_id": str(reporter_id),
                                           "question": "Lamp brandt nog altijd niet", "topic": "straatlamp-defect",
                                           "outcome": "existing_case", "case": reference.lower(),
                                           "case_note": "Nu ook de lamp aan paal 13."})
    assert response.status_code == 302
    assert f"toegevoegd aan dossier {reference}" in _text(desk.get("/werk/contact"))
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    notes = db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id,
                                                            CaseEvent.kind == "contact")).all()
    assert notes == ["Nu ook de lamp aan paal 13."]
    assert db.session.scalar(select(Contact)).reporter_id == reporter_id


def test_the_same_form_sent_twice_registers_one_contact(app, staff, desk):
    page = desk.get("/werk/contact").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"channel": "telefoon", "anonymous": "1", "question": "Waar parkeer ik met een bewonerskaart?",
            "topic": "parkeren", "outcome": "answered", "answer": "In zone blauw.", "form_token": token,
            "csrf_token": csrf}
    for _ in range(2):
        response = desk._call(desk.client.post, "/werk/contact", data=data)
        assert response.status_code == 302
    assert "al geregistreerd" in _text(desk.get("/werk/contact"))
    assert len(db.session.scalars(select(Contact)).all()) == 1


def test_a_citizen_found_twice_is_offered_for_linking_and_never_merged_silently(app, staff, desk):
    first = _lamp(staff)
    response = staff.meldkamer.post("/api/v1/meldingen", json={
        "description": "Sluikstort naast de glasbol aan de Veemarkt", "category": "sluikstort", "channel": "telefoon",
        "reporter": {"name": "Els Peeters", "email": "els.peeters@werk.example"}})
    second = response.get_json()["reference"]
    ids = {ref: db.session.scalar(select(Case.reporter_id).where(Case.reference == ref)) for ref in (first, second)}
    assert ids[first] != ids[second]  # two reporter rows, as the intake made them

    data = desk.get("/werk/contact/zoeken?q=els+peeters").get_json()
    assert sorted(p["email"] for p in data["people"]) == ["els.peeters@werk.example", "els@voorbeeld.example"]
    offered = {p["id"]: [c["id"] for c in p["candidates"]] for p in data["people"]}
    assert offered == {ids[first]: [ids[second]], ids[second]: [ids[first]]}

    html = desk.get("/werk/contact?q=els+peeters").get_data(as_text=True)
    assert "Mogelijk dezelfde burger: Els Peeters · els.peeters@werk.example" in html
    response = desk.post("/werk/contact/koppelen", {"reporter_id": str(ids[first]), "other_id": str(ids[second]),
                                                    "q": "els peeters"})
    assert response.status_code == 302 and f"melder={ids[first]}" in response.headers["Location"]
    page = _text(desk.get(response.headers["Location"]))
    assert "zijn gekoppeld als dezelfde burger; er werd niets samengevoegd." in page

    data = desk.get("/werk/contact/zoeken?q=els+peeters").get_json()
    assert len(data["people"]) == 1  # one citizen, one history
    person = data["people"][0]
    assert sorted(c["reference"] for c in person["cases"]) == sorted([first, second])
    assert [r["label"] for r in person["linked"]] and person["candidates"] == []
    # nothing merged: both rows and their cases stay as they were
    assert {ref: db.session.scalar(select(Case.reporter_id).where(Case.reference == ref)) for ref in ids} == ids

    refused = desk.post("/werk/contact/koppelen", {"reporter_id": str(ids[first]), "other_id": str(ids[first])})
    assert refused.status_code == 302
    assert "konden niet gekoppeld worden" in _text(desk.get(refused.headers["Location"]))
