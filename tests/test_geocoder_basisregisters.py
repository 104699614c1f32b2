"""The Flemish address register as geocoder, against a local server that answers in the register's documented
format (tests/register_server.py): the address match in Lambert 72 turned into WGS84, the reverse lookup, and
every way the remote service fails ending as GeocoderUnavailable, within about the time-out."""
from __future__ import annotations

import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from handlers.geocoder_basisregisters import OFFICIAL_REVERSE, BasisregistersGeocoder, reverse_url_for
from handlers.geocoding import Address, GeocoderUnavailable, OfflineGeocoder, geocoder

from .register_server import ADDRESSES, LOZANA, assert_close, running_register


@pytest.fixture
def register():
    with running_register() as server:
        yield server


def remote(register, timeout: float = 2.0, municipality: str | None = "Mechelen") -> BasisregistersGeocoder:
    return BasisregistersGeocoder(register.url, timeout, municipality=municipality)


def asked(register) -> list[tuple[str, dict[str, str]]]:
    return [(urlsplit(p).path, {k: v[0] for k, v in parse_qs(urlsplit(p).query).items()}) for p in register.requests]


def test_an_address_is_matched_and_its_lambert_position_turned_into_wgs84(register):
    [found] = remote(register).search("Bruul 12, 2800 Mechelen")
    bruul = ADDRESSES[0]
    assert (found.street, found.number, found.postcode, found.municipality) == ("Bruul", "12", "2800", "Mechelen")
    assert found.label == "Bruul 12, 2800 Mechelen"
    assert_close((found.lat, found.lon), bruul.lat, bruul.lon, metres=0.05)
    assert asked(register) == [("/v2/adresmatch", {"straatnaam": "Bruul", "huisnummer": "12", "postcode": "2800",
                                                   "gemeentenaam": "Mechelen"})]


def test_the_register_s_own_coordinates_land_where_the_geolocation_service_puts_them(register):
    [found] = remote(register).search("Korte Lozanastraat 1, Antwerpen")
    assert_close((found.lat, found.lon), LOZANA["lat"], LOZANA["lon"], metres=0.05)


def test_without_a_place_the_city_s_name_is_asked_for(register):
    remote(register).search("bruul 14")
    assert asked(register)[-1][1] == {"straatnaam": "bruul", "huisnummer": "14", "gemeentenaam": "Mechelen"}
    # Nothing names a municipality or postcode and the city has no name: the register needs one, so no question.
    assert remote(register, municipality=None).search("Bruul 14") == []
    assert len(register.requests) == 1


def test_no_match_and_a_street_without_position_give_no_address(register):
    assert remote(register).search("Nergensstraat 1, 2800 Mechelen") == []
    assert remote(register).search("Bruul, 2800 Mechelen") == []  # the street alone: the register has no point
    assert remote(register).search("Keizerstraat 1, 2800 Mechelen") == []  # that one is in Antwerp
    assert remote(register).search("") == [] and remote(register).search("x" * 5000) == []
    assert len(register.requests) == 3  # no question for empty or over-long text


def test_the_nearest_address_of_a_point(register):
    found = remote(register).reverse(51.02621, 4.47901)
    assert isinstance(found, Address) and found.label == "Bruul 12, 2800 Mechelen"
    path, query = asked(register)[-1]
    assert path == "/geolocation/v4/Location" and query == {"latlon": "51.026210,4.479010", "c": "1"}
    assert remote(register).reverse(51.5, 2.8) is None  # in the sea: the nearest address is too far away


def test_the_reverse_lookup_url_comes_from_the_base_url():
    assert reverse_url_for("https://api.basisregisters.vlaanderen.be") == OFFICIAL_REVERSE
    assert OFFICIAL_REVERSE == "https://geo.api.vlaanderen.be/geolocation/v4/Location"
    assert reverse_url_for("http://127.0.0.1:8123/") == "http://127.0.0.1:8123/geolocation/v4/Location"
    assert BasisregistersGeocoder("http://x.example", 1, reverse_url="http://y.example/r").reverse_url == \
        "http://y.example/r"


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_server_that_hangs_is_given_up_after_the_time_out(register, mode):
    register.mode = mode
    for ask in (lambda g: g.search("Bruul 12, 2800 Mechelen"), lambda g: g.reverse(51.0262, 4.479)):
        started = time.monotonic()
        with pytest.raises(GeocoderUnavailable):
            ask(remote(register, timeout=1.0))
        assert 0.9 <= time.monotonic() - started < 2.5  # about the time-out, with room for a busy machine


@pytest.mark.parametrize("mode, says", [("garbage", "not JSON"), ("500", "HTTP 500"),
                                         ("shape", "adresMatches|LocationResult")])
def test_a_wrong_answer_is_unavailable_and_nothing_else(register, mode, says):
    register.mode = mode
    with pytest.raises(GeocoderUnavailable, match=says):
        remote(register).search("Bruul 12, 2800 Mechelen")
    with pytest.raises(GeocoderUnavailable, match=says):
        remote(register).reverse(51.0262, 4.479)


def test_a_refused_connection_is_unavailable():
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = BasisregistersGeocoder(f"http://127.0.0.1:{port}", 1.0)
    with pytest.raises(GeocoderUnavailable, match="no answer"):
        gone.search("Bruul 12, 2800 Mechelen")
    with pytest.raises(GeocoderUnavailable, match="no answer"):
        gone.reverse(51.0262, 4.479)


@pytest.mark.parametrize("answer", [
    {"adresMatches": [{"straatnaam": {"straatnaam": {"geografischeNaam": {"spelling": "Bruul"}}},
                       "adresPositie": {"geometrie": {"gml": "<gml:Point>geen positie</gml:Point>"}}}]},
    {"adresMatches": [{"straatnaam": {"straatnaam": {"geografischeNaam": {"spelling": "Bruul"}}},
                       "adresPositie": {"geometrie": {"gml": "<gml:pos>nan nan</gml:pos>"}}}]},
    {"adresMatches": [{"straatnaam": {"straatnaam": {"geografischeNaam": {"spelling": "Bruul"}}},
                       "huisnummer": {"nummer": 12},
                       "adresPositie": {"geometrie": {"gml": "<gml:pos>157000 189000</gml:pos>"}}}]},
    {"adresMatches": [{"adresPositie": {"geometrie": {  # a reference system it does not know
        "gml": '<gml:Point srsName="https://www.opengis.net/def/crs/EPSG/0/25831">'
               '<gml:pos>1 2</gml:pos></gml:Point>'}}}]},
    {"adresMatches": [{"adresPositie": {"geometrie": {"coordinates": "157000 189000"}}}]},
    {"adresMatches": ["Bruul 12"]},
    {"adresMatches": None},
    [],
    "Bruul 12",
])
def test_an_answer_that_is_not_the_documented_one_is_unavailable(monkeypatch, answer):
    geocoder_ = BasisregistersGeocoder("http://register.example", 1.0, municipality="Mechelen")
    monkeypatch.setattr(geocoder_, "_fetch", lambda url: answer)
    with pytest.raises(GeocoderUnavailable):
        geocoder_.search("Bruul 12, 2800 Mechelen")


def test_the_settings_choose_the_geocoder(app, register):
    assert isinstance(geocoder(), OfflineGeocoder)  # the embedded default
    app.config.update(MELDPUNT_GEOCODER="basisregisters", MELDPUNT_GEOCODER_URL=register.url,
                      MELDPUNT_GEOCODER_TIMEOUT=2)
    chosen = geocoder()
    assert isinstance(chosen, BasisregistersGeocoder) and geocoder() is chosen
    assert (chosen.base_url, chosen.timeout, chosen.municipality) == (register.url, 2.0, "Mechelen")
    assert chosen.reverse_url == register.url + "/geolocation/v4/Location"
    assert chosen.search("Bruul 12")[0].label == "Bruul 12, 2800 Mechelen"
    app.config.update(MELDPUNT_GEOCODER_URL="https://api.basisregisters.vlaanderen.be")
    assert geocoder().reverse_url == OFFICIAL_REVERSE
