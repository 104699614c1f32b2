"""The Flemish address register (Basisregisters Vlaanderen, Gebouwen- en Adressenregister) as a Geocoder.

Address search uses the register's address match, `GET {base}/v2/adresmatch` with the parameters
`gemeentenaam`, `postcode`, `straatnaam`, `huisnummer` and `busnummer` (a municipality or a postcode is
required; when the citizen typed neither, the city's own name stands in). It answers JSON-LD:

    {"@context": "...", "adresMatches": [{"identificator": {...}, "detail": "...",
      "gemeente": {"objectId": "12025", "gemeentenaam": {"geografischeNaam": {"spelling": "Mechelen", "taal": "nl"}}},
      "postinfo": {"objectId": "2800"}, "straatnaam": {"straatnaam": {"geografischeNaam": {"spelling": "Bruul"}}},
      "huisnummer": "12", "busnummer": null,
      "volledigAdres": {"geografischeNaam": {"spelling": "Bruul 12, 2800 Mechelen", "taal": "nl"}},
      "adresPositie": {"geometrie": {"type": "Point", "gml": "<gml:Point srsName=\\"https://www.opengis.net/def/crs/EPSG/0/31370\\"
        ...><gml:pos>157524.87 189418.12</gml:pos></gml:Point>"}, "positieGeometrieMethode": "...", ...},
      "adresStatus": "inGebruik", "officieelToegekend": true, "score": 100.0}, ...], "warnings": [...]}

best match first. Positions are Belgian Lambert 72 (EPSG:31370), or Lambert 2008 (EPSG:3812) when the
srsName says so; engine/lambert.py turns them into WGS84. A match without a position (a street without a
house number) is left out.

The register has no reverse lookup (the address nearest a point). For that this module asks the Flemish
government's documented geolocation service (Digitaal Vlaanderen, `GET
https://geo.api.vlaanderen.be/geolocation/v4/Location?latlon=<lat>,<lon>&c=1`), which answers
`{"LocationResult": [{"Municipality", "Zipcode", "Thoroughfarename", "Housenumber", "FormattedAddress",
"Location": {"Lat_WGS84", "Lon_WGS84", "X_Lambert72", "Y_Lambert72"}, ...}]}` from the same address data.
Its URL is derived from the base URL: the official register's host gives the official geolocation
service; any other base (a proxy, a local test server) gives `{base}/geolocation/v4/Location`. Pass
`reverse_url` to choose another.

Every failure (time-out, refused connection, an HTTP error, an answer that is not the JSON described
above) raises GeocoderUnavailable and nothing else; callers then keep what the citizen typed.
"""
from __future__ import annotations

import http.client
import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

from engine.geometry import distance_m, valid_point
from engine.lambert import lambert72_to_wgs84, lambert2008_to_wgs84

from .geocoder_base import MAX_QUERY, REVERSE_MAX_M, Address, GeocoderUnavailable, split_address

OFFICIAL_HOST = "api.basisregisters.vlaanderen.be"
OFFICIAL_REVERSE = "https://geo.api.vlaanderen.be/geolocation/v4/Location"
MAX_ANSWER = 2 * 1024 * 1024  # bytes; an address match answers about 2 kB per match
USER_AGENT = "Meldpunt (meldingen van burgers)"
_POS = re.compile(r"<gml:pos>\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*</gml:pos>")
_SRS = re.compile(r"srsName=\"[^\"]*?(\d{4,5})\"")


def reverse_url_for(base_url: str) -> str:
    """The reverse lookup's URL for a register at `base_url` (see the module's docstring)."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.hostname == OFFICIAL_HOST:
        return OFFICIAL_REVERSE
    return base_url.rstrip("/") + "/geolocation/v4/Location"


def _get(obj: Any, key: str) -> Any:
    """obj[key] for a JSON object (the register writes camelCase; PascalCase is accepted too), else None."""
    if not isinstance(obj, dict):
        return None
    if key in obj:
        return obj[key]
    return obj.get(key[:1].upper() + key[1:])


def _spelling(obj: Any, *path: str) -> str:
    """The `geografischeNaam.spelling` at the end of `path`, as text ('' when absent)."""
    for key in path:
        obj = _get(obj, key)
    value = _get(_get(obj, "geografischeNaam"), "spelling")
    return value.strip() if isinstance(value, str) else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip()
    raise GeocoderUnavailable(f"expected text, got {value!r:.60}")


def position_of(position: Any) -> Optional[tuple[float, float]]:
    """(lat, lon) in WGS84 from an `adresPositie`; None when the match has none."""
    geometry = _get(position, "geometrie") or _get(position, "point")
    if geometry is None:
        return None
    gml = _get(geometry, "gml")
    if isinstance(gml, str):
        found = _POS.search(gml)
        if not found:
            raise GeocoderUnavailable("adresPositie without a gml:pos")
        x, y = float(found.group(1)), float(found.group(2))
        srs = _SRS.search(gml)
        code = srs.group(1) if srs else "31370"
    else:  # the GeoJSON-like form {"type": "Point", "coordinates": [x, y]} of older answers
        coordinates = _get(geometry, "coordinates")
        if not (isinstance(coordinates, list) and len(coordinates) >= 2):
            raise GeocoderUnavailable("adresPositie without coordinates")
        x, y = float(coordinates[0]), float(coordinates[1])
        code = "31370"
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GeocoderUnavailable("adresPositie with coordinates that are not numbers")
    if code == "31370":
        lat, lon = lambert72_to_wgs84(x, y)
    elif code == "3812":
        lat, lon = lambert2008_to_wgs84(x, y)
    elif code == "4326":
        lat, lon = y, x
    else:
        raise GeocoderUnavailable(f"adresPositie in an unknown reference system EPSG:{code}")
    if not valid_point(lat, lon):
        raise GeocoderUnavailable("adresPositie outside the earth")
    return lat, lon


class BasisregistersGeocoder:
    """Search and reverse lookup against the Flemish address register (see the module's docstring)."""

    def __init__(self, base_url: str, timeout: float, reverse_url: Optional[str] = None,
                 municipality: Optional[str] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.reverse_url = reverse_url or reverse_url_for(base_url)
        self.municipality = municipality  # the city's name, asked for when the text names no place

    def _fetch(self, url: str) -> Any:
        """The JSON at `url`, read within the time-out; GeocoderUnavailable on any failure."""
        if not url.startswith(("https://", "http://")):
            raise GeocoderUnavailable(f"not an http(s) URL: {url[:80]!r}")
        deadline = time.monotonic() + self.timeout
        request = urllib.request.Request(url, headers={"Accept": "application/ld+json, application/json",
                                                       "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                chunks, size = [], 0
                while True:
                    if time.monotonic() > deadline:
                        raise GeocoderUnavailable(f"no complete answer within {self.timeout:g} s")
                    chunk = response.read1(16384)  # what has arrived: a trickling answer meets the deadline
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_ANSWER:
                        raise GeocoderUnavailable("the answer is too large")
                    chunks.append(chunk)
            return json.loads(b"".join(chunks).decode("utf-8"))
        except GeocoderUnavailable:
            raise
        except urllib.error.HTTPError as error:
            raise GeocoderUnavailable(f"HTTP {error.code} from {urllib.parse.urlsplit(url).netloc}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:  # time-outs are OSErrors
            raise GeocoderUnavailable(f"no answer: {error}") from None
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise GeocoderUnavailable(f"an answer that is not JSON: {error}"[:200]) from None

    def _query(self, text: str) -> Optional[dict[str, str]]:
        street, number, postcode = split_address(text)
        if not street:
            return None
        _, _, rest = text.partition(",")
        place = re.sub(r"\b\d{4}\b", " ", rest).strip(" ,")
        query = {"straatnaam": street}
        if number:
            query["huisnummer"] = number
        if postcode:
            query["postcode"] = postcode
        if place:
            query["gemeentenaam"] = place
        elif not postcode and self.municipality:
            query["gemeentenaam"] = self.municipality
        if "gemeentenaam" not in query and "postcode" not in query:
            return None  # the register needs a municipality or a postcode
        return query

    def search(self, text: str, limit: int = 5) -> list[Address]:
        if not text or len(text) > MAX_QUERY:
            return []
        query = self._query(text)
        if query is None:
            return []
        answer = self._fetch(f"{self.base_url}/v2/adresmatch?{urllib.parse.urlencode(query)}")
        matches = _get(answer, "adresMatches")
        if not isinstance(matches, list):
            raise GeocoderUnavailable("the answer has no list adresMatches")
        found: list[Address] = []
        try:
            for match in matches:
                if not isinstance(match, dict):
                    raise GeocoderUnavailable("an adresMatch that is not an object")
                point = position_of(_get(match, "adresPositie"))
                if point is None:
                    continue
                street = _spelling(match, "straatnaam", "straatnaam")
                if not street:
                    continue
                found.append(Address(street, _text(_get(match, "huisnummer")),
                                     _text(_get(_get(match, "postinfo"), "objectId")),
                                     _spelling(match, "gemeente", "gemeentenaam"), point[0], point[1]))
                if len(found) >= limit:
                    break
        except (TypeError, ValueError, AttributeError) as error:
            raise GeocoderUnavailable(f"an adresMatch that could not be read: {error}"[:200]) from None
        return found

    def reverse(self, lat: float, lon: float) -> Optional[Address]:
        if not valid_point(lat, lon):
            return None
        query = urllib.parse.urlencode({"latlon": f"{lat:.6f},{lon:.6f}", "c": 1})
        answer = self._fetch(f"{self.reverse_url}?{query}")
        results = _get(answer, "LocationResult")
        if not isinstance(results, list):
            raise GeocoderUnavailable("the answer has no list LocationResult")
        try:
            for result in results:
                location = _get(result, "Location")
                found_lat, found_lon = _get(location, "Lat_WGS84"), _get(location, "Lon_WGS84")
                if not valid_point(found_lat, found_lon):
                    raise GeocoderUnavailable("a LocationResult without a WGS84 position")
                street = _text(_get(result, "Thoroughfarename"))
                if not street:
                    continue  # a municipality or a parcel, not an address
                if distance_m(lat, lon, found_lat, found_lon) > REVERSE_MAX_M:
                    return None
                return Address(street, _text(_get(result, "Housenumber")), _text(_get(result, "Zipcode")),
                               _text(_get(result, "Municipality")), float(found_lat), float(found_lon))
        except (TypeError, ValueError, AttributeError) as error:
            raise GeocoderUnavailable(f"a LocationResult that could not be read: {error}"[:200]) from None
        return None
