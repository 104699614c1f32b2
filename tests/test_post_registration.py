"""The postkamer registers a scanned letter at /werk/post/nieuw: what is created, and every bad input."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseFile, Reporter, WorkItem
from handlers.files import MAX_BYTES
from handlers.models import HandlerGroup, RoutingRule
from handlers.post_models import PostLetter
from handlers.routing import forget_rules
from intake.post_intake import local_today

from .helpers import Browser
from .test_post_support import JPEG, case_count, form, mails, pdf_bytes, postkamer_user, web_user

URL = "/werk/post/nieuw"


@pytest.fixture
def eva(app):
    user, password = postkamer_user()
    return Browser(app, user.username, password)


def submit(browser: Browser, values: dict, scan: bytes | None = None, filename: str = "brief.pdf"):
    data = dict(values)
    if scan is not None:
        data["scan"] = (io.BytesIO(scan), filename)
    return browser.post(URL, data=data)


def test_a_registered_letter_is_routed_with_its_deadline_scan_and_receipt(app, eva):
    page = eva.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{local_today().isoformat()}"' in html  # received today unless changed
    for label in ("Vraag", "Klacht", "Bezwaar", "Factuur", "Ter informatie"):
        assert f">{label}</option>" in html

    response = submit(eva, form(kind="klacht", registered_mail="1"), pdf_bytes(3))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = db.session.scalar(select(Case).where(Case.kind == "post"))
    assert case.reference.startswith("P") and case.channel == "brief"
    assert case.group.key == "onderhoud-openbaar-domein" and case.status == "toegewezen"
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    assert (letter.sender_name, letter.letter_kind, letter.registered_mail) == ("Els Peeters", "klacht", True)
    assert (letter.deadline_days, letter.deadline_unit, letter.scan_pages) == (45, "kalenderdagen", 3)
    assert letter.registered_by == "Eva Wouters"
    scan = db.session.get(CaseFile, letter.scan_file_id)
    assert scan.case_id == case.id and scan.content_type == "application/pdf" and scan.filename == "brief.pdf"
    assert (case.deadline_at.date() - letter.received_on).days >= 45
    reporter = db.session.get(Reporter, case.reporter_id)
    assert reporter.email == "els@voorbeeld.example" and reporter.name == "Els Peeters"
    receipt = mails("ontvangstbevestiging_post", case.reference)
    assert [m.recipient for m in receipt] == ["els@voorbeeld.example"]
    assert receipt[0].data["tracking_url"].endswith(f"/volg/{case.tracking_token}")
    item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open"))
    assert item.task_name == "answer" and item.group.key == "onderhoud-openbaar-domein"
    assert item.due_at == case.deadline_at

    after = eva.get(URL).get_data(as_text=True)
    assert (f"Brief geregistreerd als {case.reference} (scan van 3 blz.) en doorgestuurd naar Onderhoud openbaar "
            "domein.") in after
    assert case.reference in after.split("Laatst door u geregistreerd")[1]  # listed as hers

    facts = eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    for shown in ("Inkomende brief", "Els Peeters", "Bruul 12, 2800 Mechelen", "Klacht", "aangetekend",
                  "3 pagina’s", "45 kalenderdagen", "Nog geen antwoordbrief."):
        assert shown in facts, shown


def test_without_e_mail_no_receipt_is_sent_but_the_case_is_made(app, eva):
    response = submit(eva, form(sender_email=""), pdf_bytes(1))
    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.kind == "post"))
    assert mails("ontvangstbevestiging_post") == []
    assert db.session.get(Reporter, case.reporter_id).email is None


BAD_INPUTS = {
    "not a pdf": ({}, b"Dit is gewoon tekst, geen scan.", "brief.pdf", "scan",
                  "Dit bestand is geen PDF. Kies de scan als PDF-bestand."),
    "renamed jpeg": ({}, JPEG, "brief.pdf", "scan", "Dit bestand is geen PDF. Kies de scan als PDF-bestand."),
    "broken pdf": ({}, b"%PDF-1.7\nkapot", "brief.pdf", "scan",
                   "Deze PDF kan niet geopend worden (beschadigd of beveiligd). Scan de brief opnieuw."),
    "empty": ({}, b"", "brief.pdf", "scan", "Het gekozen bestand is leeg. Scan de brief opnieuw."),
    "too big": ({}, b"%PDF-1.4\n" + b"0" * MAX_BYTES, "brief.pdf", "scan",
                "De scan is te groot (maximaal 10 MB). Scan met een lagere resolutie of in grijstinten."),
    "no scan": ({}, None, "", "scan", "Voeg de scan van de brief toe (een PDF-bestand)."),
    "missing sender": ({"sender_name": ""}, "pdf", "brief.pdf", "sender_name", "Vul de naam van de afzender in."),
    "missing address": ({"sender_address": "  "}, "pdf", "brief.pdf", "sender_address",
                        "Vul het adres van de afzender in: het antwoord gaat per brief."),
    "written after received": ({"written_on": (local_today() + timedelta(days=1)).isoformat(),
                                "received_on": local_today().isoformat()}, "pdf", "brief.pdf", "written_on",
                               "De brief kan niet geschreven zijn na de datum van ontvangst."),
    "received in the future": ({"received_on": (local_today() + timedelta(days=2)).isoformat(), "written_on": ""},
                               "pdf", "brief.pdf", "received_on", "De datum van ontvangst ligt in de toekomst."),
    "unknown kind": ({"kind": "kettingbrief"}, "pdf", "brief.pdf", "kind",
                     "Kies het soort brief: vraag, klacht, bezwaar, factuur of ter informatie."),
    "bad e-mail": ({"sender_email": "els@"}, "pdf", "brief.pdf", "sender_email",
                   "Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be."),
    "bad date": ({"received_on": "32/13/2026"}, "pdf", "brief.pdf", "received_on",
                 "Geef een datum, bijvoorbeeld 2026-12-02."),
    "bad deadline": ({"deadline_days": "veel"}, "pdf", "brief.pdf", "deadline_days",
                     "Geef de antwoordtermijn als een aantal dagen van 1 tot 365."),
    "unknown group": ({"group": "bestaat-niet"}, "pdf", "brief.pdf", "group", "Kies een actieve behandelaarsgroep."),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gives_a_dutch_error_and_keeps_what_was_typed(app, eva, name):
    changes, scan, filename, field, message = BAD_INPUTS[name]
    values = form(**{"subject": "Bezwaar tegen de parkeerretributie & de boete", "sender_name": "Jan <Janssens>",
                     **changes})
    response = submit(eva, values, pdf_bytes() if scan == "pdf" else scan, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html, html[:3000]
    assert 'class="errors"' in html and "De brief werd niet geregistreerd." in html
    assert case_count() == 0 and db.session.scalars(select(PostLetter)).all() == []
    # everything typed comes back (escaped), so nothing has to be typed twice
    if field != "subject":
        assert 'value="Bezwaar tegen de parkeerretributie &amp; de boete"' in html
    if field != "sender_name":
        assert 'value="Jan &lt;Janssens&gt;"' in html
    assert "Bruul 12\n2800 Mechelen</textarea>" in html or field == "sender_address"
    assert ("Kies de scan opnieuw" in html) == (scan is not None and filename != "")


def test_several_errors_are_listed_at_once(app, eva):
    response = submit(eva, form(sender_name="", subject="", kind="?"), None)
    html = response.get_data(as_text=True)
    for message in ("Vul de naam van de afzender in.", "Vul het onderwerp van de brief in.",
                    "Kies het soort brief", "Voeg de scan van de brief toe"):
        assert message in html


def test_the_group_is_suggested_by_the_routing_rules_on_the_subject(app, eva):
    fietsteam = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == "fietsteam"))
    db.session.add(RoutingRule(position=10, name="Fietspaden", group=fietsteam, keywords="fietspad, fietsenstalling"))
    db.session.commit()
    forget_rules()

    suggestion = eva.get("/werk/post/voorstel?onderwerp=Klacht%20over%20het%20fietspad").get_json()
    assert suggestion["group"] == "fietsteam" and "Fietspaden" in suggestion["reason"]
    assert eva.get("/werk/post/voorstel?onderwerp=Jaarverslag").get_json()["group"] is None

    response = submit(eva, form(subject="Klacht over het fietspad in de Bruul", group=""), pdf_bytes())
    assert response.status_code == 302
    assert db.session.scalar(select(Case).where(Case.kind == "post")).group.key == "fietsteam"

    response = submit(eva, form(subject="Jaarverslag van het buurtcomité", group=""), pdf_bytes())
    assert response.status_code == 422
    assert "de routeringsregels stellen er geen voor bij dit onderwerp" in response.get_data(as_text=True)


@pytest.mark.parametrize("role,group", [("behandelaar", "onderhoud-openbaar-domein"), ("meldkamer", None),
                                        ("rapportage", None)])
def test_only_the_postkamer_registers_post(app, role, group):
    browser = web_user(app, role, group, "piet", "Piet Pieters")
    assert browser.get(URL).status_code == 403
    response = browser.post(URL, data={**form(), "scan": (io.BytesIO(pdf_bytes()), "brief.pdf")},
                            page="/werk/aanmelden")
    assert response.status_code == 403 and case_count() == 0
    assert browser.get("/werk/post/voorstel?onderwerp=x").status_code == 403
    assert "Post registreren" not in browser.get("/werk/").get_data(as_text=True)
