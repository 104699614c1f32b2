"""Where a melding is, on every channel: a point outside the city (the sea at 51.5, 2.8), coordinates that are
no numbers or out of range, an address of 5,000 characters or without a letter are refused (the public form
in Dutch on the field with everything typed kept, the staff API with a 422 naming the field, Open311 with its
400); an address gets its point from the geocoder and a point its address; a geocoder that does not know the
address, hangs or answers garbage leaves the address "niet gecontroleerd" on the case, never an error."""
from __future__ import annotations

import html
import re
import time

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseEvent
from intake.open311_keys import create_key

from .helpers import Browser, with_password
from .register_server import ADDRESSES, running_register
from .test_public_form import csrf_token

SEA = {"lat": "51.5", "lon": "2.8"}
OUTSIDE = "Deze plaats ligt buiten Mechelen. Via dit meldpunt meldt u alleen problemen in Mechelen."
NO_ADDRESS = "Dit is geen adres. Geef een straat en huisnummer of een plaats, bijvoorbeeld Bruul 12."
TOO_LONG = "Het adres is te lang (maximaal 300 tekens)."
FORM = {"categorie": "straatlamp-defect", "address": "", "lat": "", "lon": "",
        "description": "De straatlamp aan paal 12 brandt al een week niet.", "name": "Els Peeters",
        "email": "els@voorbeeld.example", "phone": ""}


@pytest.fixture(autouse=True)
def _room_to_report(app):
    app.config["MELDPUNT_REPORT_RATE"] = "100/60"


@pytest.fixture
def register():
    with running_register() as server:
        yield server


def use_register(app, server, timeout: int = 1) -> None:
    app.config.update(MELDPUNT_GEOCODER="basisregisters", MELDPUNT_GEOCODER_URL=server.url,
                      MELDPUNT_GEOCODER_TIMEOUT=timeout)


def cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def notes(case: Case) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                           CaseEvent.kind == "location_unchecked")))


def via_form(client, **changes):
    """POST /melden; returns the response, its page, and the error shown at each field."""
    response = client.post("/melden", data={**FORM, **changes, "csrf_token": csrf_token(client)},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    shown = {name: html.unescape(text) for name, text in re.findall(r'id="error-(\w+)">([^<]*)<', page)}
    return response, page, shown


def typed_value(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    assert found, f"no input {name}"
    return html.unescape(found.group(1))


# ---------------------------------------------------------------- the public form

def test_a_point_in_the_sea_is_refused_naming_the_city_and_everything_typed_stays(client):
    response, page, shown = via_form(client, address="Zeedijk 1", **SEA)
    assert response.status_code == 422
    assert shown["lat"] == OUTSIDE
    assert (typed_value(page, "lat"), typed_value(page, "lon"), typed_value(page, "address")) == (
        "51.5", "2.8", "Zeedijk 1")
    assert FORM["description"] in page and typed_value(page, "email") == FORM["email"]
    assert cases() == []


def test_the_city_s_name_comes_from_the_settings(app, client):
    app.config["MELDPUNT_CITY_NAME"] = "Stad Mechelen"
    _, _, shown = via_form(client, **SEA)
    assert shown["lat"] == "Deze plaats ligt buiten Stad Mechelen. Via dit meldpunt meldt u alleen problemen in " \
                           "Stad Mechelen."


def test_an_english_reader_reads_it_in_english(client):
    client.set_cookie("lang", "en")
    _, _, shown = via_form(client, **SEA)
    assert shown["lat"] == "This place lies outside Mechelen. Through this service you can only report problems " \
                           "in Mechelen."
    _, _, shown = via_form(client, address="!!!")
    assert shown["address"].startswith("This is not an address.")


@pytest.mark.parametrize("lat, lon, field, message", [
    ("nan", "4.47", "lat", "De breedtegraad ligt tussen -90 en 90."),
    ("51.02", "NaN", "lon", "De lengtegraad ligt tussen -180 en 180."),
    ("inf", "4.47", "lat", "De breedtegraad ligt tussen -90 en 90."),
    ("1e400", "4.47", "lat", "De breedtegraad ligt tussen -90 en 90."),
    ("91", "4.47", "lat", "De breedtegraad ligt tussen -90 en 90."),
    ("51.02", "-181", "lon", "De lengtegraad ligt tussen -180 en 180."),
    ("noord", "4.47", "lat", "Geef een getal, bijvoorbeeld 51,0278."),
    ("51.02", "🙂", "lon", "Geef een getal, bijvoorbeeld 4,4777."),
])
def test_coordinates_that_are_no_usable_numbers_are_refused_on_their_field(client, lat, lon, field, message):
    response, page, shown = via_form(client, lat=lat, lon=lon)
    assert response.status_code == 422 and shown[field] == message
    assert (typed_value(page, "lat"), typed_value(page, "lon")) == (lat, lon)
    assert cases() == []


@pytest.mark.parametrize("address, message", [
    ("Bruul " + "1" * 4994, TOO_LONG),  # 5,000 characters
    ("!!!", NO_ADDRESS),
    ("🙂🙂", NO_ADDRESS),
    ("12", NO_ADDRESS),
])
def test_an_address_too_long_or_without_letters_is_refused_and_kept(client, address, message):
    response, page, shown = via_form(client, address=address)
    assert response.status_code == 422 and shown["address"] == message
    assert typed_value(page, "address") == address  # all 5,000 characters come back
    assert cases() == []


def test_a_known_address_gets_its_point_and_counts_as_checked(client):
    response, _, _ = via_form(client, address="Bruul 12, 2800 Mechelen")
    assert response.status_code == 303
    [case] = cases()
    assert case.address == "Bruul 12, 2800 Mechelen" and case.location_checked is True
    assert (case.lat, case.lon) == (51.026121, 4.481741) and notes(case) == []  # as in the demo's addresses


def test_an_unknown_address_is_kept_unchecked_with_a_note_for_staff_only(client):
    response, _, _ = via_form(client, address="Nergensstraat 99, 2800 Mechelen")
    assert response.status_code == 303  # never an error for the citizen
    [case] = cases()
    assert (case.address, case.lat, case.lon, case.location_checked) == (
        "Nergensstraat 99, 2800 Mechelen", None, None, False)
    [note] = notes(case)
    assert note.note == "Adres niet gecontroleerd: het adres werd niet gevonden in het adresregister."
    assert note.public is False
    follow = client.get(f"/volg/{case.tracking_token}")  # the reporter's own page
    assert follow.status_code == 200 and case.reference in follow.get_data(as_text=True)
    assert "niet gecontroleerd" not in follow.get_data(as_text=True)


def test_an_address_without_a_house_number_is_kept_unchecked(client):
    via_form(client, address="Bruul")
    [case] = cases()
    assert (case.address, case.lat, case.location_checked) == ("Bruul", None, False)
    assert notes(case)[0].note.startswith("Adres niet gecontroleerd: er staat geen huisnummer in")


def test_a_point_inside_the_city_gets_the_nearest_address(client):
    markt = {"lat": "51.02805", "lon": "4.47964"}  # Grote Markt 1 in the demo addresses
    response, _, _ = via_form(client, **markt)
    assert response.status_code == 303
    [case] = cases()
    assert case.address == "Grote Markt 1, 2800 Mechelen" and case.location_checked is True
    assert (case.lat, case.lon) == (51.02805, 4.47964) and notes(case) == []


def test_a_point_with_an_address_keeps_both(client):
    via_form(client, address="Aan de kerk", lat="51,0290", lon="4,4810")
    [case] = cases()
    assert (case.address, case.lat, case.lon, case.location_checked) == ("Aan de kerk", 51.029, 4.481, True)


# ---------------------------------------------------------------- a remote geocoder that fails

@pytest.mark.parametrize("mode", ["hang", "garbage", "500"])
def test_a_register_that_fails_leaves_the_address_unchecked_never_an_error(app, client, register, mode):
    use_register(app, register, timeout=1)
    register.mode = mode
    started = time.monotonic()
    response, _, _ = via_form(client, address="Bruul 12, 2800 Mechelen")
    assert response.status_code == 303
    assert time.monotonic() - started < 4  # the time-out (1 s) and the form's own work
    [case] = cases()
    assert (case.address, case.lat, case.location_checked) == ("Bruul 12, 2800 Mechelen", None, False)
    [note] = notes(case)
    assert note.note.startswith("Adres niet gecontroleerd: het adresregister gaf geen antwoord")
    assert any(p.startswith("/v2/adresmatch?") for p in register.requests)


def test_a_point_is_kept_when_the_register_hangs(app, client, register):
    use_register(app, register, timeout=1)
    register.mode = "hang"
    response, _, _ = via_form(client, lat="51.0262", lon="4.479")
    assert response.status_code == 303
    [case] = cases()
    assert (case.address, case.lat, case.lon, case.location_checked) == (None, 51.0262, 4.479, True)


def test_the_register_finds_the_address_and_the_point(app, client, register):
    use_register(app, register, timeout=2)
    via_form(client, address="Bruul 12, 2800 Mechelen")
    via_form(client, lat="51.02281", lon="4.47881")
    via_form(client, address="Keizerstraat 1, 2000 Antwerpen")  # the register knows it, but not in Mechelen
    first, second, third = cases()
    bruul, olv = ADDRESSES[0], ADDRESSES[2]
    assert first.location_checked is True and abs(first.lat - bruul.lat) < 1e-5 and abs(first.lon - bruul.lon) < 1e-5
    assert second.address == "Onze-Lieve-Vrouwestraat 5, 2800 Mechelen" and second.location_checked is True
    assert (olv.street, second.lat) == ("Onze-Lieve-Vrouwestraat", 51.02281)
    assert (third.lat, third.location_checked) == (None, False)
    assert notes(third)[0].note == ("Adres niet gecontroleerd: het gevonden adres (Keizerstraat 1, 2000 Antwerpen) "
                                    "ligt buiten Mechelen.")


# ---------------------------------------------------------------- the staff API

def api_melding(staff, location, raw: str | None = None):
    if raw is not None:
        return staff.meldkamer.post("/api/v1/meldingen", data=raw, content_type="application/json")
    return staff.meldkamer.post("/api/v1/meldingen", json={
        "description": "Lamp brandt niet aan de kerk", "channel": "telefoon", "location": location})


@pytest.mark.parametrize("location, field, message", [
    ({"lat": 51.5, "lon": 2.8}, "lat", OUTSIDE),
    ({"lat": "51.5", "lon": "2.8", "address": "Zeedijk 1"}, "lat", OUTSIDE),
    ({"lat": "noord", "lon": 4.47}, "lat", "Geef een getal, bijvoorbeeld 51,0278."),
    ({"lat": 51.02, "lon": 400}, "lon", "De lengtegraad ligt tussen -180 en 180."),
    ({"lat": True, "lon": 4.47}, "lat", "Geef een getal, bijvoorbeeld 51,0278."),
    ({"address": "Bruul " + "1" * 4994}, "address", TOO_LONG),
    ({"address": "!!!"}, "address", NO_ADDRESS),
])
def test_the_api_answers_422_naming_the_field(staff, location, field, message):
    response = api_melding(staff, location)
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"location": {field: [message]}}
    assert cases() == []


@pytest.mark.parametrize("raw, field", [
    ('{"description": "Lamp brandt niet", "channel": "telefoon", "location": {"lat": NaN, "lon": 4.47}}', "lat"),
    ('{"description": "Lamp brandt niet", "channel": "telefoon", "location": {"lat": 51.02, "lon": Infinity}}',
     "lon"),
    ('{"description": "Lamp brandt niet", "channel": "telefoon", "location": {"lat": 1e400, "lon": 4.47}}', "lat"),
])
def test_the_api_refuses_nan_and_infinity(staff, raw, field):
    response = api_melding(staff, None, raw=raw)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["fields"]["location"]) == [field]
    assert cases() == []


def test_the_api_keeps_an_unknown_address_unchecked(staff):
    response = api_melding(staff, {"address": "Nergensstraat 99"})
    assert response.status_code == 201
    [case] = cases()
    assert (case.address, case.location_checked) == ("Nergensstraat 99", False)
    view = staff.meldkamer.case(response.get_json()["reference"])
    assert view["location_checked"] is False
    [event] = [e for e in view["timeline"] if e["kind"] == "location_unchecked"]
    assert event["note"].startswith("Adres niet gecontroleerd") and event["public"] is False


def test_the_case_page_says_which_address_was_not_checked(app, staff):
    unknown = api_melding(staff, {"address": "Nergensstraat 99"}).get_json()["reference"]
    known = api_melding(staff, {"address": "Bruul 12, 2800 Mechelen"}).get_json()["reference"]
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    page = desk.get(f"/werk/dossier/{unknown}").get_data(as_text=True)
    assert 'id="location-unchecked"' in page and "adres niet gecontroleerd" in page
    assert 'id="location-unchecked"' not in desk.get(f"/werk/dossier/{known}").get_data(as_text=True)


def test_the_api_takes_a_melding_without_a_place(staff):
    assert api_melding(staff, {}).status_code == 201
    [case] = cases()
    assert (case.address, case.lat, case.location_checked) == (None, None, None) and notes(case) == []


# ---------------------------------------------------------------- Open311

@pytest.fixture
def api_key(app) -> str:
    _row, key = create_key("Testapp", "test")
    db.session.commit()
    return key


def open311(client, api_key, fmt="json", **fields):
    data = {"api_key": api_key, "service_code": "straatlamp-defect", "description": "De straatlamp brandt niet",
            "email": "els@voorbeeld.example", **fields}
    return client.post(f"/open311/v2/requests.{fmt}", data=data)


@pytest.mark.parametrize("fields, says", [
    ({"lat": "51.5", "long": "2.8"}, "lat and long lie outside Mechelen: this service takes requests within "
                                     "Mechelen only"),
    ({"lat": "nan", "long": "4.47"}, "lat must be between -90 and 90"),
    ({"lat": "51.02", "long": "inf"}, "long must be between -180 and 180"),
    ({"address_string": "Bruul " + "1" * 4994}, "address_string is longer than 300 characters"),
    ({"address_string": "!!!"}, "address_string is not an address"),
])
def test_open311_answers_its_400(client, api_key, fields, says):
    response = open311(client, api_key, **fields)
    assert response.status_code == 400
    assert response.get_json() == [{"code": 400, "description": response.get_json()[0]["description"]}]
    assert response.get_json()[0]["description"].startswith(says)
    xml = open311(client, api_key, "xml", **fields)
    assert xml.status_code == 400 and says.encode() in xml.data
    assert cases() == []


def test_open311_takes_an_address_or_a_point_inside_the_city(client, api_key):
    assert open311(client, api_key, address_string="Bruul 12, 2800 Mechelen").status_code == 200
    assert open311(client, api_key, lat="51.02805", long="4.47964").status_code == 200
    assert open311(client, api_key, address_string="Nergensstraat 99").status_code == 200
    first, second, third = cases()
    assert (first.location_checked, round(first.lat, 3)) == (True, 51.026)
    assert (second.address, second.location_checked) == ("Grote Markt 1, 2800 Mechelen", True)
    assert (third.lat, third.location_checked) == (None, False)


def test_nothing_was_made_by_refusals(client, api_key, staff):
    open311(client, api_key, lat="51.5", long="2.8")
    api_melding(staff, {"lat": 51.5, "lon": 2.8})
    via_form(client, **SEA)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
