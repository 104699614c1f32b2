"""The offline geocoder over a CSV of the city's addresses (the demo's Mechelen sample, or the city's own file):
suggestions for typed text, the nearest address of a point, and text that is no address."""
from __future__ import annotations

import pytest

from engine.geometry import distance_m
from handlers.geocoding import DEMO_ADDRESSES, OfflineGeocoder, geocoder, split_address


@pytest.fixture(scope="module")
def mechelen() -> OfflineGeocoder:
    return OfflineGeocoder(DEMO_ADDRESSES)


@pytest.mark.parametrize("typed, label", [
    ("Bruul 12", "Bruul 12, 2800 Mechelen"),
    ("bruul 12, 2800 Mechelen", "Bruul 12, 2800 Mechelen"),
    ("BRUUL 12 bus 3", "Bruul 12, 2800 Mechelen"),
    ("Grote Markt 1", "Grote Markt 1, 2800 Mechelen"),
    ("grote   markt 1", "Grote Markt 1, 2800 Mechelen"),
])
def test_a_typed_address_is_found_first(mechelen, typed, label):
    assert mechelen.search(typed)[0].label == label


def test_suggestions_for_the_start_of_a_street(mechelen):
    found = mechelen.search("Grote M", limit=3)
    assert [a.street for a in found] == ["Grote Markt"]  # one suggestion per street without a number
    streets = [a.street for a in mechelen.search("Bru", limit=5)]
    assert "Bruul" in streets and all(s.lower().startswith("bru") for s in streets)
    assert len(mechelen.search("Grote Markt 1", limit=5)) == 1


@pytest.mark.parametrize("typed", ["", "!!!", "🙂", "12", "Nergensstraat 1", "x" * 301, "Bruul " + "1" * 5000])
def test_text_that_is_no_known_address_finds_nothing(mechelen, typed):
    assert mechelen.search(typed) == []


def test_the_nearest_address_of_a_point(mechelen):
    markt = mechelen.search("Grote Markt 1")[0]
    found = mechelen.reverse(markt.lat + 0.00001, markt.lon)
    assert found is not None and distance_m(found.lat, found.lon, markt.lat, markt.lon) < 15
    assert mechelen.reverse(51.5, 2.8) is None  # the sea
    assert mechelen.reverse(0.0, 0.0) is None


def test_the_address_parts_of_typed_text():
    assert split_address("Bruul 12, 2800 Mechelen") == ("Bruul", "12", "2800")
    assert split_address("Onze-Lieve-Vrouwestraat 5a bus 2") == ("Onze-Lieve-Vrouwestraat", "5a", None)
    assert split_address("Grote Markt") == ("Grote Markt", None, None)


def test_the_city_s_own_file_is_used_when_configured(app, tmp_path):
    path = tmp_path / "lier.csv"
    path.write_text("street,number,postcode,municipality,lat,lon\nZimmerplein,1,2500,Lier,51.1307,4.5704\n",
                    encoding="utf-8")
    assert geocoder().search("Bruul 12")  # the demo sample by default
    app.config["MELDPUNT_ADDRESS_CSV"] = str(path)
    assert geocoder().search("Bruul 12") == []
    assert geocoder().search("zimmerplein 1")[0].label == "Zimmerplein 1, 2500 Lier"
    assert geocoder().reverse(51.1307, 4.5705).label == "Zimmerplein 1, 2500 Lier"
