"""The rules for registering a scanned letter (what the postkamer types on /werk/post/nieuw), as a marshmallow
schema; the scan itself is checked by intake/post_intake.py.

Messages are Dutch: the postkamer reads them next to the field (English in the catalogues of web/translations;
a message with a limit is a Phrase, translated by its template).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Optional, cast

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validates_schema

from engine.clock import utcnow
from engine.i18n import N_, Phrase
from engine.ids import parse_id

from .calendar import CITY_TZ
from .files import MAX_BYTES
from .groups import group_by_key
from .people_schemas import staff_email
from .post_deadlines import MAX_DAYS, Term, default_term
from .post_models import DEADLINE_UNITS, LETTER_KINDS

MAX_SCAN_MB = MAX_BYTES // (1024 * 1024)
MAX_NAME, MAX_ADDRESS, MAX_EMAIL, MAX_SUBJECT = 200, 1000, 254, 300

MSG = {
    "name": N_("Vul de naam van de afzender in."),
    "name_long": Phrase(N_("De naam is te lang (maximaal {max} tekens)."), max=MAX_NAME),
    "address": N_("Vul het adres van de afzender in: het antwoord gaat per brief."),
    "address_long": Phrase(N_("Het adres is te lang (maximaal {max} tekens)."), max=MAX_ADDRESS),
    "email": N_("Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be."),
    "date": N_("Geef een datum, bijvoorbeeld 2026-12-02."),
    "received": N_("Vul de datum van ontvangst in."),
    "received_future": N_("De datum van ontvangst ligt in de toekomst."),
    "written_after": N_("De brief kan niet geschreven zijn na de datum van ontvangst."),
    "subject": N_("Vul het onderwerp van de brief in."),
    "subject_long": Phrase(N_("Het onderwerp is te lang (maximaal {max} tekens)."), max=MAX_SUBJECT),
    "kind": N_("Kies het soort brief: vraag, klacht, bezwaar, factuur of ter informatie."),
    "scan": N_("Voeg de scan van de brief toe (een PDF-bestand)."),
    "scan_empty": N_("Het gekozen bestand is leeg. Scan de brief opnieuw."),
    "scan_big": Phrase(N_("De scan is te groot (maximaal {max} MB). Scan met een lagere resolutie of in grijstinten."),
                       max=MAX_SCAN_MB),
    "scan_type": N_("Dit bestand is geen PDF. Kies de scan als PDF-bestand."),
    "scan_broken": N_("Deze PDF kan niet geopend worden (beschadigd of beveiligd). Scan de brief opnieuw."),
    "scan_pages": N_("Deze PDF heeft geen pagina's. Scan de brief opnieuw."),
    "group": N_("Kies een actieve behandelaarsgroep."),
    "group_none": N_("Kies een behandelaarsgroep: de routeringsregels stellen er geen voor bij dit onderwerp."),
    "days": Phrase(N_("Geef de antwoordtermijn als een aantal dagen van 1 tot {max}."), max=MAX_DAYS),
    "unit": N_("Kies kalenderdagen of werkdagen."),
}


def local_today() -> date:
    """Today in the city's time zone."""
    return utcnow().astimezone(CITY_TZ).date()


class Line(fields.String):
    """Required text of at most `limit` characters."""

    def __init__(self, limit: int, missing: str, long: str, **kwargs: Any) -> None:
        super().__init__(load_default="", validate=self._check, **kwargs)
        self.limit, self.missing, self.long = limit, MSG[missing], MSG[long]

    def _check(self, value: str) -> None:
        if not value:
            raise ValidationError(self.missing)
        if len(value) > self.limit:
            raise ValidationError(self.long)


class Day(fields.String):
    """An ISO date (2026-12-02); empty is None."""

    def _deserialize(  # type: ignore[override]  # a String field that loads a date (None when empty)
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[date]:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError(MSG["date"]) from None


class RegistrationSchema(Schema):
    """A letter as the postkamer registers it. `suggest(subject)`: the routing rules' group key for it, or None."""

    class Meta:
        unknown = EXCLUDE

    sender_name = Line(MAX_NAME, "name", "name_long")
    sender_address = Line(MAX_ADDRESS, "address", "address_long")
    sender_email = fields.String(load_default="")
    received_on = Day(load_default=None, allow_none=True)
    written_on = Day(load_default=None, allow_none=True)
    subject = Line(MAX_SUBJECT, "subject", "subject_long")
    kind = fields.String(load_default="")
    registered_mail = fields.String(load_default="")
    group = fields.String(load_default="")
    deadline_days = fields.String(load_default="")
    deadline_unit = fields.String(load_default="")

    def __init__(self, *, suggest: Callable[[str], Optional[str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suggest = suggest

    @pre_load
    def strip(self, data: Any, **kwargs: Any) -> dict:
        return {k: (v or "").strip() if isinstance(v, (str, type(None))) else v for k, v in dict(data).items()}

    @validates_schema(skip_on_field_errors=False)
    def check(self, data: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("sender_email"):
            try:
                data["sender_email"] = staff_email(data["sender_email"])
            except ValidationError:
                errors["sender_email"] = [MSG["email"]]
        received, written = data.get("received_on"), data.get("written_on")
        if "received_on" in data and received is None:
            errors["received_on"] = [MSG["received"]]
        elif received is not None and received > local_today():
            errors["received_on"] = [MSG["received_future"]]
        if written is not None and received is not None and written > received:
            errors["written_on"] = [MSG["written_after"]]
        if data["kind"] not in LETTER_KINDS:
            errors["kind"] = [MSG["kind"]]
        else:
            data["term"] = self._term(data, errors)
        group = group_by_key(data["group"] or self.suggest(data.get("subject") or ""))
        if group is None or group.kind != "internal":
            errors["group"] = [MSG["group"] if data["group"] else MSG["group_none"]]
        else:
            data["group_key"] = group.key
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _term(data: dict, errors: dict[str, list[str]]) -> Optional[Term]:
        kind = data["kind"]
        if kind == "ter_info":
            return None
        default = cast(Term, default_term(kind))  # every kind but ter_info (above) has a default term
        unit = data["deadline_unit"] or default.unit
        if unit not in DEADLINE_UNITS:
            errors["deadline_unit"] = [MSG["unit"]]
        days = data["deadline_days"]
        if not days:
            return default if unit == default.unit else Term(default.days, unit)
        if parse_id(days) is None or not 0 < int(days) <= MAX_DAYS:
            errors["deadline_days"] = [MSG["days"]]
            return None
        return Term(int(days), unit)

    @post_load
    def clean(self, data: dict, **kwargs: Any) -> dict:
        return {"sender_name": data["sender_name"], "sender_address": data["sender_address"],
                "sender_email": data["sender_email"] or None, "received_on": data["received_on"],
                "written_on": data["written_on"], "subject": data["subject"], "kind": data["kind"],
                "registered_mail": data["registered_mail"] in ("1", "on", "ja", "true"),
                "group_key": data["group_key"], "term": data.get("term")}
