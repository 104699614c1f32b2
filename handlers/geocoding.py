"""Address lookup behind one small interface: suggestions for typed text, and the address nearest a point.

Two geocoders implement it, chosen by MELDPUNT_GEOCODER: `offline` (this module: a CSV of the city's
streets and house numbers with coordinates, the embedded default; the demo ships a Mechelen sample in
handlers/data) and `basisregisters` (handlers/geocoder_basisregisters.py: the Flemish address register).
A geocoder that cannot answer raises GeocoderUnavailable; callers then keep what the citizen typed and
mark the address "niet gecontroleerd" (handlers/locations.py), never an error for the citizen. The pieces
every geocoder shares (Address, GeocoderUnavailable, the protocol) live in handlers/geocoder_base.py and
are importable from here as before.
"""
from __future__ import annotations

import csv
import threading
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from engine.geometry import distance_m, valid_point
from engine.settings import settings

from .geocoder_base import MAX_QUERY, REVERSE_MAX_M, Address, Geocoder, GeocoderUnavailable, fold, split_address

DEMO_ADDRESSES = Path(__file__).with_name("data") / "mechelen_addresses.csv"

__all__ = ["MAX_QUERY", "REVERSE_MAX_M", "Address", "Geocoder", "GeocoderUnavailable", "OfflineGeocoder",
           "check_address_csv", "fold", "geocoder", "split_address"]


class OfflineGeocoder:
    """Looks up addresses in a CSV (street, number, postcode, municipality, lat, lon) kept in memory."""

    CELL = 200.0  # grid cells of about 550 m (lat) by 350 m (lon) for the nearest-address search

    def __init__(self, path: Path) -> None:
        self.path = path
        self.addresses: list[Address] = []
        self.by_street: dict[str, list[Address]] = {}
        self.cells: dict[tuple[int, int], list[Address]] = {}
        with path.open(newline="", encoding="utf-8") as source:
            for row in csv.DictReader(source):
                address = Address(row["street"].strip(), row["number"].strip(), row["postcode"].strip(),
                                  row["municipality"].strip(), float(row["lat"]), float(row["lon"]))
                if not address.street or not valid_point(address.lat, address.lon):
                    raise ValueError(f"line {len(self.addresses) + 2}: no street, or lat/lon not in WGS84 degrees")
                self.addresses.append(address)
                self.by_street.setdefault(fold(address.street), []).append(address)
                self.cells.setdefault(self._cell(address.lat, address.lon), []).append(address)
        self.streets = sorted(self.by_street)
        if not self.addresses:
            raise ValueError("no addresses in it")

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return int(lat * self.CELL // 1), int(lon * self.CELL // 1)

    def search(self, text: str, limit: int = 5) -> list[Address]:
        if not text or len(text) > MAX_QUERY:
            return []
        street, number, postcode = split_address(text)
        wanted = fold(street)
        if not wanted:
            return []
        found: list[Address] = []
        for key in self._matching_streets(wanted):
            rows = self.by_street[key]
            if postcode:
                rows = [a for a in rows if a.postcode == postcode] or rows
            if number:
                lowered = number.lower()
                exact = [a for a in rows if a.number.lower() == lowered]
                found.extend(exact or [a for a in rows if a.number.startswith(number)][:limit])
            else:
                found.append(rows[0])
            if len(found) >= limit:
                break
        return found[:limit]

    def _matching_streets(self, wanted: str) -> Iterator[str]:
        """The streets starting with `wanted` (found by bisection in the sorted names), then those holding it
        elsewhere, both in name order; the second scan of every name runs only if the caller asks for more."""
        first = bisect_left(self.streets, wanted)
        end = first
        while end < len(self.streets) and self.streets[end].startswith(wanted):
            end += 1
        yield from self.streets[first:end]
        yield from (s for s in self.streets if wanted in s and not s.startswith(wanted))

    def reverse(self, lat: float, lon: float) -> Optional[Address]:
        row, col = self._cell(lat, lon)
        best: Optional[tuple[float, Address]] = None
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for address in self.cells.get((row + dr, col + dc), ()):
                    d = distance_m(lat, lon, address.lat, address.lon)
                    if best is None or d < best[0]:
                        best = (d, address)
        return best[1] if best is not None and best[0] <= REVERSE_MAX_M else None


_loaded: dict[tuple[str, str, float], Geocoder] = {}
_lock = threading.Lock()


def check_address_csv(path: Optional[str]) -> None:
    """Read the offline geocoder's file now (start-up), so that a missing or bad file stops the start."""
    _offline(path)


def _offline(path: Optional[str]) -> Geocoder:
    key = ("offline", path or "", 0)
    with _lock:
        if key not in _loaded:
            _loaded[key] = OfflineGeocoder(Path(path) if path else DEMO_ADDRESSES)
        return _loaded[key]


def geocoder() -> Geocoder:
    """The geocoder the settings choose (one per configuration, shared by the threads of a process)."""
    config = settings()
    if config.geocoder == "basisregisters":
        key = ("basisregisters", config.geocoder_url, config.geocoder_timeout)
        with _lock:
            if key not in _loaded:
                from .city_boundary import named_city
                from .geocoder_basisregisters import BasisregistersGeocoder

                _loaded[key] = BasisregistersGeocoder(config.geocoder_url, config.geocoder_timeout,
                                                      municipality=named_city())
            return _loaded[key]
    return _offline(config.address_csv)
