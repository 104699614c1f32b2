"""The staff pages as the meldkamer and handlers use them: login, queues, case page, take over, handover."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from engine.clock import utcnow

from .helpers import Browser, with_password


@pytest.fixture
def desk(app, staff):
    return Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))


@pytest.fixture
def bart(app, staff):
    return Browser(app, staff.ood.user.username, with_password(staff.ood.user))


@pytest.fixture
def chris(app, staff):
    return Browser(app, staff.ood_lead.user.username, with_password(staff.ood_lead.user))


def item_id(browser, reference: str, task: str) -> int:
    html = browser.get(f"/werk/dossier/{reference}").get_data(as_text=True)
    match = re.search(rf'/werk/dossier/{reference}/taak/(\d+)"[^>]*data-task="{task}"', html)
    assert match, f"no form for {task}"
    return int(match.group(1))


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, staff, client):
    with_password(staff.meldkamer.user)
    page = client.get("/werk/aanmelden")
    response = client.post("/werk/aanmelden", data={"username": staff.meldkamer.user.username, "password": "fout",
                                                    "csrf_token": Browser.token(page)})
    assert response.status_code == 401
    assert "Onbekende gebruiker of fout wachtwoord." in response.get_data(as_text=True)
    assert client.get("/werk/meldkamer").status_code == 302


def test_login_form_without_csrf_token_is_refused(app, staff, client):
    with_password(staff.meldkamer.user)
    response = client.post("/werk/aanmelden", data={"username": staff.meldkamer.user.username,
                                                    "password": "correct-horse-battery"})
    assert response.status_code in (400, 200, 401)
    assert client.get("/werk/meldkamer").status_code == 302


def test_session_expires_after_the_idle_timeout(app, staff):
    with freeze_time(utcnow()) as clock:
        desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
        assert desk.get("/werk/meldkamer").status_code == 200
        clock.tick(timedelta(minutes=app.config["MELDPUNT_SESSION_MINUTES"] + 1))
        assert desk.get("/werk/meldkamer").status_code == 302


def test_meldkamer_sees_new_meldingen_first_with_the_suggestion_and_dispatches_in_one_click(staff, desk, bart):
    old = staff.meldkamer.file_melding("Oude melding")["reference"]
    new = staff.meldkamer.file_melding("Nieuwe melding", category="sluikstort")["reference"]
    html = desk.get("/werk/meldkamer").get_data(as_text=True)
    assert html.index(new) < html.index(old)
    assert "Openbare netheid" in html and "Standaardgroep van categorie" in html
    response = desk.post(f"/werk/dossier/{old}/taak/{item_id(desk, old, 'triage')}",
                         {"decision": "dispatch", "group": "onderhoud-openbaar-domein"}, page="/werk/meldkamer")
    assert response.status_code == 302
    queue = bart.get("/werk/wachtrij/onderhoud-openbaar-domein").get_data(as_text=True)
    assert old in queue and new not in queue


def test_triage_form_error_keeps_what_was_typed(staff, desk):
    ref = staff.meldkamer.file_melding()["reference"]
    response = desk.post(f"/werk/dossier/{ref}/taak/{item_id(desk, ref, 'triage')}",
                         {"decision": "duplicate", "duplicate_of": "M1999-000001", "note": "mijn notitie"},
                         page=f"/werk/dossier/{ref}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Er is geen dossier met referentie M1999-000001" in html and "mijn notitie" in html


def test_group_queue_shows_deadline_overdue_in_red_and_who_handles_it(app, staff, bart):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
        html = bart.get("/werk/wachtrij/onderhoud-openbaar-domein").get_data(as_text=True)
        assert ref in html and "overdue" not in html
        bart.post(f"/werk/taak/{item_id(bart, ref, 'take_in_handling')}/opnemen", page=f"/werk/dossier/{ref}")
        clock.tick(timedelta(days=10))
        bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))  # the session timed out
        html = bart.get("/werk/wachtrij/onderhoud-openbaar-domein").get_data(as_text=True)
    row = re.search(rf'<tr data-reference="{ref}">.*?</tr>', html, re.S).group(0)
    assert 'class="overdue"' in row and "Bart" in row


def test_take_over_from_an_ill_colleague_shows_on_the_timeline(staff, bart, chris):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    item = item_id(bart, ref, "take_in_handling")
    bart.post(f"/werk/taak/{item}/opnemen", page=f"/werk/dossier/{ref}")
    chris.post(f"/werk/taak/{item}/overnemen", page=f"/werk/dossier/{ref}")
    case = staff.ood.case(ref)
    assert "taken_over" in [e["kind"] for e in case["timeline"]]
    html = chris.get("/werk/wachtrij/onderhoud-openbaar-domein").get_data(as_text=True)
    row = re.search(rf'<tr data-reference="{ref}">.*?</tr>', html, re.S).group(0)
    assert "Chris" in row


def test_warm_handover_moves_the_case_with_a_note(staff, bart):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    refused = bart.post(f"/werk/dossier/{ref}/overdragen", {"group": "openbare-netheid", "note": ""},
                        page=f"/werk/dossier/{ref}")
    assert refused.status_code == 422
    assert "Schrijf een notitie voor de nieuwe groep." in refused.get_data(as_text=True)
    assert "write a note" not in refused.get_data(as_text=True)  # the handler's English stays in the API
    bart.post(f"/werk/dossier/{ref}/overdragen", {"group": "openbare-netheid", "note": "Sluikstort, geen lamp"},
              page=f"/werk/dossier/{ref}")
    case = staff.netheid.case(ref)
    assert case["group"] == "openbare-netheid"
    assert [w["group"] for w in case["work_items"]] == ["openbare-netheid"]
    handover = [e for e in case["timeline"] if e["kind"] == "handed_over"][0]
    assert handover["note"] == "Sluikstort, geen lamp" and handover["public"]
    assert staff.ood.get(f"/api/v1/cases/{ref}").status_code == 403


def test_case_page_shows_reporter_only_to_roles_that_need_it(app, staff, desk):
    from engine.db import db
    from handlers.models import User

    ref = staff.meldkamer.file_melding(email="els@voorbeeld.example")["reference"]
    staff.meldkamer.file_melding(email="els@voorbeeld.example")
    assert "els@voorbeeld.example" in desk.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    analyst = User(username="rita", display_name="Rita", role="rapportage")
    db.session.add(analyst)
    db.session.commit()
    rita = Browser(app, "rita", with_password(analyst))
    html = rita.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert "els@voorbeeld.example" not in html and "Contactgegevens niet zichtbaar" in html


def test_sent_back_case_returns_to_the_meldkamer_with_the_reason(staff, desk):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "send_back", "note": "Hoort bij Fietsteam"})
    html = desk.get("/werk/meldkamer").get_data(as_text=True)
    assert "Teruggestuurd door Onderhoud openbaar domein: Hoort bij Fietsteam" in html


def test_english_is_available(staff, desk):
    desk.post("/werk/taal/en", page="/werk/meldkamer")
    html = desk.get("/werk/meldkamer").get_data(as_text=True)
    assert "Dispatch desk" in html and "Log out" in html


def test_admin_creates_a_user_who_can_log_in(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    bad = admin.post("/werk/beheer/gebruikers", {"username": "X", "display_name": "", "role": "behandelaar",
                                                 "password": "kort"})
    assert bad.status_code == 422 and "minstens 10 tekens" in bad.get_data(as_text=True)
    ok = admin.post("/werk/beheer/gebruikers", {"username": "eva", "display_name": "Eva", "role": "behandelaar",
                                                "groups": "fietsteam", "active": "on", "password": "lang-genoeg-123"})
    assert ok.status_code == 302
    eva = Browser(app, "eva", "lang-genoeg-123")
    assert eva.get("/werk/").location.endswith("/werk/wachtrij/fietsteam")


def test_meldkamer_filters_on_a_main_category_and_finds_a_reference(staff, desk):
    lamp = staff.meldkamer.file_melding("Lamp kapot", category="straatlamp-defect")["reference"]
    dump = staff.meldkamer.file_melding("Matras gedumpt", category="sluikstort")["reference"]
    html = desk.get("/werk/meldkamer?categorie=verlichting").get_data(as_text=True)
    assert lamp in html and dump not in html
    html = desk.get(f"/werk/meldkamer?q={dump.lower()}").get_data(as_text=True)
    assert dump in html and lamp not in html
    html = desk.get("/werk/meldkamer?q=matras").get_data(as_text=True)
    assert dump in html and lamp not in html


def test_a_reference_typed_in_lower_case_opens_the_case_in_the_api_and_on_the_page(staff, desk):
    reference = staff.meldkamer.file_melding()["reference"]
    typed = reference.lower()
    assert staff.meldkamer.get(f"/api/v1/cases/{typed}").get_json()["reference"] == reference
    page = desk.get(f"/werk/dossier/{typed}")
    assert page.status_code == 200 and reference in page.get_data(as_text=True)
