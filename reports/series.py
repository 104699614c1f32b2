"""Figures for the charts, also by SQL aggregation: dossiers (cases of every kind) per ISO week, closing lead
time per group, and the main category of each sub category (for the table of sub categories)."""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Optional

from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from handlers.models import Category, HandlerGroup

from .figures import _group_id, _hours
from .periods import CITY_TZ, Period


@dataclass(frozen=True)
class WeekCount:
    """Dossiers (cases of every kind) created in one ISO week (only the days of the week inside the period count)."""

    year: int
    week: int
    monday: date
    count: int

    @property
    def label(self) -> str:
        """'W07'."""
        return f"W{self.week:02d}"


@dataclass(frozen=True)
class GroupLeadTime:
    """Closing lead time of the cases one group closed in the period."""

    key: Optional[str]
    name: Optional[str]
    closed: int
    median_hours: Optional[float]


def _hour_bucket():
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H", Case.created_at)
    return func.date_trunc("hour", Case.created_at)


def _as_utc_hour(value) -> datetime:
    if isinstance(value, str):
        return datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def created_per_week(period: Period, group_key: Optional[str] = None) -> list[WeekCount]:
    """Dossiers (every kind) created per local ISO week of the period, weeks without any included (count 0).

    The database counts per UTC hour (a few thousand rows for a quarter); Python moves each hour to the
    local date, so the weeks follow the city's calendar across daylight saving changes.
    """
    group_id = _group_id(group_key)
    where = [Case.created_at >= period.start, Case.created_at < period.end]
    if group_id is not None:
        where.append(Case.group_id == group_id)
    bucket = _hour_bucket().label("hour")
    per_day: Counter[date] = Counter()
    for hour, count in db.session.execute(select(bucket, func.count(Case.id)).where(*where).group_by(bucket)):
        per_day[_as_utc_hour(hour).astimezone(CITY_TZ).date()] += int(count)
    weeks: dict[tuple[int, int], list] = {}
    day = period.first_day
    while day <= period.last_day:
        iso = day.isocalendar()
        entry = weeks.setdefault((iso.year, iso.week), [day - timedelta(days=day.weekday()), 0])
        entry[1] += per_day.get(day, 0)
        day += timedelta(days=1)
    return [WeekCount(year, week, monday, count) for (year, week), (monday, count) in weeks.items()]


def closing_per_group(period: Period, group_key: Optional[str] = None) -> list[GroupLeadTime]:
    """Median closing lead time (hours) per handler group of the cases closed in the period."""
    group_id = _group_id(group_key)
    where = [Case.closed_at >= period.start, Case.closed_at < period.end]
    if group_id is not None:
        where.append(Case.group_id == group_id)
    hours = _hours(Case.closed_at, Case.created_at)
    medians: dict[Optional[int], tuple[int, float]] = {}
    if db.engine.dialect.name == "postgresql":
        for gid, count, median in db.session.execute(
                select(Case.group_id, func.count(hours), func.percentile_cont(0.5).within_group(hours))
                .where(*where).group_by(Case.group_id)):
            medians[gid] = (int(count), round(float(median), 2))
    else:
        values: dict[Optional[int], list[float]] = {}
        for gid, value in db.session.execute(select(Case.group_id, hours).where(*where)):
            if value is not None:
                values.setdefault(gid, []).append(round(float(value), 4))
        medians = {gid: (len(v), round(statistics.median(v), 2)) for gid, v in values.items()}
    names: dict[Optional[int], tuple[Optional[str], Optional[str]]]
    names = {g.id: (g.key, g.name) for g in db.session.scalars(select(HandlerGroup).where(
        HandlerGroup.id.in_([gid for gid in medians if gid is not None])))}
    rows = [GroupLeadTime(*names.get(gid, (None, None)), count, median) for gid, (count, median) in medians.items()]
    return sorted(rows, key=lambda r: (-r.closed, r.key or ""))


def main_category_names() -> dict[str, str]:
    """Sub category key -> name of its main category (a main category maps to itself)."""
    parents = {c.id: c for c in db.session.scalars(select(Category))}
    return {c.key: (parents[c.parent_id].name if c.parent_id in parents else c.name) for c in parents.values()}
