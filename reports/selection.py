"""The period and group someone asks figures for (dashboard, exports), checked with Dutch messages.

Knows nothing of Flask: it reads a mapping of the query's values. Who may see which group is decided
here too, so every dashboard view applies the same rule.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional, cast

from sqlalchemy import select

from engine.db import db
from engine.i18n import N_
from handlers.models import HandlerGroup, User
from handlers.permissions import may

from .bundle import previous_of_equal_length
from .periods import Period, Quarter, days_period, quarter_of

QUICK = ("dit-kwartaal", "vorig-kwartaal", "14-dagen")
MAX_DAYS = 3 * 366 + 1


class SelectionError(ValueError):
    """The question cannot be answered; the message is for the user (Dutch, translated by the page)."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


class NotAllowed(Exception):
    """The user may not see this group's figures."""


@dataclass(frozen=True)
class Selection:
    """A checked question: the period, the period to compare with, the group (None: all)."""

    period: Period
    previous: Period
    group: Optional[HandlerGroup]
    quick: Optional[str]
    quarter: Optional[Quarter]

    @property
    def group_key(self) -> Optional[str]:
        """The chosen group's key, None for all groups."""
        return self.group.key if self.group is not None else None


def report_groups_for(user: User) -> list[HandlerGroup]:
    """The handler groups a user may pick: every internal group, or a lead's own groups (handlers/permissions.py)."""
    if not may(user, "reports.see"):
        return []
    query = select(HandlerGroup).where(HandlerGroup.kind == "internal").order_by(HandlerGroup.name)
    return [group for group in db.session.scalars(query) if may(user, "reports.see", group)]


def _parse_date(raw: str, field: str) -> date:
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise SelectionError(N_("De {field} '{value}' klopt niet. Gebruik de vorm jjjj-mm-dd, bijvoorbeeld "
                                "2026-11-30."),
                             field=field, value=raw[:40]) from None


def parse_selection(args: Mapping[str, str], user: User, today: date) -> Selection:
    """Read `van`, `tot`, `snel` and `groep`; SelectionError for bad input, NotAllowed for a group the user
    may not see. Without a period: the current quarter up to today."""
    group = _group(args.get("groep") or "", user)
    quick = (args.get("snel") or "").strip()
    start_raw, end_raw = (args.get("van") or "").strip(), (args.get("tot") or "").strip()
    quarter = None
    if quick:
        if quick not in QUICK:
            raise SelectionError(N_("Onbekende keuze '{value}' voor de periode."), value=quick[:40])
        if quick == "14-dagen":
            period = days_period(today - timedelta(days=14), today - timedelta(days=1))
        else:
            quarter = quarter_of(today) if quick == "dit-kwartaal" else quarter_of(today).previous()
            period = quarter.period
    elif start_raw or end_raw:
        start = _parse_date(start_raw, N_("begindatum")) if start_raw else None
        end = _parse_date(end_raw, N_("einddatum")) if end_raw else None
        start = start or quarter_of(cast(date, end)).first_day  # no start given: the end was
        end = end or today
        if start > end:
            raise SelectionError(N_("De begindatum ({start}) ligt na de einddatum ({end})."), start=start.isoformat(),
                                 end=end.isoformat())
        if (end - start).days >= MAX_DAYS:
            raise SelectionError(N_("Kies een periode van hoogstens drie jaar."))
        period = days_period(start, end)
    else:
        quick, quarter = "dit-kwartaal", quarter_of(today)
        period = quarter.period
    previous = quarter.previous().period if quarter is not None else previous_of_equal_length(period)
    return Selection(period=period, previous=previous, group=group, quick=quick or None, quarter=quarter)


def _group(key: str, user: User) -> Optional[HandlerGroup]:
    key = key.strip()
    allowed = report_groups_for(user)
    if not key:
        if may(user, "reports.all_groups"):
            return None
        if not allowed:
            raise NotAllowed()
        return allowed[0]
    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == key, HandlerGroup.kind == "internal"))
    if group is None:
        raise SelectionError(N_("Onbekende behandelaarsgroep '{value}'."), value=key[:60])
    if group not in allowed:
        raise NotAllowed()
    return group
