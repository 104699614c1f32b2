"""The public Open311 feed publishes what the city chooses, never what the citizen typed: category, status,
staff's public texts, the place, dates, a public description only when staff wrote one, and photos staff
published. Checked in JSON and XML, for the list and for one request."""
from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseEvent

from .helpers import Browser, with_password
from .test_public_form import VALID, post

API = "/open311/v2"
# What a citizen types into a melding without thinking twice.
PERSONAL = ["Jan Janssens", "Janssens", "0470 11 22 33", "0470112233", "jan.janssens@voorbeeld.example",
            "Bruul 12 bus 3"]
TYPED = ("De straatlamp voor mijn deur (Bruul 12 bus 3) brandt niet. Groeten, Jan Janssens - bel me op "
         "0470 11 22 33 of mail jan.janssens@voorbeeld.example")


def feed(client, fmt: str, reference: str) -> list[bytes]:
    """The list and the single request, as the public reads them."""
    bodies = []
    for url in (f"{API}/requests.{fmt}", f"{API}/requests/{reference}.{fmt}",
                f"{API}/requests.{fmt}?service_request_id={reference}"):
        response = client.get(url)
        assert response.status_code == 200, response.data
        bodies.append(response.data)
    return bodies


def request_of(body: bytes, fmt: str, reference: str) -> dict:
    if fmt == "json":
        import json
        return next(r for r in json.loads(body) if r["service_request_id"] == reference)
    root = ET.fromstring(body)
    element = next(r for r in root.findall("request") if r.findtext("service_request_id") == reference)
    return {child.tag: child.text for child in element}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_feed_never_shows_the_name_phone_or_email_the_citizen_typed(app, client, staff, fmt):
    by_phone = staff.meldkamer.file_melding(TYPED, reporter={"name": "Jan Janssens", "email":
                                                             "jan.janssens@voorbeeld.example",
                                                             "phone": "0470112233"})["reference"]
    assert post(client, {**VALID, "description": TYPED, "name": "Jan Janssens",
                         "email": "jan.janssens@voorbeeld.example", "phone": "0470 11 22 33"}).status_code == 303
    by_form = db.session.scalar(select(Case.reference).where(Case.channel == "web"))
    staff.meldkamer.complete(by_phone, "triage", {"decision": "dispatch"})

    for reference in (by_phone, by_form):
        for body in feed(client, fmt, reference):
            for value in PERSONAL:
                assert value.encode() not in body, (value, body[:500])
            item = request_of(body, fmt, reference)
            assert item["service_code"] == "straatlamp-defect" and item["status"] == "open"
            assert item.get("description") in (None, "")  # no public description written yet
            assert item["address"] == "Bruul 12, 2800 Mechelen" and item["requested_datetime"].endswith("Z")


def write_public_description(app, staff, reference: str, text: str):
    with_password(staff.ood.user)
    bart = Browser(app, "bart", "correct-horse-battery")
    return bart, bart.post(f"/werk/dossier/{reference}/publieke-omschrijving", {"public_description": text},
                           page=f"/werk/dossier/{reference}")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_feed_shows_the_public_description_staff_wrote(app, client, staff, fmt):
    reference = staff.meldkamer.file_melding(TYPED)["reference"]
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    bart, response = write_public_description(app, staff, reference, "Straatlamp defect in de Bruul.")
    assert response.status_code == 302
    for body in feed(client, fmt, reference):
        assert request_of(body, fmt, reference)["description"] == "Straatlamp defect in de Bruul."
        assert b"Janssens" not in body

    page = bart.get(f"/werk/dossier/{reference}").get_data(as_text=True)
    assert "Straatlamp defect in de Bruul." in page
    events = db.session.scalars(select(CaseEvent).join(Case, Case.id == CaseEvent.case_id).where(
        Case.reference == reference, CaseEvent.kind == "public_description")).all()
    assert len(events) == 1 and not events[0].public and events[0].actor == "Bart"
    assert events[0].note == "Straatlamp defect in de Bruul."

    bart.post(f"/werk/dossier/{reference}/publieke-omschrijving", {"public_description": "  "},
              page=f"/werk/dossier/{reference}")
    for body in feed(client, fmt, reference):
        assert request_of(body, fmt, reference).get("description") in (None, "")
    db.session.expire_all()
    assert db.session.scalar(select(Case.public_description).where(Case.reference == reference)) is None


def test_a_too_long_public_description_comes_back_with_the_text(app, staff):
    reference = staff.meldkamer.file_melding(TYPED)["reference"]
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    text = "Lang verhaal " * 400
    _bart, response = write_public_description(app, staff, reference, text)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "maximaal 4000 tekens" in html and text.strip() in html
    db.session.expire_all()
    assert db.session.scalar(select(Case.public_description).where(Case.reference == reference)) is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_status_notes_are_staff_public_texts_without_the_reporters_name(app, client, staff, fmt):
    """The closing text is written to the reporter and may greet them; the feed cuts their name out."""
    reference = staff.meldkamer.file_melding(TYPED, reporter={"name": "Jan Janssens"})["reference"]
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    staff.ood.complete(reference, "take_in_handling")
    staff.ood.complete(reference, "handle", {"action": "close", "public_text": "Beste Jan Janssens, de lamp brandt "
                                                                              "weer. Vragen? Bel 015 20 30 40."})
    for body in feed(client, fmt, reference):
        item = request_of(body, fmt, reference)
        assert item["status"] == "closed"
        assert item["status_notes"] == ("Beste [naam verwijderd], de lamp brandt weer. Vragen? "
                                        "Bel [telefoon verwijderd].")
        assert b"Janssens" not in body
