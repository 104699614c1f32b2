"""The one melding schema: what every channel (public form, staff API, Open311) accepts as a new melding.

One set of limits for every channel (issue #12): a description of 10 to 5000 characters (the public form's
minimum, the form's and the API's maximum; Open311 takes more than GeoReport v2's 4000, which harms no
client), an address of at most 300, a name of at most 200, an e-mail address of at most 254 characters
checked by email-validator, a phone number of digits, spaces and + ( ) . / - with at least 6 digits, and
lat and lon in WGS-84 degrees, both or neither.

Every message is a `Problem`: the Dutch text (what the staff API returns), its template and parameters
(the public form translates them; `limit` is the limit broken, where there is one) and a code (Open311
words its own English errors from it). Channels differ only where their users need it: Open311 may leave
the description out (the service name stands in), the public form and Open311 need a place, the public
form needs a way to reach the reporter.

Where the problem is, on every channel: an address has letters, and a point lies inside the city's
boundary (`in_city`; the message names the city). What the address register makes of the address is not
the schema's business: handlers/locations.py looks it up when the melding is registered, and a failure
there never refuses a melding.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Optional

from email_validator import EmailNotValidError, validate_email
from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from handlers.case_kinds import CHANNELS
from handlers.city_boundary import city_name, in_city

MIN_DESCRIPTION, MAX_DESCRIPTION = 10, 5000
MAX_ADDRESS, MAX_NAME, MAX_EMAIL, MAX_PHONE = 300, 200, 254, 30
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
MIN_PHONE_DIGITS = 6
LANGUAGES = ("nl", "en")
LATITUDE, LONGITUDE = ("breedtegraad", 90, "51,0278"), ("lengtegraad", 180, "4,4777")


class Problem(str):
    """A validation message: the Dutch text, plus the code, template and parameters it was made from."""

    code: str
    template: str
    params: dict[str, Any]

    def __new__(cls, code: str, template: str, **params: Any) -> Problem:
        problem = super().__new__(cls, template.format(**params))
        problem.code, problem.template, problem.params = code, template, params
        return problem

    def format(self, *args: Any, **kwargs: Any) -> Problem:
        return self  # marshmallow formats its messages; a Problem is worded already

    def __copy__(self) -> Problem:
        return self

    def __deepcopy__(self, memo: dict) -> Problem:
        return self


def fail(code: str, template: str, **params: Any) -> ValidationError:
    return ValidationError(Problem(code, template, **params))


class Text(fields.String):
    """Text without the spaces around it; empty text is None. Longer than `max_length`: `too_long(limit, length)`."""

    def __init__(self, *, max_length: int, too_long: Callable[[int, int], Problem], **kwargs: Any) -> None:
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", None)
        kwargs.setdefault("metadata", {})["maxLength"] = max_length
        super().__init__(allow_none=True, **kwargs)
        self.max_length, self.too_long = max_length, too_long

    def _deserialize(  # type: ignore[override]  # empty text loads as None (allow_none)
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[str]:
        if not isinstance(value, str):
            raise fail("text", "Geef tekst.")
        value = value.strip()
        if len(value) > self.max_length:
            raise ValidationError(self.too_long(self.max_length, len(value)))
        return value or None


class Coordinate(fields.Float):
    """A latitude or longitude in degrees: a number, or text with a decimal point or comma."""

    def __init__(self, axis: tuple[str, int, str], **kwargs: Any) -> None:
        super().__init__(allow_none=True, load_default=None, metadata={"minimum": -axis[1], "maximum": axis[1]},
                         **kwargs)
        self.label, self.limit, self.example = axis

    def _deserialize(  # type: ignore[override]  # an empty coordinate loads as None (allow_none)
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[float]:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
            if not value:
                return None
        try:
            if isinstance(value, bool):
                raise TypeError(value)
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise fail("number", "Geef een getal, bijvoorbeeld {example}.", example=self.example) from None
        if not math.isfinite(number) or abs(number) > self.limit:
            raise fail("range", "De {label} ligt tussen -{limit} en {limit}.", label=self.label, limit=self.limit)
        return number


class LocationSchema(Schema):
    """Where the problem is: an address, coordinates (both or neither), or both."""

    class Meta:
        unknown = RAISE

    address = Text(max_length=MAX_ADDRESS, too_long=lambda limit, _length: Problem(
        "too_long", "Het adres is te lang (maximaal {count} tekens).", count=limit, limit=limit),
        validate=lambda text: address_with_letters(text))
    lat = Coordinate(LATITUDE)
    lon = Coordinate(LONGITUDE)

    @validates_schema
    def both_or_neither(self, data: dict, **kwargs: Any) -> None:
        if (data.get("lat") is None) != (data.get("lon") is None):
            missing = "lon" if data.get("lon") is None else "lat"
            raise ValidationError({missing: [Problem(
                "pair", "Geef breedtegraad en lengtegraad allebei, of laat ze allebei leeg.")]})


def address_with_letters(text: Optional[str]) -> None:
    """An address names a street or a place: text without a single letter ("!!!", an emoji, "12") is not one."""
    if text and not any(ch.isalpha() for ch in text):
        raise fail("letters", "Dit is geen adres. Geef een straat en huisnummer of een plaats, bijvoorbeeld "
                              "Bruul 12.")


def outside_city(lat: Optional[float], lon: Optional[float]) -> Optional[Problem]:
    """The problem with a point outside the city's boundary (MELDPUNT_CITY_BOUNDARY), naming the city; else None."""
    if lat is None or lon is None or in_city(lat, lon):
        return None
    return Problem("outside", "Deze plaats ligt buiten {city}. Via dit meldpunt meldt u alleen problemen in {city}.",
                   city=city_name())


class ReporterSchema(Schema):
    """Who reported it; every field may be left out."""

    class Meta:
        unknown = RAISE

    name = Text(max_length=MAX_NAME, too_long=lambda limit, _length: Problem(
        "too_long", "Uw naam is te lang (maximaal {count} tekens).", count=limit, limit=limit))
    email = Text(max_length=MAX_EMAIL, too_long=lambda limit, _length: Problem(
        "too_long", "Dit e-mailadres is te lang.", count=limit, limit=limit))
    phone = Text(max_length=MAX_PHONE, too_long=lambda _limit, _length: bad_phone())
    language = fields.String(load_default="nl")

    @validates_schema(skip_on_field_errors=False)
    def check(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, list[Problem]] = {}
        if data.get("email"):
            try:
                data["email"] = checked_email(data["email"])
            except ValidationError as err:
                errors["email"] = err.messages  # type: ignore[assignment]
        phone = data.get("phone")
        if phone and (not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < MIN_PHONE_DIGITS):
            errors["phone"] = [bad_phone()]
        if "language" in data and data["language"] not in LANGUAGES:
            errors["language"] = [Problem("choice", "Kies nl of en.")]
        if errors:
            raise ValidationError(errors)


def bad_phone() -> Problem:
    return Problem("phone", "Dit telefoonnummer klopt niet. Gebruik alleen cijfers, spaties en +, bijvoorbeeld "
                            "015 12 34 56.")


def checked_email(address: str) -> str:
    """The address normalised by email-validator (syntax only: no DNS lookups), or a Dutch ValidationError."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise fail("email", "Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be.") from None


class MeldingSchema(Schema):
    """A new melding from any channel. `require_location`: an address or coordinates must be given."""

    class Meta:
        unknown = RAISE

    description = Text(required=True, max_length=MAX_DESCRIPTION,
                       too_long=lambda limit, length: Problem(
                           "too_long", "Uw beschrijving is te lang: {count} tekens, maximaal {max} tekens.",
                           count=length, max=limit, limit=limit),
                       metadata={"minLength": MIN_DESCRIPTION},
                       error_messages={"required": Problem("required", "Beschrijf het probleem."),
                                       "null": Problem("required", "Beschrijf het probleem.")})
    category = fields.String(load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, load_default=dict)
    reporter = fields.Nested(ReporterSchema, load_default=dict)
    channel = fields.String(required=True, metadata={"enum": list(CHANNELS)})

    def __init__(self, *, require_location: bool = False, in_city: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.require_location, self.in_city = require_location, in_city

    @validates_schema(skip_on_field_errors=False)
    def check(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        if "description" in data:  # absent: left out (Open311 may) or refused by its field already
            description = data.get("description") or ""
            if not description:
                errors["description"] = [Problem("required", "Beschrijf het probleem.")]
            elif len(description) < MIN_DESCRIPTION:
                errors["description"] = [Problem("too_short", "Beschrijf het probleem in minstens {count} tekens.",
                                                 count=MIN_DESCRIPTION, limit=MIN_DESCRIPTION)]
        if "channel" in data and data["channel"] not in CHANNELS:
            errors["channel"] = [Problem("choice", "Kies een kanaal uit de lijst.")]
        place = data.get("location")
        if self.require_location and isinstance(place, dict) and not place.get("address") \
                and place.get("lat") is None:
            errors["location"] = {"address": [Problem("place", "Vul het adres of de plaats in waar het probleem is.")]}
        elif self.in_city and isinstance(place, dict):
            outside = outside_city(place.get("lat"), place.get("lon"))
            if outside is not None:  # on the latitude: the form shows it with the coordinates
                errors["location"] = {"lat": [outside]}
        if errors:
            raise ValidationError(errors)


def problems(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Marshmallow's nested error messages as (field path, message) pairs, in order."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            found.extend(problems(value, path + (str(key),)))
        return found
    if isinstance(messages, list):
        found = []
        for message in messages:
            found.extend(problems(message, path) if isinstance(message, (dict, list)) else [(path, message)])
        return found
    return [(path, messages)]
