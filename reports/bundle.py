"""Everything one report shows, gathered once: the figures of a period and of the period before it,
the weekly series and the lead time per group. The quarterly document, the fortnightly mails, the
dashboard and the exports all read this."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from sqlalchemy import select

from engine.db import db
from handlers.models import HandlerGroup

from .contact_figures import ContactFigures, contact_figures
from .figures import Figures, period_figures
from .periods import Period, days_period
from .series import GroupLeadTime, WeekCount, closing_per_group, created_per_week, main_category_names


@dataclass
class ReportFigures:
    """The figures of `period` (current) and `previous_period` (before), for all groups or one."""

    period: Period
    previous_period: Period
    group_key: Optional[str]
    group_name: Optional[str]
    current: Figures
    before: Figures
    weeks: list[WeekCount]
    per_group: list[GroupLeadTime]
    main_of: dict[str, str]
    contacts: Optional[ContactFigures] = None  # the first line's contacts of `period` (reports/contact_figures.py)


def gather(period: Period, previous_period: Period, group_key: Optional[str] = None,
           progress: Optional[Callable[[str], None]] = None) -> ReportFigures:
    """Compute every figure of a report; LookupError for an unknown group."""
    step = progress or (lambda _text: None)
    group_name = None
    if group_key is not None:
        group_name = db.session.scalar(select(HandlerGroup.name).where(HandlerGroup.key == group_key))
        if group_name is None:
            raise LookupError(f"onbekende groep '{group_key}'")
    step("figuren berekenen...")
    current = period_figures(period.start, period.end, group_key)
    before = period_figures(previous_period.start, previous_period.end, group_key)
    step("reeksen per week en per groep...")
    return ReportFigures(period=period, previous_period=previous_period, group_key=group_key, group_name=group_name,
                         current=current, before=before, weeks=created_per_week(period, group_key),
                         per_group=closing_per_group(period, group_key), main_of=main_category_names(),
                         contacts=contact_figures(period.start, period.end, group_key))


def previous_of_equal_length(period: Period) -> Period:
    """The period of as many days just before `period` (for a fortnight or a chosen range)."""
    return days_period(period.first_day - timedelta(days=period.days), period.first_day - timedelta(days=1))
