"""A local stand-in for the Flemish address register and the geolocation service, answering in their documented
formats (handlers/geocoder_basisregisters.py quotes them), with switches for the ways a remote service fails.

`running_register()` runs it on a free port in a thread: `register.url` is the base URL for
BasisregistersGeocoder, `register.mode` is "ok", "hang" (answers nothing until the test ends), "trickle"
(a byte at a time), "garbage" (not JSON), "500", "shape" (JSON, but not the answer described), and
`register.requests` lists the paths with their query strings that were asked.
"""
from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from engine.geometry import distance_m
from engine.lambert import lambert72_to_wgs84
from handlers.geocoding import fold


def lambert72_of(lat: float, lon: float) -> tuple[float, float]:
    """Easting and northing in Lambert 72 for a WGS84 point: Newton's method on engine/lambert.py's inverse
    (the register answers in Lambert 72; the conversion itself is tested against known points)."""
    x, y = 150_000.0, 190_000.0
    for _ in range(20):
        la, lo = lambert72_to_wgs84(x, y)
        dx_lat, dx_lon = (a - b for a, b in zip(lambert72_to_wgs84(x + 1, y), (la, lo), strict=True))
        dy_lat, dy_lon = (a - b for a, b in zip(lambert72_to_wgs84(x, y + 1), (la, lo), strict=True))
        det = dx_lat * dy_lon - dy_lat * dx_lon
        e_lat, e_lon = lat - la, lon - lo
        x += (e_lat * dy_lon - dy_lat * e_lon) / det
        y += (dx_lat * e_lon - e_lat * dx_lon) / det
    return round(x, 2), round(y, 2)


@dataclass
class Known:
    street: str
    number: str
    postcode: str
    municipality: str
    lat: float
    lon: float

    @property
    def x_y(self) -> tuple[float, float]:
        return lambert72_of(self.lat, self.lon)


ADDRESSES = [
    Known("Bruul", "12", "2800", "Mechelen", 51.02620, 4.47900),
    Known("Bruul", "14", "2800", "Mechelen", 51.02630, 4.47920),
    Known("Onze-Lieve-Vrouwestraat", "5", "2800", "Mechelen", 51.02280, 4.47880),
    Known("Keizerstraat", "1", "2000", "Antwerpen", 51.22050, 4.40800),  # outside Mechelen
]
# Korte Lozanastraat, Antwerpen, as the geolocation service gives it in Lambert 72 and in WGS84.
LOZANA = {"x": 152751.98, "y": 209640.76, "lat": 51.196736398586616, "lon": 4.408126870334539}
CONTEXT = "https://docs.basisregisters.vlaanderen.be/context/adres/2023-03-13/adresmatch.jsonld"


def adres_match(known: Known, score: float, x: float | None = None, y: float | None = None) -> dict:
    """One item of `adresMatches` as the register writes it."""
    if x is None or y is None:
        x, y = known.x_y
    return {
        "@type": "Adres",
        "identificator": {"id": "https://data.vlaanderen.be/id/adres/1", "naamruimte": "https://data.vlaanderen.be/id/adres",
                          "objectId": "1", "versieId": "2023-03-13T10:00:00+01:00"},
        "detail": "https://api.basisregisters.vlaanderen.be/v2/adressen/1",
        "gemeente": {"objectId": "12025", "detail": "https://api.basisregisters.vlaanderen.be/v2/gemeenten/12025",
                     "gemeentenaam": {"geografischeNaam": {"spelling": known.municipality, "taal": "nl"}}},
        "postinfo": {"objectId": known.postcode,
                     "detail": f"https://api.basisregisters.vlaanderen.be/v2/postinfo/{known.postcode}"},
        "straatnaam": {"objectId": "7", "detail": "https://api.basisregisters.vlaanderen.be/v2/straatnamen/7",
                       "straatnaam": {"geografischeNaam": {"spelling": known.street, "taal": "nl"}}},
        "huisnummer": known.number,
        "busnummer": None,
        "volledigAdres": {"geografischeNaam": {
            "spelling": f"{known.street} {known.number}, {known.postcode} {known.municipality}", "taal": "nl"}},
        "adresPositie": {
            "geometrie": {"type": "Point", "gml": (
                '<gml:Point srsName="https://www.opengis.net/def/crs/EPSG/0/31370" '
                f'xmlns:gml="http://www.opengis.net/gml/3.2"><gml:pos>{x:.2f} {y:.2f}</gml:pos></gml:Point>')},
            "positieGeometrieMethode": "aangeduidDoorBeheerder", "positieSpecificatie": "gebouw"},
        "adresStatus": "inGebruik",
        "officieelToegekend": True,
        "score": score,
    }


def street_match(street: str) -> dict:
    """A match on the street alone (no house number): the register gives no position for it."""
    return {"@type": "Adres", "gemeente": {"objectId": "12025", "gemeentenaam": {"geografischeNaam": {
        "spelling": "Mechelen", "taal": "nl"}}}, "straatnaam": {"objectId": "7", "straatnaam": {
            "geografischeNaam": {"spelling": street, "taal": "nl"}}}, "score": 70.0}


def answer_adresmatch(query: dict[str, str]) -> dict:
    street, number = fold(query.get("straatnaam", "")), query.get("huisnummer")
    place = fold(query.get("gemeentenaam", "")) or None
    postcode = query.get("postcode")
    if fold(street) == "korte lozanastraat":
        known = Known("Korte Lozanastraat", number or "1", "2018", "Antwerpen", LOZANA["lat"], LOZANA["lon"])
        return {"@context": CONTEXT, "adresMatches": [adres_match(known, 100.0, LOZANA["x"], LOZANA["y"])],
                "warnings": []}
    matches = []
    for known in ADDRESSES:
        if not fold(known.street).startswith(street):
            continue
        if (place and place != fold(known.municipality)) or (postcode and postcode != known.postcode):
            continue
        if number is None:
            matches.append(street_match(known.street))
            break
        if known.number == number:
            matches.append(adres_match(known, 100.0))
    warnings = [] if matches else [{"code": "", "message": "Onbekende straatnaam."}]
    return {"@context": CONTEXT, "adresMatches": matches, "warnings": warnings}


def answer_location(query: dict[str, str]) -> dict:
    lat, lon = (float(v) for v in query["latlon"].split(","))
    nearest = min(ADDRESSES, key=lambda k: distance_m(lat, lon, k.lat, k.lon))
    x, y = nearest.x_y
    return {"LocationResult": [{
        "Municipality": nearest.municipality, "Zipcode": nearest.postcode, "Thoroughfarename": nearest.street,
        "Housenumber": nearest.number, "ID": 1,
        "FormattedAddress": f"{nearest.street} {nearest.number}, {nearest.postcode} {nearest.municipality}",
        "Location": {"Lat_WGS84": nearest.lat, "Lon_WGS84": nearest.lon, "X_Lambert72": x, "Y_Lambert72": y},
        "LocationType": "crab_huisnummer_afgeleidVanGebouw",
        "BoundingBox": {"LowerLeft": {"Lat_WGS84": nearest.lat, "Lon_WGS84": nearest.lon, "X_Lambert72": x,
                                      "Y_Lambert72": y},
                        "UpperRight": {"Lat_WGS84": nearest.lat, "Lon_WGS84": nearest.lon, "X_Lambert72": x,
                                       "Y_Lambert72": y}}}]}


SHAPES = {"/v2/adresmatch": {"adresMatches": {"0": "geen lijst"}},
          "/geolocation/v4/Location": {"LocationResult": [{"Location": {"Lat_WGS84": "noord"}}]}}


class RegisterServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = "ok"
        self.requests: list[str] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: RegisterServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server = self.server
        server.requests.append(self.path)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if server.mode == "hang":
            server.release.wait(30)
            return
        if server.mode == "500":
            self.send(500, b'{"title": "Internal Server Error"}')
            return
        if server.mode == "garbage":
            self.send(200, b"<html>Even geduld, onderhoud</html>")
            return
        if server.mode == "shape":
            self.send(200, json.dumps(SHAPES.get(parts.path, [])).encode())
            return
        if parts.path == "/v2/adresmatch":
            body = answer_adresmatch(query)
        elif parts.path == "/geolocation/v4/Location":
            body = answer_location(query)
        else:
            self.send(404, b'{"title": "Not Found"}')
            return
        data = json.dumps(body).encode()
        if server.mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for byte in data:
                if server.release.wait(0.2):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            return
        self.send(200, data)

    def send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/ld+json" if status == 200 else "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def running_register() -> Iterator[RegisterServer]:
    """The server on a free port of 127.0.0.1 in a thread, stopped (and any hanging answer released) after."""
    server = RegisterServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def assert_close(found: tuple[float, float], lat: float, lon: float, metres: float = 0.5) -> None:
    assert distance_m(found[0], found[1], lat, lon) < metres, (found, lat, lon)
    assert not math.isnan(found[0])
