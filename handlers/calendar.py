"""Working days for deadlines: weekends and Belgian public holidays do not count."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

CITY_TZ = ZoneInfo("Europe/Brussels")


@lru_cache(maxsize=32)
def _belgian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BE", years=year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Belgian public holiday."""
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`, at the same local time (counted in Brussels time).

    A start on a weekend or holiday counts from the next working day, so "2 working days" from a
    Saturday ends on Tuesday.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = start.astimezone(CITY_TZ)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    result = datetime.combine(day, local.timetz().replace(tzinfo=None), CITY_TZ)
    return result.astimezone(UTC)


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end` (0 when end is not after start)."""
    first, last = start.astimezone(CITY_TZ).date(), end.astimezone(CITY_TZ).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
