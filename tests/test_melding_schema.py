"""One melding schema for every channel: the same bad melding is refused the same way by the public form, the
staff API and Open311 (each in its own format), and the limits hold at their boundaries."""
from __future__ import annotations

import html
import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from intake.melding_schema import MAX_DESCRIPTION, MIN_DESCRIPTION, MeldingSchema, problems
from intake.open311_keys import create_key

from .test_public_form import csrf_token

GOOD = {"description": "De straatlamp aan paal 12 brandt al een week niet.", "address": "Bruul 12, 2800 Mechelen",
        "lat": "", "lon": "", "name": "Els Peeters", "email": "els@voorbeeld.example", "phone": ""}


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def via_form(client, melding: dict) -> tuple[int, dict[str, str]]:
    """Status and the error shown next to each field of the public form."""
    body = {"categorie": "straatlamp-defect", "csrf_token": csrf_token(client), **melding}
    response = client.post("/melden", data=body, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    shown = {name: html.unescape(text) for name, text in re.findall(r'id="error-(\w+)">([^<]*)<', page)}
    if response.status_code == 422:  # what the citizen typed comes back
        assert html.escape(melding["description"][:40], quote=False) in page
    return response.status_code, shown


def via_api(staff, melding: dict) -> tuple[int, dict]:
    def number(text: str):
        return float(text) if text else None

    body = {"description": melding["description"], "channel": "telefoon",
            "location": {"address": melding["address"], "lat": number(melding["lat"]), "lon": number(melding["lon"])},
            "reporter": {"name": melding["name"], "email": melding["email"], "phone": melding["phone"] or None}}
    response = staff.meldkamer.post("/api/v1/meldingen", json=body)
    return response.status_code, response.get_json().get("fields", {})


def via_open311(client, key: str, melding: dict) -> tuple[int, str]:
    first, _, last = melding["name"].partition(" ")
    body = {"api_key": key, "service_code": "straatlamp-defect", "description": melding["description"],
            "address_string": melding["address"], "lat": melding["lat"], "long": melding["lon"],
            "first_name": first, "last_name": last, "email": melding["email"], "phone": melding["phone"]}
    response = client.post("/open311/v2/requests.json", data=body)
    answer = response.get_json()
    return response.status_code, answer[0].get("description", "") if response.status_code != 200 else ""


# (what is wrong, the fields changed, the form field and API path of the error, its Dutch text, Open311's words)
BAD = [
    ("too short", {"description": "kapot lamp"[:MIN_DESCRIPTION - 1]}, "description", ("description",),
     "Beschrijf het probleem in minstens 10 tekens.", "description is shorter than 10 characters"),
    ("too long", {"description": "x" * (MAX_DESCRIPTION + 1)}, "description", ("description",),
     "Uw beschrijving is te lang: 5001 tekens, maximaal 5000 tekens.", "description is longer than 5000 characters"),
    ("long address", {"address": "Bruul " + "1" * 300}, "address", ("location", "address"),
     "Het adres is te lang (maximaal 300 tekens).", "address_string is longer than 300 characters"),
    ("latitude out of range", {"lat": "91", "lon": "4.47"}, "lat", ("location", "lat"),
     "De breedtegraad ligt tussen -90 en 90.", "lat must be between -90 and 90"),
    ("latitude alone", {"lat": "51.02"}, "lon", ("location", "lon"),
     "Geef breedtegraad en lengtegraad allebei, of laat ze allebei leeg.", "send lat and long together"),
    ("bad e-mail address", {"email": "els@@voorbeeld"}, "email", ("reporter", "email"),
     "Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be.", "email is not a valid"),
    ("bad phone number", {"phone": "bel me maar"}, "phone", ("reporter", "phone"),
     "Dit telefoonnummer klopt niet. Gebruik alleen cijfers, spaties en +, bijvoorbeeld 015 12 34 56.",
     "phone is not a phone number"),
    ("long name", {"name": "E" * 100 + " " + "P" * 100}, "name", ("reporter", "name"),
     "Uw naam is te lang (maximaal 200 tekens).", "first_name and last_name is longer than 200 characters"),
]


@pytest.mark.parametrize("changes, field, path, dutch, english", [row[1:] for row in BAD],
                         ids=[row[0] for row in BAD])
def test_a_bad_melding_is_refused_the_same_way_by_every_channel(client, staff, changes, field, path, dutch, english):
    melding = {**GOOD, **changes}
    key = create_key("Testapp", "test")[1]
    db.session.commit()

    status, shown = via_form(client, melding)
    assert (status, shown.get(field)) == (422, dutch)

    status, fields = via_api(staff, melding)
    found = fields
    for step in path:
        found = found.get(step, {})
    assert (status, found) == (422, [dutch])

    status, description = via_open311(client, key, melding)
    assert status == 400 and english in description

    assert case_count() == 0


@pytest.mark.parametrize("length", [MIN_DESCRIPTION, MAX_DESCRIPTION])
def test_the_shortest_and_longest_description_pass_every_channel(client, staff, length):
    melding = {**GOOD, "description": ("Lamp kapot " * 500)[:length - 1] + "."}
    key = create_key("Testapp", "test")[1]
    db.session.commit()
    assert via_form(client, melding)[0] == 303
    assert via_api(staff, melding)[0] == 201
    assert via_open311(client, key, melding)[0] == 200
    db.session.expire_all()
    assert [len(d) for d in db.session.scalars(select(Case.description))] == [length] * 3


EMAIL_254 = "a" * 64 + "@" + "b" * 62 + "." + "c" * 62 + "." + "d" * 60 + ".be"


def errors_of(raw: dict, **options) -> dict[tuple[str, ...], str]:
    options.setdefault("in_city", False)  # the limits of the numbers; the city's boundary: test_location_intake.py
    try:
        MeldingSchema(**options).load({"channel": "web", **raw})
    except ValidationError as err:
        return {path: str(message) for path, message in problems(err.messages)}
    return {}


@pytest.mark.parametrize("raw, refused", [
    ({"description": "x" * (MIN_DESCRIPTION - 1)}, ("description",)),
    ({"description": "x" * MIN_DESCRIPTION}, None),
    ({"description": "  " + "x" * MIN_DESCRIPTION + "  "}, None),  # the spaces around it do not count
    ({"description": " " * 20}, ("description",)),
    ({"description": "x" * MAX_DESCRIPTION}, None),
    ({"description": "x" * (MAX_DESCRIPTION + 1)}, ("description",)),
    ({"description": "Lamp kapot", "location": {"address": "x" * 300}}, None),
    ({"description": "Lamp kapot", "location": {"address": "x" * 301}}, ("location", "address")),
    ({"description": "Lamp kapot", "location": {"lat": 90, "lon": -180}}, None),
    ({"description": "Lamp kapot", "location": {"lat": "-90,0", "lon": "180"}}, None),
    ({"description": "Lamp kapot", "location": {"lat": 90.001, "lon": 4}}, ("location", "lat")),
    ({"description": "Lamp kapot", "location": {"lat": 51, "lon": "nan"}}, ("location", "lon")),
    ({"description": "Lamp kapot", "reporter": {"name": "x" * 200}}, None),
    ({"description": "Lamp kapot", "reporter": {"name": "x" * 201}}, ("reporter", "name")),
    ({"description": "Lamp kapot", "reporter": {"email": EMAIL_254}}, None),
    ({"description": "Lamp kapot", "reporter": {"email": "a" + EMAIL_254}}, ("reporter", "email")),
    ({"description": "Lamp kapot", "reporter": {"phone": "015 12 34"}}, None),
    ({"description": "Lamp kapot", "reporter": {"phone": "015 12"}}, ("reporter", "phone")),
])
def test_limits_at_their_boundaries(raw, refused):
    errors = errors_of(raw)
    assert list(errors) == ([refused] if refused else [])


def test_a_place_is_needed_only_where_the_channel_asks_for_it():
    # The public form and Open311 ask for it; staff taking a call may not know the place yet.
    assert errors_of({"description": "Lamp kapot"}) == {}
    assert errors_of({"description": "Lamp kapot"}, require_location=True) == {
        ("location", "address"): "Vul het adres of de plaats in waar het probleem is."}


def test_the_public_form_words_the_schema_s_messages_in_the_reader_s_language(client):
    client.set_cookie("lang", "en")
    status, shown = via_form(client, {**GOOD, "description": "kapot", "lat": "91", "lon": "4"})
    assert status == 422
    assert shown["description"] == "Describe the problem in at least 10 characters."
    assert shown["lat"] == "The latitude lies between -90 and 90."
