"""What every geocoder shares (handlers/geocoding.py chooses one): the Address it answers, the error it raises
when it cannot answer, its protocol, and reading typed addresses. Kept apart so that each geocoder module
can use them without importing the module that chooses between them."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Protocol

REVERSE_MAX_M = 250.0  # further from any known address, a point has no address
MAX_QUERY = 300  # longer typed text is not an address: no lookup is tried


@dataclass(frozen=True)
class Address:
    """One address with its position (WGS84)."""

    street: str
    number: str
    postcode: str
    municipality: str
    lat: float
    lon: float

    @property
    def label(self) -> str:
        """As a citizen writes it: "Grote Markt 1, 2800 Mechelen"."""
        place = " ".join(p for p in (self.postcode, self.municipality) if p)
        first = " ".join(p for p in (self.street, self.number) if p)
        return f"{first}, {place}" if place else first

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "street": self.street, "number": self.number, "postcode": self.postcode,
                "municipality": self.municipality, "lat": self.lat, "lon": self.lon}


class GeocoderUnavailable(RuntimeError):
    """The geocoder could not answer (time-out, connection refused, an answer it could not read)."""


class Geocoder(Protocol):
    def search(self, text: str, limit: int = 5) -> list[Address]:
        """Addresses matching typed text, best first (empty: none); GeocoderUnavailable when it cannot tell."""
        ...

    def reverse(self, lat: float, lon: float) -> Optional[Address]:
        """The address nearest the point (None: none near); GeocoderUnavailable when it cannot tell."""
        ...


def fold(text: str) -> str:
    """Text compared without case, accents and punctuation: "Onze-Lieve-Vrouwestraat" ~ "onze lieve vrouwestraat"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


_NUMBER = re.compile(r"^(?P<street>.*?)\s*(?P<number>\d+\s*[a-zA-Z]?(?:\s*(?:bus|/)\s*\w+)?)?\s*$")


def split_address(text: str) -> tuple[str, Optional[str], Optional[str]]:
    """(street, house number, postcode) from "Bruul 12, 2800 Mechelen"; parts not there are None."""
    first, _, rest = text.partition(",")
    postcode = None
    found = re.search(r"\b(\d{4})\b", rest)
    if found:
        postcode = found.group(1)
    match = _NUMBER.match(first.strip())
    street = (match.group("street") if match else first).strip()
    number = match.group("number") if match else None
    if number:
        number = re.split(r"\s*(?:bus|/)\s*", number.replace(" ", ""), maxsplit=1)[0]
    return street, number or None, postcode
