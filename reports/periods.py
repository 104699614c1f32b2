"""Report periods in the city's time: quarters, days, the fortnight before a Monday, ISO weeks.

Every period is a half-open range [start, end) of aware UTC datetimes whose ends are local midnights
(Europe/Brussels), so a melding at 00:30 on 1 October belongs to the fourth quarter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.calendar import is_working_day

CITY_TZ = ZoneInfo("Europe/Brussels")
QUARTER_NAMES = {1: "eerste", 2: "tweede", 3: "derde", 4: "vierde"}
QUARTER_FORMAT = "gebruik de vorm 2026Q3"
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")


@dataclass(frozen=True)
class Period:
    """A reporting period [start, end) in UTC, with the local dates it covers."""

    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        """The local date the period starts on."""
        return self.start.astimezone(CITY_TZ).date()

    @property
    def last_day(self) -> date:
        """The last local date in the period."""
        return (self.end.astimezone(CITY_TZ) - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        """How many local dates the period covers."""
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, e.g. Quarter(2026, 3) for 2026Q3."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def period(self) -> Period:
        """From 00:00 on the quarter's first day to 00:00 on the next quarter's, local time."""
        first = date(self.year, 3 * self.number - 2, 1)
        return days_period(first, self.next().first_day - timedelta(days=1))

    @property
    def first_day(self) -> date:
        """1 January, 1 April, 1 July or 1 October."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def dutch_name(self) -> str:
        """'het derde kwartaal van 2026'."""
        return f"het {QUARTER_NAMES[self.number]} kwartaal van {self.year}"

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)


def parse_quarter(text: str) -> Quarter:
    """'2026Q3' (also '2026-q3') as a Quarter; ValueError with the expected form otherwise."""
    match = _QUARTER.match(text or "")
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError(f"onbekend kwartaal '{text}': {QUARTER_FORMAT}")
    return Quarter(int(match.group(1)), int(match.group(2)))


def quarter_of(day: date) -> Quarter:
    """The quarter a local date falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def local_midnight(day: date) -> datetime:
    """00:00 of a local date, in UTC."""
    return datetime.combine(day, time(0), CITY_TZ).astimezone(UTC)


def days_period(first: date, last: date) -> Period:
    """The period from the start of local date `first` to the end of local date `last`."""
    if last < first:
        raise ValueError("the last day is before the first day")
    return Period(local_midnight(first), local_midnight(last + timedelta(days=1)))


def local_today(now: datetime) -> date:
    """The local date of an aware moment."""
    return now.astimezone(CITY_TZ).date()


def fortnight_before(day: date) -> Period:
    """The 14 days before `day` (not including it): for a Monday, the two previous ISO weeks."""
    return days_period(day - timedelta(days=14), day - timedelta(days=1))


def fortnightly_audience(day: date) -> str:
    """Who gets the fortnightly report in the ISO week of `day`: 'meldkamer' (odd weeks) or 'groep' (even)."""
    return "meldkamer" if day.isocalendar().week % 2 else "groep"


def first_working_day(quarter: Quarter) -> date:
    """The first working day of a quarter (not a weekend, not a Belgian public holiday)."""
    day = quarter.first_day
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
