"""Figures for a period [start, end), optionally for one handler group, computed in the database.

Every figure is an SQL aggregate (COUNT, SUM, GROUP BY) over columns of `cases`, `case_events` and
`contractor_orders`; no Case object and no process state is loaded. Medians and 90th percentiles are
percentile_cont on PostgreSQL; SQLite has none, so there the database computes one duration in hours
per case (a single float column) and Python takes the median/percentile of that list with
`statistics`, interpolating linearly between closest ranks (percentile_cont's definition).

Definitions:
- created: cases (dossiers) of every kind with start <= created_at < end; by_kind splits them per Case.kind
  (melding, mail, post); `meldingen` is the created cases of kind 'melding'; `anonymous` those of them
  reported without any contact data (Case.anonymous: nobody is mailed about them).
- categories: only meldingen have a category, so by_main_category/by_sub_category count meldingen only and
  their shares are fractions of `meldingen` (not of every dossier).
- closed in the period: cases with start <= closed_at < end.
- by_group: every active handler group (kind 'internal'), also with 0 cases, plus any other group (a desk)
  that has cases; for one group only that group.
- the moment of the state figures (`state_moment`): the end of the period, or the moment the report is
  made when the period has not ended yet (a report for the running quarter or fortnight).
- open at that moment: created_at < moment and (closed_at is null or closed_at >= moment).
- overdue ("over de termijn"): open at that moment with a deadline that has passed by then
  (deadline_at < moment); an open case whose deadline is still ahead is not late. A closed case was late
  when it closed after its deadline (the complement of "on time" below).
- first response: the first timeline event of kind 'status' whose status is 'in_behandeling', minus
  created_at (for cases closed in the period that have such an event).
- closing lead time: closed_at - created_at (cases closed in the period).
- on time: share of cases closed in the period with closed_at <= deadline_at (no deadline: left out).
- reopen rate: distinct cases with a 'reopened' event in the period / cases closed in the period.
- satisfaction: 'feedback' events in the period whose data has "satisfied" true or false.
- contractor orders: orders created in the period; turnaround = reported_at - created_at of the
  orders among them with status 'done'.
Shares are fractions of the total (0.43), rounded to 4 decimals; None when the denominator is 0.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import and_, case, distinct, func, or_, select, text, true
from sqlalchemy.orm import aliased

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.models import Category, ContractorOrder, HandlerGroup

IN_PROGRESS = "in_behandeling"
COUNTED_EVENT_KINDS = ("reopened", "feedback")  # as reports/models.py indexes them
MELDING = "melding"
KINDS = (MELDING, "mail", "post")  # the kinds of case, in the order the reports show them


@dataclass(frozen=True)
class Share:
    """One row of a breakdown: the key and name of the group/category/channel, count and share."""

    key: Optional[str]
    name: Optional[str]
    count: int
    share: Optional[float]  # None when there is nothing to share (no dossiers at all)


@dataclass(frozen=True)
class LeadTime:
    """Median and 90th percentile in hours over `count` cases (None when count is 0)."""

    count: int
    median_hours: Optional[float]
    p90_hours: Optional[float]


@dataclass
class Figures:
    """Every figure of one period [start, end), for all groups or for `group_key` (see the module docstring)."""

    start: datetime
    end: datetime
    group_key: Optional[str]
    created: int = 0
    meldingen: int = 0
    anonymous: int = 0
    by_kind: list[Share] = field(default_factory=list)
    by_group: list[Share] = field(default_factory=list)
    by_main_category: list[Share] = field(default_factory=list)
    by_sub_category: list[Share] = field(default_factory=list)
    by_channel: list[Share] = field(default_factory=list)
    closed: int = 0
    open_at_end: int = 0
    overdue_at_end: int = 0
    state_at: Optional[datetime] = None  # the moment open_at_end/overdue_at_end describe (see state_moment)
    first_response: LeadTime = LeadTime(0, None, None)
    closing: LeadTime = LeadTime(0, None, None)
    closed_with_deadline: int = 0
    closed_on_time: int = 0
    on_time_share: Optional[float] = None
    reopened: int = 0
    reopen_rate: Optional[float] = None
    feedback_answers: int = 0
    feedback_satisfied: int = 0
    satisfied_share: Optional[float] = None
    contractor_orders: int = 0
    contractor_orders_done: int = 0
    contractor_turnaround_median_hours: Optional[float] = None


@dataclass
class Comparison:
    """The figures of a period and of the previous period of equal length."""

    current: Figures
    previous: Figures


def _of_kind(kind: str):
    """`case_events.kind = '<kind>'` written out, not bound: the planners (PostgreSQL's also in a generic plan of a
    prepared statement) then use the partial index of that kind, ix_case_events_<kind>_at (reports/models.py)."""
    if kind not in COUNTED_EVENT_KINDS:
        raise ValueError(f"no index for events of kind {kind!r}")
    return text(f"case_events.kind = '{kind}'")


def _ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _hours(later, earlier):
    """SQL expression: `later - earlier` in hours, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return func.extract("epoch", later - earlier) / 3600.0


def _percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _lead_time(query) -> LeadTime:
    """Count, median and 90th percentile of the one-column `query` (hours; NULLs left out)."""
    if db.engine.dialect.name == "postgresql":
        hours = query.subquery().c[0]
        count, median, p90 = db.session.execute(select(
            func.count(hours), func.percentile_cont(0.5).within_group(hours),
            func.percentile_cont(0.9).within_group(hours))).one()
        if not count:
            return LeadTime(0, None, None)
        return LeadTime(int(count), round(float(median), 2), round(float(p90), 2))
    values = [round(float(v), 4) for v in db.session.scalars(query) if v is not None]
    if not values:
        return LeadTime(0, None, None)
    return LeadTime(len(values), round(statistics.median(values), 2), round(_percentile(values, 0.9), 2))


def _group_id(group_key: Optional[str]) -> Optional[int]:
    if group_key is None:
        return None
    found = db.session.scalar(select(HandlerGroup.id).where(HandlerGroup.key == group_key))
    if found is None:
        raise LookupError(f"unknown handler group '{group_key}'")
    return found


def _breakdown(rows, total: int) -> list[Share]:
    shares = [Share(key, name, int(count), _ratio(int(count), total)) for key, name, count in rows]
    return sorted(shares, key=lambda s: (-s.count, s.key or ""))


def state_moment(end: datetime) -> datetime:
    """The moment the 'open' and 'over de termijn' figures of a period ending at `end` describe.

    The end of the period, or now for a period that has not ended yet: a deadline that lies in the future
    has not been missed, whatever the period's end.
    """
    return min(end, utcnow())


def open_at(moment: datetime):
    """SQL condition: the case existed and was not closed at `moment`."""
    return and_(Case.created_at < moment, or_(Case.closed_at.is_(None), Case.closed_at >= moment))


def past_deadline(moment: datetime):
    """SQL condition: the case's deadline had passed at `moment` (with open_at: it is over de termijn)."""
    return and_(Case.deadline_at.is_not(None), Case.deadline_at < moment)


def closed_within_deadline():
    """SQL condition: a closed case closed at or before its deadline (a later close was late)."""
    return Case.closed_at <= Case.deadline_at


def _with_idle_groups(shares: list[Share], total: int) -> list[Share]:
    """The breakdown per group plus every active handler group without cases (0), so none is missing."""
    present = {s.key for s in shares}
    idle = db.session.execute(select(HandlerGroup.key, HandlerGroup.name)
                              .where(HandlerGroup.active.is_(True), HandlerGroup.kind == "internal")
                              .order_by(HandlerGroup.name))
    zeros = [Share(key, name, 0, _ratio(0, total)) for key, name in idle if key not in present]
    return [*shares, *zeros]


def period_figures(start: datetime, end: datetime, group_key: Optional[str] = None) -> Figures:
    """All figures for [start, end), for every case or only for the cases of handler group `group_key`."""
    if end <= start:
        raise ValueError("end must be after start")
    group_id = _group_id(group_key)
    in_group = [Case.group_id == group_id] if group_id is not None else []
    created = [Case.created_at >= start, Case.created_at < end, *in_group]
    closed = [Case.closed_at >= start, Case.closed_at < end, *in_group]
    figures = Figures(start=start, end=end, group_key=group_key)

    figures.created = db.session.scalar(select(func.count(Case.id)).where(*created)) or 0
    total = figures.created

    figures.by_group = _breakdown(db.session.execute(
        select(HandlerGroup.key, HandlerGroup.name, func.count(Case.id))
        .select_from(Case).outerjoin(HandlerGroup, HandlerGroup.id == Case.group_id)
        .where(*created).group_by(HandlerGroup.key, HandlerGroup.name)), total)
    if group_id is None:
        figures.by_group = _with_idle_groups(figures.by_group, total)
    per_kind = {kind: int(count) for kind, count in db.session.execute(
        select(Case.kind, func.count(Case.id)).where(*created).group_by(Case.kind))}
    figures.by_kind = [Share(kind, kind, per_kind.get(kind, 0), _ratio(per_kind.get(kind, 0), total))
                       for kind in (*KINDS, *sorted(k for k in per_kind if k not in KINDS))]
    figures.meldingen = per_kind.get(MELDING, 0)
    meldingen = [*created, Case.kind == MELDING]
    figures.anonymous = db.session.scalar(select(func.count(Case.id)).where(*meldingen, Case.anonymous.is_(True))) or 0
    sub = aliased(Category)
    main = aliased(Category)
    figures.by_sub_category = _breakdown(db.session.execute(
        select(sub.key, sub.name, func.count(Case.id))
        .select_from(Case).outerjoin(sub, sub.id == Case.category_id)
        .where(*meldingen).group_by(sub.key, sub.name)), figures.meldingen)
    figures.by_main_category = _breakdown(db.session.execute(
        select(main.key, main.name, func.count(Case.id))
        .select_from(Case).outerjoin(sub, sub.id == Case.category_id)
        .outerjoin(main, main.id == func.coalesce(sub.parent_id, sub.id))
        .where(*meldingen).group_by(main.key, main.name)), figures.meldingen)
    figures.by_channel = _breakdown(db.session.execute(
        select(Case.channel, Case.channel, func.count(Case.id)).where(*created).group_by(Case.channel)), total)

    moment = figures.state_at = state_moment(end)
    figures.open_at_end, figures.overdue_at_end = db.session.execute(
        select(func.count(Case.id),
               func.coalesce(func.sum(case((past_deadline(moment), 1), else_=0)), 0))
        .where(open_at(moment), *in_group)).one()

    figures.closed, figures.closed_with_deadline, figures.closed_on_time = (int(v) for v in db.session.execute(
        select(func.count(Case.id),
               func.count(Case.deadline_at),
               func.coalesce(func.sum(case((closed_within_deadline(), 1), else_=0)), 0))
        .where(*closed)).one())
    figures.on_time_share = _ratio(figures.closed_on_time, figures.closed_with_deadline)

    figures.closing = _lead_time(select(_hours(Case.closed_at, Case.created_at)).where(*closed))
    # Per closed case, its own first 'in behandeling' event (through the case_id index), not a scan of
    # every status event ever written.
    # The condition is written out (not bound parameters) so that PostgreSQL matches it with the partial
    # index ix_case_events_in_progress (reports/models.py) even in a generic plan of a prepared statement.
    first = (select(func.min(CaseEvent.at).label("at"))
             .where(CaseEvent.case_id == Case.id,
                    text(f"case_events.kind = 'status' AND case_events.status = '{IN_PROGRESS}'")))
    if db.engine.dialect.name == "postgresql":  # LATERAL: one lookup per case even where the value is used twice
        lateral = first.lateral("first_progress")
        first_query = select(_hours(lateral.c.at, Case.created_at)).select_from(Case).join(lateral, true())
    else:  # SQLite has no LATERAL
        first_query = select(_hours(first.correlate(Case).scalar_subquery(), Case.created_at))
    figures.first_response = _lead_time(first_query.where(*closed))

    event_in_period = [CaseEvent.at >= start, CaseEvent.at < end]
    events = select(CaseEvent).join(Case, Case.id == CaseEvent.case_id).where(*event_in_period, *in_group)
    figures.reopened = db.session.scalar(
        events.with_only_columns(func.count(distinct(CaseEvent.case_id))).where(_of_kind("reopened"))) or 0
    figures.reopen_rate = _ratio(figures.reopened, figures.closed)

    satisfied = CaseEvent.data["satisfied"].as_boolean()
    answers, yes = db.session.execute(events.with_only_columns(
        func.count(satisfied), func.coalesce(func.sum(case((satisfied == true(), 1), else_=0)), 0))
        .where(_of_kind("feedback"))).one()
    figures.feedback_answers, figures.feedback_satisfied = int(answers), int(yes)
    figures.satisfied_share = _ratio(figures.feedback_satisfied, figures.feedback_answers)

    orders = (select(func.count(ContractorOrder.id)).join(Case, Case.id == ContractorOrder.case_id)
              .where(ContractorOrder.created_at >= start, ContractorOrder.created_at < end, *in_group))
    figures.contractor_orders = db.session.scalar(orders) or 0
    turnaround = _lead_time(orders.with_only_columns(_hours(ContractorOrder.reported_at, ContractorOrder.created_at))
                            .where(ContractorOrder.status == "done", ContractorOrder.reported_at.is_not(None)))
    figures.contractor_orders_done = turnaround.count
    figures.contractor_turnaround_median_hours = turnaround.median_hours
    return figures


def compare_with_previous(start: datetime, end: datetime, group_key: Optional[str] = None) -> Comparison:
    """The figures of [start, end) and of the equally long period just before it."""
    length = end - start
    return Comparison(current=period_figures(start, end, group_key),
                      previous=period_figures(start - length, start, group_key))
