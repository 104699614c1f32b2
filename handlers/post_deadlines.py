"""Answer deadlines of incoming post: a default per kind of letter, counted from the day it was received.

The defaults (setting MELDPUNT_POST_DEADLINES, "kind=days" pairs; "20w" means working days) are:

* klacht 45 calendar days: the term of the Flemish right to complain (decreet van 1 juni 2001 betreffende
  het klachtrecht ten aanzien van bestuursinstanties), which the klachtenreglementen that the Decreet over
  het Lokaal Bestuur (art. 302-303) asks of every municipality take over.
* factuur 30 calendar days: the payment term of public contracts (KB van 14 januari 2013, art. 127) and of
  the wet van 2 augustus 2002 betreffende de bestrijding van de betalingsachterstand.
* vraag 30 and bezwaar 30 calendar days: no single legal term exists for either (an objection's term depends
  on its matter); 30 days is the usual norm of Flemish service charters, and each city sets its own here.
* ter_info: no answer is expected, so no deadline (the case closes once the group is told).

A calendar-day term whose last day is a Saturday, Sunday or public holiday ends on the next working day
(as Gerechtelijk Wetboek art. 53 does for legal terms). The deadline falls at the end of the office day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Optional

from engine.settings import Settings, settings

from .calendar import CITY_TZ, add_working_days, is_working_day
from .post_models import LETTER_KINDS

DEFAULT_SETTING = Settings.post_deadlines.default
FALLBACK_DAYS = 30
END_OF_DAY = time(17, 0)
MAX_DAYS = 365


@dataclass(frozen=True)
class Term:
    """A number of days and whether they are calendar days or working days."""

    days: int
    unit: str  # "kalenderdagen" or "werkdagen"

    def __str__(self) -> str:
        return f"{self.days} {self.unit}"


def parse_terms(setting: Optional[str]) -> dict[str, Term]:
    """The terms in a setting like "vraag=30,klacht=45,bezwaar=20w"; bad parts are refused with a message."""
    terms: dict[str, Term] = {}
    for part in (setting or "").split(","):
        if not part.strip():
            continue
        kind, _, value = (p.strip() for p in part.partition("="))
        unit = "werkdagen" if value.lower().endswith("w") else "kalenderdagen"
        number = value[:-1] if unit == "werkdagen" else value
        if kind not in LETTER_KINDS or not number.isdigit() or not 0 < int(number) <= MAX_DAYS:
            raise ValueError(f"MELDPUNT_POST_DEADLINES: '{part.strip()}' is not kind=days (kinds: "
                             f"{', '.join(LETTER_KINDS)}; days 1-{MAX_DAYS}, 'w' for working days)")
        terms[kind] = Term(int(number), unit)
    return terms


def default_terms() -> dict[str, Term]:
    """The configured default term per kind (kinds left out of the setting get the built-in default)."""
    terms = parse_terms(DEFAULT_SETTING)
    terms.update(parse_terms(settings().post_deadlines))
    return terms


def default_term(kind: str) -> Optional[Term]:
    """The default term of one kind, None for 'ter_info' (no answer expected)."""
    if kind == "ter_info":
        return None
    return default_terms().get(kind, Term(FALLBACK_DAYS, "kalenderdagen"))


def answer_deadline(received_on: date, term: Term) -> datetime:
    """The moment the answer is due (UTC): `term` after the day of receipt, at the end of the office day."""
    start = datetime.combine(received_on, END_OF_DAY, CITY_TZ)
    if term.unit == "werkdagen":
        return add_working_days(start, term.days)
    day = received_on + timedelta(days=term.days)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, END_OF_DAY, CITY_TZ).astimezone(UTC)
