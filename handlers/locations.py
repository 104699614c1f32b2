"""Completing a melding's place when it is registered: the address for a point, the point for an address.

The melding schema (intake/melding_schema.py) has checked the form of the place already: coordinates in
range and inside the city, an address with letters and of at most 300 characters. What is left never
refuses a melding:

- a point inside the city is checked (`location_checked=True`); without an address, the address nearest
  to it is filled in when the geocoder knows one (a geocoder that cannot answer leaves it empty);
- an address without a point is looked up: a confident match (the same street and house number, inside
  the city) gives the point and `location_checked=True`; no match, a match outside the city, or a
  geocoder that fails or hangs (it gives up after MELDPUNT_GEOCODER_TIMEOUT seconds) keeps the typed
  address, `location_checked=False`, and an internal note on the timeline that says why ("Adres niet
  gecontroleerd: ...").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from .city_boundary import city_name, in_city
from .geocoding import Address, GeocoderUnavailable, fold, geocoder, split_address

log = logging.getLogger(__name__)

UNCHECKED = "Adres niet gecontroleerd: {reason}"


@dataclass(frozen=True)
class Place:
    """Where the melding is, as the case keeps it, and the internal note when the address was not checked."""

    address: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    checked: Optional[bool]
    note: Optional[str] = None


def confident(typed: str, matches: list[Address]) -> Optional[Address]:
    """The first match that is the typed address: same street (without case, accents, punctuation), the
    typed house number, and the typed postcode when one was typed. A street without a number is not enough."""
    street, number, postcode = split_address(typed)
    if not number:
        return None
    for match in matches:
        if fold(match.street) == fold(street) and match.number.lower() == number.lower() \
                and (postcode is None or match.postcode == postcode):
            return match
    return None


def _unchecked(address: str, reason: str) -> Place:
    return Place(address, None, None, False, UNCHECKED.format(reason=reason))


def locate(location: Optional[dict[str, Any]]) -> Place:
    """The place to keep for a melding whose checked location is `location` (address, lat, lon)."""
    location = location or {}
    address = location.get("address") or None
    lat, lon = location.get("lat"), location.get("lon")
    if lat is not None and lon is not None:
        if not address:
            try:
                found = geocoder().reverse(lat, lon)
            except GeocoderUnavailable as error:
                log.warning("reverse geocoding %.5f,%.5f failed: %s", lat, lon, error)
                found = None
            address = found.label if found is not None else None
        return Place(address, lat, lon, True)
    if not address:
        return Place(None, None, None, None)
    try:
        matches = geocoder().search(address, limit=5)
    except GeocoderUnavailable as error:
        log.warning("geocoding an address failed: %s", error)
        return _unchecked(address, f"het adresregister gaf geen antwoord ({error}).")
    match = confident(address, matches)
    if match is None:
        _, number, _ = split_address(address)
        if not number:
            return _unchecked(address, "er staat geen huisnummer in, dus de plaats op de kaart is niet bekend.")
        return _unchecked(address, "het adres werd niet gevonden in het adresregister.")
    if not in_city(match.lat, match.lon):
        return _unchecked(address, f"het gevonden adres ({match.label}) ligt buiten {city_name()}.")
    return Place(address, match.lat, match.lon, True)
