"""Figures of the first line's contacts (issue #16) for a period [start, end), optionally for one handler group,
computed in the database like reports/figures.py.

Definitions:
- contacts: every registered contact with start <= created_at < end (every contact is counted, whatever its
  outcome; also a colleague's second registration of the same call).
- calls: the contacts that are not a second registration of the same call (related_contact_id is null).
- first-contact resolution: the share of calls answered at once (outcome 'answered') among the calls.
- by_channel, by_topic (a category or a general topic), by_outcome: shares of `contacts`.
- handovers per group: the contacts of the period handed over (outcome 'handover'), per group, with how many
  were answered (their case closed) by the moment the report describes (the period's end, or now), and the
  answer time (closed_at of the case minus the contact's created_at) as median and 90th percentile in hours;
  the number still open past their deadline at that moment.
- for one group: only the contacts handed over to it (its first-contact resolution is then not meaningful and
  None).
Shares are fractions rounded to 4 decimals; None when the denominator is 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import and_, case, func, or_, select

from engine.db import db
from engine.models import Case
from handlers.contact_models import Contact, ContactTopic
from handlers.models import Category, HandlerGroup

from .figures import LeadTime, Share, _breakdown, _group_id, _hours, _lead_time, _ratio, state_moment


@dataclass(frozen=True)
class HandoverRow:
    """The hand-overs of one group in the period."""

    key: str
    name: str
    handed_over: int
    answered: int
    overdue: int
    answer_time: LeadTime


@dataclass
class ContactFigures:
    """Every contact figure of one period (see the module docstring)."""

    start: datetime
    end: datetime
    group_key: Optional[str]
    contacts: int = 0
    calls: int = 0
    answered_at_once: int = 0
    first_contact_resolution: Optional[float] = None
    handovers: int = 0
    by_channel: list[Share] = field(default_factory=list)
    by_topic: list[Share] = field(default_factory=list)
    by_outcome: list[Share] = field(default_factory=list)
    per_group: list[HandoverRow] = field(default_factory=list)
    state_at: Optional[datetime] = None  # the moment `answered` and `overdue` describe (figures.state_moment)


def contact_figures(start: datetime, end: datetime, group_key: Optional[str] = None) -> ContactFigures:
    """The contact figures of [start, end), for every contact or for those handed over to `group_key`."""
    if end <= start:
        raise ValueError("end must be after start")
    group_id = _group_id(group_key)
    figures = ContactFigures(start=start, end=end, group_key=group_key)
    where = [Contact.created_at >= start, Contact.created_at < end]
    if group_id is not None:
        where.append(Contact.group_id == group_id)
    figures.contacts = db.session.scalar(select(func.count(Contact.id)).where(*where)) or 0
    total = figures.contacts
    figures.by_channel = _breakdown(db.session.execute(
        select(Contact.channel, Contact.channel, func.count(Contact.id)).where(*where)
        .group_by(Contact.channel)), total)
    figures.by_outcome = _breakdown(db.session.execute(
        select(Contact.outcome, Contact.outcome, func.count(Contact.id)).where(*where)
        .group_by(Contact.outcome)), total)
    topic_key = func.coalesce(Category.key, ContactTopic.key)
    topic_name = func.coalesce(Category.name, ContactTopic.name)
    figures.by_topic = _breakdown(db.session.execute(
        select(topic_key, topic_name, func.count(Contact.id)).select_from(Contact)
        .outerjoin(Category, Category.id == Contact.category_id)
        .outerjoin(ContactTopic, ContactTopic.id == Contact.topic_id)
        .where(*where).group_by(topic_key, topic_name)), total)
    calls = [*where, Contact.related_contact_id.is_(None)]
    figures.calls = db.session.scalar(select(func.count(Contact.id)).where(*calls)) or 0
    figures.answered_at_once = db.session.scalar(
        select(func.count(Contact.id)).where(*calls, Contact.outcome == "answered")) or 0
    if group_id is None:
        figures.first_contact_resolution = _ratio(figures.answered_at_once, figures.calls)

    moment = figures.state_at = state_moment(end)
    handed = [*where, Contact.outcome == "handover", Contact.group_id.is_not(None)]
    answered_by_then = and_(Case.closed_at.is_not(None), Case.closed_at <= moment)
    overdue_then = and_(or_(Case.closed_at.is_(None), Case.closed_at > moment), Case.deadline_at.is_not(None),
                        Case.deadline_at < moment)
    rows = db.session.execute(
        select(HandlerGroup.id, HandlerGroup.key, HandlerGroup.name, func.count(Contact.id),
               func.coalesce(func.sum(case((answered_by_then, 1), else_=0)), 0),
               func.coalesce(func.sum(case((overdue_then, 1), else_=0)), 0))
        .select_from(Contact).join(HandlerGroup, HandlerGroup.id == Contact.group_id)
        .outerjoin(Case, Case.id == Contact.case_id)
        .where(*handed).group_by(HandlerGroup.id, HandlerGroup.key, HandlerGroup.name)).all()
    per_group = []
    for gid, key, name, count, answered, overdue in rows:
        answer_time = _lead_time(select(_hours(Case.closed_at, Contact.created_at)).select_from(Contact)
                                 .join(Case, Case.id == Contact.case_id)
                                 .where(*handed, Contact.group_id == gid, answered_by_then))
        per_group.append(HandoverRow(key, name, int(count), int(answered), int(overdue), answer_time))
    figures.per_group = sorted(per_group, key=lambda r: (-r.handed_over, r.name))
    figures.handovers = sum(r.handed_over for r in per_group)
    return figures
