"""Staff correct a case's location, category and description (handlers/case_corrections.py): on the case page
and through PATCH /api/v1/cases/<reference>. Every change is one event with who, the old and the new value; the
reporter's own text is kept; a new category re-runs routing and moves the handling group's open work.
"""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseEvent, WorkItem
from handlers.groups import group_by_key
from handlers.models import User

from .helpers import Browser, with_password

CENTRE = {"address": "Bruul 12, 2800 Mechelen", "lat": 51.0257, "lon": 4.4776}
GROTE_MARKT = {"address": "Grote Markt 1, 2800 Mechelen", "lat": 51.0279, "lon": 4.4806}
BRUSSELS = {"lat": 50.8467, "lon": 4.3525}
OOD, NETHEID = "onderhoud-openbaar-domein", "openbare-netheid"
TEXT = "Straatlamp brandt niet aan paal 12"


def patch(actor, reference: str, body):
    return actor.client.patch(f"/api/v1/cases/{reference}", json=body, headers=actor.headers)


def new_case(staff, category: str = "straatlamp-defect", dispatched: bool = False) -> str:
    reference = staff.meldkamer.file_melding(TEXT, category=category, location=dict(CENTRE))["reference"]
    if dispatched:
        staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    return reference


def corrections(reference: str) -> list[CaseEvent]:
    db.session.expire_all()
    case_id = db.session.scalar(select(Case.id).where(Case.reference == reference))
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.kind == "corrected").order_by(CaseEvent.id)))


def user_with_role(role: str, groups: tuple[str, ...] = ()) -> tuple[User, str]:
    user = User(username=f"{role}-x", display_name=role.title(), role=role, email=f"{role}@stad.example")
    for key in groups:
        user.groups.append(group_by_key(key))
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return user, token


def test_each_change_is_one_event_with_who_the_old_and_the_new_value(staff):
    ref = new_case(staff)
    response = patch(staff.meldkamer, ref, {"location": GROTE_MARKT, "category": "voetpad-losse-tegel",
                                            "description": "Straatlamp aan paal 12 is stuk en flikkert"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["address"], body["lat"], body["lon"]) == (GROTE_MARKT["address"], 51.0279, 4.4806)
    assert body["category"] == "voetpad-losse-tegel"
    assert body["description"] == "Straatlamp aan paal 12 is stuk en flikkert"
    events = corrections(ref)
    assert [e.data["field"] for e in events] == ["location", "description", "category"]
    assert {e.actor for e in events} == {"An"} and {e.user_id for e in events} == {staff.meldkamer.user.id}
    location, description, category = events
    assert location.data["old"]["address"] == CENTRE["address"] and location.data["new"]["lat"] == 51.0279
    assert "Bruul 12" in location.note and "Grote Markt 1" in location.note
    assert description.data == {"field": "description", "old": TEXT,
                                "new": "Straatlamp aan paal 12 is stuk en flikkert"}
    assert (category.data["old"], category.data["new"]) == ("straatlamp-defect", "voetpad-losse-tegel")
    # Staff see the events on the timeline; they are internal.
    notes = [e["note"] for e in staff.meldkamer.case(ref)["timeline"] if e["kind"] == "corrected"]
    assert notes == [e.note for e in events] and all(not e.public for e in events)


def test_an_unchanged_value_is_no_event(staff):
    ref = new_case(staff)
    response = patch(staff.meldkamer, ref, {"location": dict(CENTRE), "category": "straatlamp-defect",
                                            "description": TEXT})
    assert response.status_code == 200, response.get_json()
    assert corrections(ref) == []


def test_the_reporters_own_text_is_kept_and_shown_to_staff(app, staff):
    ref = new_case(staff)
    assert patch(staff.meldkamer, ref, {"description": "Eerste correctie van de tekst"}).status_code == 200
    assert patch(staff.meldkamer, ref, {"description": "Tweede correctie van de tekst"}).status_code == 200
    case = staff.meldkamer.case(ref)
    assert case["description"] == "Tweede correctie van de tekst" and case["original_description"] == TEXT
    page = Browser(app, "an", with_password(staff.meldkamer.user)).get(f"/werk/dossier/{ref}")
    text = html.unescape(page.get_data(as_text=True))
    assert "Oorspronkelijke tekst van de melder" in text and TEXT in text
    assert [e.data["old"] for e in corrections(ref)] == [TEXT, "Eerste correctie van de tekst"]


def test_a_new_category_moves_the_open_work_item_to_the_suggested_group_with_a_note(staff):
    ref = new_case(staff, dispatched=True)
    item = staff.ood.open_item(ref, "take_in_handling")
    assert item["group"] == OOD
    staff.ood.post(f"/api/v1/work-items/{item['id']}/complete", json={})  # taken: "handle" waits in OOD now
    handle = staff.ood.open_item(ref, "handle")
    response = patch(staff.ood, ref, {"category": "sluikstort"})
    assert response.status_code == 200, response.get_json()
    case = response.get_json()
    assert (case["group"], case["suggested_group"]) == (NETHEID, NETHEID)
    moved = [i for i in case["work_items"] if i["id"] == handle["id"]]
    assert moved and moved[0]["group"] == NETHEID and moved[0].get("assignee") is None
    assert handle.get("assignee") == "bart"  # it was on his name; in the new group nobody has it yet
    note = [e["note"] for e in case["timeline"] if e["kind"] == "moved"]
    assert len(note) == 1 and "Onderhoud openbaar domein" in note[0] and "Openbare netheid" in note[0]
    # The new group's handler now has it in their queue and may work on it; the old group no longer.
    assert any(i["id"] == handle["id"] for i in staff.netheid.get("/api/v1/work-items").get_json()["items"])
    assert staff.ood.get(f"/api/v1/cases/{ref}").status_code == 403


def test_at_triage_a_new_category_changes_the_suggestion_and_the_work_stays_at_the_meldkamer(staff):
    ref = new_case(staff)
    assert staff.meldkamer.case(ref)["suggested_group"] == OOD
    case = patch(staff.meldkamer, ref, {"category": "zwerfvuil"}).get_json()
    assert case["suggested_group"] == NETHEID and case.get("group") is None
    assert [i["group"] for i in case["work_items"]] == ["meldkamer"]
    assert "moved" not in [e["kind"] for e in case["timeline"]]


@pytest.mark.parametrize(("role", "groups", "status"), [
    ("admin", (), 200), ("meldkamer", (), 200), ("behandelaar", (OOD,), 200),
    ("groepsverantwoordelijke", (OOD,), 200), ("behandelaar", (NETHEID,), 403),
    ("groepsverantwoordelijke", (NETHEID,), 403), ("onthaal", (), 403), ("rapportage", (), 403)])
def test_who_may_correct(staff, client, role, groups, status):
    ref = new_case(staff, dispatched=True)  # handled by OOD
    _user, token = user_with_role(role, groups)
    response = client.patch(f"/api/v1/cases/{ref}", json={"description": "Door deze rol gecorrigeerd"},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_json()
    assert (len(corrections(ref)) == 1) == (status == 200)


def test_unknown_case_and_bad_input(staff):
    ref = new_case(staff)
    assert patch(staff.meldkamer, "M2026-999999", {"description": "Een tekst van genoeg tekens"}).status_code == 404
    cases = [({"location": BRUSSELS}, ("location", "lat"), "buiten"),
             ({"location": {"lat": 51.02}}, ("location", "lon"), "allebei"),
             ({"location": {"lat": "NaN", "lon": 4.47}}, ("location", "lat"), "getal"),
             ({"location": {"lat": 123, "lon": 4.47}}, ("location", "lat"), "tussen"),
             ({"location": {"address": "x" * 301}}, ("location", "address"), "te lang"),
             ({"location": {}}, ("location", "address"), "adres"),
             ({"category": "bestaat-niet"}, ("category",), "Onbekende categorie"),
             ({"description": "kort"}, ("description",), "minstens"),
             ({"description": "x" * 5001}, ("description",), "te lang"),
             ({"colour": "red"}, ("colour",), ""),
             ({}, ("_schema",), "")]
    for body, path, words in cases:
        response = patch(staff.meldkamer, ref, body)
        assert response.status_code == 422, (body, response.get_json())
        found = response.get_json()["fields"]
        for name in path:
            found = found[name]
        assert words in " ".join(found), (body, found)
    bad_json = staff.meldkamer.client.patch(f"/api/v1/cases/{ref}", data="{", headers={
        **staff.meldkamer.headers, "Content-Type": "application/json"})
    assert bad_json.status_code == 400
    case = staff.meldkamer.case(ref)
    assert (case["address"], case["lat"], case["description"]) == (CENTRE["address"], 51.0257, TEXT)
    assert corrections(ref) == []


def test_the_page_form_refuses_a_point_outside_the_city_in_dutch_and_keeps_what_was_typed(app, staff):
    ref = new_case(staff)
    desk = Browser(app, "an", with_password(staff.meldkamer.user))
    url = f"/werk/dossier/{ref}"
    form = {"address": "Ergens in Brussel", "lat": "50,8467", "lon": "4,3525", "category": "",
            "description": TEXT}
    response = desk.post(f"{url}/corrigeren", form, page=url)
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Deze plaats ligt buiten Mechelen" in text
    assert 'value="Ergens in Brussel"' in text and 'value="50,8467"' in text
    assert corrections(ref) == []
    response = desk.post(f"{url}/corrigeren", {**form, "address": "Grote Markt 1, 2800 Mechelen",
                                               "lat": "51.0279", "lon": "4.4806"}, page=url)
    assert response.status_code == 302
    page = html.unescape(desk.get(url).get_data(as_text=True))
    assert "Correctie opgeslagen." in page and "Locatie gecorrigeerd: Bruul 12, 2800 Mechelen" in page
    assert "Grote Markt 1, 2800 Mechelen (51.02790, 4.48060)" in page


def test_the_form_is_only_there_for_who_may_correct(app, staff):
    ref = new_case(staff, dispatched=True)
    netheid = Browser(app, "dina", with_password(staff.netheid.user))
    assert netheid.get(f"/werk/dossier/{ref}").status_code == 403
    user, _token = user_with_role("onthaal")
    onthaal = Browser(app, user.username, with_password(user))
    page = onthaal.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "Locatie, categorie of omschrijving corrigeren" not in page
    refused = onthaal.post(f"/werk/dossier/{ref}/corrigeren", {"description": "Een andere tekst hier"},
                           page=f"/werk/dossier/{ref}")
    assert refused.status_code == 403
    bart = Browser(app, "bart", with_password(staff.ood.user))
    assert "Locatie, categorie of omschrijving corrigeren" in bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)


def test_work_items_of_other_groups_stay_where_they_are(staff):
    """Only the handling group's open work moves: a case with no open work in its group keeps its group."""
    ref = new_case(staff, dispatched=True)
    item = staff.ood.open_item(ref, "take_in_handling")
    staff.ood.post(f"/api/v1/work-items/{item['id']}/complete", json={})
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp werd hersteld."})
    case = patch(staff.meldkamer, ref, {"category": "sluikstort"}).get_json()
    assert case["group"] == OOD and case["suggested_group"] == NETHEID
    assert db.session.scalar(select(WorkItem.id).where(WorkItem.status == "open",
                                                       WorkItem.case.has(Case.reference == ref))) is None


def test_an_address_alone_gets_its_point_from_the_address_register_or_counts_as_unchecked(staff):
    ref = new_case(staff)
    case = patch(staff.meldkamer, ref, {"location": {"address": "Grote Markt 1, 2800 Mechelen"}}).get_json()
    assert (case["address"], case["lat"], case["lon"]) == ("Grote Markt 1, 2800 Mechelen", 51.028048, 4.479639)
    assert db.session.scalar(select(Case.location_checked).where(Case.reference == ref)) is True
    case = patch(staff.meldkamer, ref, {"location": {"address": "Nergensstraat 5, 2800 Mechelen"}}).get_json()
    assert (case["address"], case.get("lat"), case.get("lon")) == ("Nergensstraat 5, 2800 Mechelen", None, None)
    db.session.expire_all()
    assert db.session.scalar(select(Case.location_checked).where(Case.reference == ref)) is False
    assert [e.data["new"] for e in corrections(ref)] == [
        {"address": "Grote Markt 1, 2800 Mechelen", "lat": 51.028048, "lon": 4.479639},
        {"address": "Nergensstraat 5, 2800 Mechelen", "lat": None, "lon": None}]


def test_a_case_without_a_point_shows_no_map_but_says_so(app, staff):
    ref = staff.meldkamer.file_melding(TEXT, location={"address": "Ergens langs de Dijle"})["reference"]
    page = Browser(app, "an", with_password(staff.meldkamer.user)).get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "Geen locatie op de kaart" in page
    assert 'id="case-map"' not in page and "leaflet.js" not in page
    assert "Locatie, categorie of omschrijving corrigeren" in page  # a point can be added through the form


def test_the_case_page_lists_the_neighbours_and_marks_a_duplicate_only_at_triage(app, staff):
    first = new_case(staff)
    litter = staff.meldkamer.file_melding("Sluikstort naast de lamp", category="sluikstort",
                                          location=dict(CENTRE))["reference"]
    second = staff.meldkamer.file_melding("Lamp paal 12 doet het niet", location={**CENTRE, "lat": 51.0258})
    second = second["reference"]
    desk = Browser(app, "an", with_password(staff.meldkamer.user))
    page = html.unescape(desk.get(f"/werk/dossier/{second}").get_data(as_text=True))
    listed = page.split('id="nearby-list"')[1].split("</ol>")[0]
    assert first in listed and litter not in listed  # the same category only
    assert "Markeer als dubbel van deze" in listed and "11 m" in listed
    user, _token = user_with_role("rapportage")
    report = Browser(app, user.username, with_password(user)).get(f"/werk/dossier/{second}").get_data(as_text=True)
    assert 'id="case-map"' in report and 'id="nearby-list"' not in report
    assert "Markeer als dubbel van deze" not in report

    triage = staff.meldkamer.open_item(second, "triage")
    response = desk.post(f"/werk/dossier/{second}/taak/{triage['id']}", {
        "decision": "duplicate", "duplicate_of": first,
        "form_token": re.search(r'name="form_token" value="([^"]+)"', listed).group(1)},
        page=f"/werk/dossier/{second}")
    assert response.status_code == 302
    assert staff.meldkamer.case(second)["status"] == "duplicaat"
    page = html.unescape(desk.get(f"/werk/dossier/{second}").get_data(as_text=True))
    assert "Dubbel van" in page and "Markeer als dubbel van deze" not in page
    # The original is dispatched: its page lists no button (no triage), and its handler sees their own group only.
    staff.meldkamer.complete(first, "triage", {"decision": "dispatch"})
    third = staff.meldkamer.file_melding("Weer een lamp stuk hier", location=dict(CENTRE))["reference"]
    staff.meldkamer.complete(third, "triage", {"decision": "dispatch", "group": NETHEID})
    bart = Browser(app, "bart", with_password(staff.ood.user))
    page = html.unescape(bart.get(f"/werk/dossier/{first}").get_data(as_text=True))
    assert "Markeer als dubbel van deze" not in page
    assert third not in page  # another group's case is not among a handler's neighbours
    assert third in html.unescape(desk.get(f"/werk/dossier/{first}").get_data(as_text=True))


def test_the_original_text_is_in_the_reporters_export_and_anonymised_like_the_description(app, staff):
    from datetime import timedelta

    from freezegun import freeze_time

    from handlers.privacy import anonymise_due
    from handlers.privacy_export import export_reporter
    from notifications.models import OutboxMessage

    els = {"name": "Els Peeters", "email": "els.peeters@voorbeeld.example"}
    said = "Lamp stuk aan Bruul 12. Bel mij op 0470 12 34 56 of mail els.peeters@voorbeeld.example, Els Peeters"
    ref = staff.meldkamer.file_melding(said, reporter=els)["reference"]
    assert patch(staff.meldkamer, ref, {"description": "Lamp stuk aan Bruul 12 (paal 12)"}).status_code == 200
    db.session.expire_all()
    assert export_reporter(els["email"])["cases"][0]["original_description"] == said
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp werd vervangen."})
    db.session.expire_all()
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
        message.status = "sent"
    db.session.commit()
    closed_at = db.session.scalar(select(Case.closed_at).where(Case.reference == ref))
    with freeze_time(closed_at + timedelta(days=13 * 31)):
        assert anonymise_due().cases == 1
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    event = corrections(ref)[0]
    for text in (case.original_description, event.data["old"], event.note):
        assert "Lamp stuk aan Bruul 12." in text
        for secret in ("0470", "els.peeters@", "Els Peeters"):
            assert secret not in text, (secret, text)


def test_the_triage_forms_of_one_page_are_one_submission(app, staff):
    """The triage form and the "mark as duplicate" button beside each neighbour do the same task: the first one
    sent is the decision, another sent from the same page afterwards changes nothing and says so."""
    first = new_case(staff)
    other = staff.meldkamer.file_melding("Lamp 13 ook stuk", location={**CENTRE, "lat": 51.02575})["reference"]
    second = staff.meldkamer.file_melding("Lamp paal 12 doet het niet", location={**CENTRE, "lat": 51.0258})
    second = second["reference"]
    desk = Browser(app, "an", with_password(staff.meldkamer.user))
    page = html.unescape(desk.get(f"/werk/dossier/{second}").get_data(as_text=True))
    triage = staff.meldkamer.open_item(second, "triage")
    forms = re.findall(rf'<form[^>]*action="[^"]*/taak/{triage["id"]}"[^>]*>.*?</form>', page, re.S)
    tokens = {re.search(r'name="form_token" value="([^"]+)"', f).group(1) for f in forms}
    assert len(forms) == 3 and len(tokens) == 1  # the triage form and two neighbours' buttons, one token
    (token,) = tokens
    action, page = f"/werk/dossier/{second}/taak/{triage['id']}", f"/werk/dossier/{second}"
    sent = desk.post(action, {"decision": "duplicate", "duplicate_of": first, "form_token": token}, page=page)
    assert sent.status_code == 302
    again = desk.post(action, {"decision": "duplicate", "duplicate_of": other, "form_token": token}, page=page)
    assert again.status_code == 302
    shown = html.unescape(desk.get(f"/werk/dossier/{second}").get_data(as_text=True))
    assert "al verwerkt" in shown
    case = staff.meldkamer.case(second)
    assert case["status"] == "duplicaat"
    db.session.expire_all()
    original = db.session.scalar(select(Case.duplicate_of_id).where(Case.reference == second))
    assert original == db.session.scalar(select(Case.id).where(Case.reference == first))
