"""What the map on the report form asks (web/report_lookup.py): address suggestions, the address at a point and
whether it lies in the city, and "Is dit uw melding?" with only public facts of other reporters' meldingen."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from handlers.calendar import CITY_TZ
from handlers.geocoding import GeocoderUnavailable
from intake.meldingen import register_melding

BRUUL_1 = (51.026433, 4.481567)
METRE_LAT = 1 / 111_195  # one metre northwards, in degrees of latitude
ANTWERP = (51.2194, 4.4025)  # outside the demo's outline of Mechelen


def melding(lat: float, lon: float, *, category: str = "straatlamp-defect", email: str = "jan@voorbeeld.example",
            description: str = "De lamp aan de overkant brandt niet meer sinds maandag.") -> Case:
    case = register_melding(description=description, channel="web", category=category,
                            location={"address": "Bruul 3, 2800 Mechelen", "lat": lat, "lon": lon},
                            reporter={"name": "Jan Janssens", "email": email, "phone": "0470 12 34 56"})
    db.session.commit()
    return case


def test_suggestions_for_a_typed_address(app, client):
    response = client.get("/melden/adressen", query_string={"q": "Bruul 1"})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert 1 <= len(items) <= 5
    assert items[0]["label"] == "Bruul 1, 2800 Mechelen"
    assert (items[0]["lat"], items[0]["lon"]) == BRUUL_1

    street_only = client.get("/melden/adressen", query_string={"q": "bru"}).get_json()["items"]
    assert any(item["street"] == "Bruul" for item in street_only) and len(street_only) <= 5


@pytest.mark.parametrize("query", ["", "x", "a" * 5000, "🙂🙂🙂", "nergensstraat 999"])
def test_suggestions_for_nonsense_are_empty_not_an_error(app, client, query):
    response = client.get("/melden/adressen", query_string={"q": query})
    assert response.status_code == 200 and response.get_json() == {"items": []}


def test_a_geocoder_that_cannot_answer_gives_an_empty_list_marked_unavailable(app, client, monkeypatch):
    class Down:
        def search(self, text, limit=5):
            raise GeocoderUnavailable("time-out")

        def reverse(self, lat, lon):
            raise GeocoderUnavailable("time-out")

    monkeypatch.setattr("web.report_lookup.geocoder", lambda: Down())
    response = client.get("/melden/adressen", query_string={"q": "Bruul 1"})
    assert response.status_code == 200 and response.get_json() == {"items": [], "unavailable": True}
    reverse = client.get("/melden/adres", query_string={"lat": BRUUL_1[0], "lon": BRUUL_1[1]})
    assert reverse.status_code == 200
    assert reverse.get_json() == {"address": None, "inside": True, "unavailable": True}


def test_the_address_at_a_point_on_bruul(app, client):
    lat, lon = BRUUL_1[0] + 3 * METRE_LAT, BRUUL_1[1]
    body = client.get("/melden/adres", query_string={"lat": lat, "lon": lon}).get_json()
    assert body["inside"] is True
    assert body["address"]["street"] == "Bruul" and body["address"]["label"].endswith("2800 Mechelen")
    # a comma as decimal sign, as a Dutch keyboard types it
    comma = client.get("/melden/adres", query_string={"lat": "51,026433", "lon": "4,481567"}).get_json()
    assert comma["address"]["label"] == "Bruul 1, 2800 Mechelen"


def test_a_point_outside_the_city_is_said_so_in_dutch_naming_the_city(app, client):
    response = client.get("/melden/adres", query_string={"lat": ANTWERP[0], "lon": ANTWERP[1]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["inside"] is False and body["address"] is None
    assert "buiten Mechelen" in body["message"]
    sea = client.get("/melden/adres", query_string={"lat": "51.5", "lon": "2.5"}).get_json()  # the North Sea
    assert sea["inside"] is False and "buiten" in sea["message"]


def test_a_point_outside_the_city_names_the_configured_city(app, client):
    app.config["MELDPUNT_CITY_NAME"] = "Stad Mechelen"
    body = client.get("/melden/adres", query_string={"lat": ANTWERP[0], "lon": ANTWERP[1]}).get_json()
    assert "buiten Stad Mechelen" in body["message"]


@pytest.mark.parametrize("path", ["/melden/adres", "/melden/in-de-buurt"])
@pytest.mark.parametrize("lat, lon", [("", ""), ("51.02", ""), ("abc", "4.48"), ("nan", "4.48"), ("91", "4.48"),
                                      ("51.02", "-181"), ("inf", "4.48"), ("1" * 5000, "4.48")])
def test_bad_coordinates_get_a_400_with_a_dutch_message(app, client, path, lat, lon):
    response = client.get(path, query_string={"lat": lat, "lon": lon, "categorie": "straatlamp-defect"})
    assert response.status_code == 400 and response.is_json
    assert "breedtegraad" in response.get_json()["error"]



@pytest.mark.parametrize("path, query", [
    ("/melden/adressen", {"q": "Bruul\x001"}),
    ("/melden/adres", {"lat": "51.02\x00", "lon": "4.48"}),
    ("/melden/in-de-buurt", {"lat": "51.0264", "lon": "4.4816", "categorie": "straatlamp\x00"}),
])
def test_a_nul_character_gets_a_json_400_the_map_can_read(app, client, path, query):
    # the map's script reads every answer as JSON: an HTML error page would be read as "no answer"
    response = client.get(path, query_string=query)
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["items"] == [] and "nul-teken" in body["error"]
    assert response.headers["Cache-Control"] == "no-store"

def test_nearby_lists_open_meldingen_of_the_same_category_with_public_facts_only(app, client):
    here = BRUUL_1
    near = melding(here[0] + 20 * METRE_LAT, here[1], description="Lamp kapot, ik woon op nummer 3 (Jan).")
    closed = melding(here[0] + 10 * METRE_LAT, here[1], email="piet@voorbeeld.example")
    closed.status, closed.closed_at = "afgesloten", utcnow()
    far = melding(here[0] + 80 * METRE_LAT, here[1], email="mia@voorbeeld.example")
    other = melding(here[0] + 5 * METRE_LAT, here[1], category="sluikstort", email="lut@voorbeeld.example")
    old = melding(here[0] + 15 * METRE_LAT, here[1], email="ann@voorbeeld.example")
    old.created_at = utcnow() - timedelta(days=85)  # before the default 84 days
    db.session.commit()

    response = client.get("/melden/in-de-buurt", query_string={"lat": here[0], "lon": here[1],
                                                              "categorie": "straatlamp-defect"})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["reference"] for item in items] == [near.reference]
    item = items[0]
    assert item["status_label"] == "Ontvangen" and item["category"] == "Straatlamp kapot"
    assert item["street"] == "Bruul" and item["distance_m"] == 20
    assert item["reported"] == near.created_at.astimezone(CITY_TZ).strftime("%d/%m/%Y")
    assert set(item) == {"reference", "status", "status_label", "category", "street", "reported", "distance_m"}
    text = response.get_data(as_text=True)
    for private in ("Jan", "jan@voorbeeld", "0470", "nummer 3", near.tracking_token, "/volg/", "Bruul 3"):
        assert private not in text
    for reference in (closed.reference, far.reference, other.reference, old.reference):
        assert reference not in text


def test_nearby_in_english_gives_the_english_status(app, client):
    here = BRUUL_1
    melding(here[0], here[1])
    client.set_cookie("lang", "en")
    items = client.get("/melden/in-de-buurt", query_string={"lat": here[0], "lon": here[1],
                                                            "categorie": "straatlamp-defect"}).get_json()["items"]
    assert items[0]["status_label"] == "Received"


@pytest.mark.parametrize("key", ["", "geen", "bestaat-niet", "x" * 5000])
def test_nearby_without_a_known_category_is_empty(app, client, key):
    melding(*BRUUL_1)
    response = client.get("/melden/in-de-buurt", query_string={"lat": BRUUL_1[0], "lon": BRUUL_1[1],
                                                               "categorie": key})
    assert response.status_code == 200 and response.get_json() == {"items": []}


def test_lookups_are_rate_limited_per_client_with_a_dutch_message(app, client, monkeypatch):
    monkeypatch.setattr("web.report_lookup.LOOKUP_LIMIT", 3)
    for _ in range(3):
        assert client.get("/melden/adressen", query_string={"q": "Bruul"}).status_code == 200
    refused = client.get("/melden/adres", query_string={"lat": BRUUL_1[0], "lon": BRUUL_1[1]})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Te veel opzoekingen" in refused.get_json()["error"]


def test_nearby_looks_back_the_category_s_own_number_of_days(app, client):
    here = BRUUL_1
    recent = melding(here[0], here[1], category="sluikstort", description="Een hoop afval naast de glasbol.")
    recent.created_at = utcnow() - timedelta(days=10)
    older = melding(here[0], here[1], category="sluikstort", email="piet@voorbeeld.example")
    older.created_at = utcnow() - timedelta(days=20)  # sluikstort looks back 14 days (handlers/seed.py)
    db.session.commit()
    items = client.get("/melden/in-de-buurt", query_string={"lat": here[0], "lon": here[1],
                                                            "categorie": "sluikstort"}).get_json()["items"]
    assert [item["reference"] for item in items] == [recent.reference]
