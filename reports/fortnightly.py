"""The fortnightly real-time reports: the meldkamer's (odd ISO weeks) and one per handler group (even
ISO weeks), mailed to the members of that desk or group with the figures of the last 14 days."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional, cast
from urllib.parse import urlencode

from flask import has_app_context
from sqlalchemy import select

from engine.db import db
from engine.settings import settings
from handlers.groups import group_by_key, members_of
from handlers.models import MELDKAMER, HandlerGroup, User

from .bundle import ReportFigures, gather, previous_of_equal_length
from .delivery import Delivery, find_run, record_and_queue
from .numbers import integer, percent
from .periods import Period
from .summary import summary
from .tables import breakdown_rows, contact_rows, key_figure_rows, period_phrase, period_text, translate_label

TEMPLATES = {"meldkamer": "rapport_meldkamer", "groep": "rapport_groep"}
DASHBOARD_PATH = "/werk/rapporten"  # the dashboard page (web/staff/dashboard.py); reports does not import web
TOP_ROWS = 8


def _address_of(user: User) -> tuple[str, str]:
    # only called for users with an address
    return cast(str, user.email), user.language if user.language in ("nl", "en") else "nl"


def recipients(group: HandlerGroup) -> list[tuple[str, str]]:
    """(address, language) of who gets a group's report: its active members with an e-mail address, else the
    group's own address. For the meldkamer: the users with the meldkamer role plus the desk's address."""
    people: list[tuple[str, str]] = []
    if group.key == MELDKAMER:
        users = db.session.scalars(select(User).where(User.role == "meldkamer", User.active.is_(True))).all()
        people = [_address_of(u) for u in sorted(users, key=lambda u: u.username) if u.email]
        people += [(group.email, "nl")] if group.email else []
    else:
        people = [_address_of(u) for u in sorted(members_of(group), key=lambda u: u.username) if u.email]
        if not people and group.email:
            people = [(group.email, "nl")]
    seen: dict[str, tuple[str, str]] = {}
    for address, language in people:
        seen.setdefault(address.strip().lower(), (address.strip(), language))
    return list(seen.values())


def kind_of(group: HandlerGroup) -> str:
    """'meldkamer' for the desk, 'groep' for a handler group."""
    return "meldkamer" if group.key == MELDKAMER else "groep"


def figures_for(group: HandlerGroup, period: Period,
                progress: Optional[Callable[[str], None]] = None) -> ReportFigures:
    """The meldkamer sees every dossier; a group its own."""
    return gather(period, previous_of_equal_length(period), None if group.key == MELDKAMER else group.key,
                  progress=progress)


def dashboard_url(group: HandlerGroup, period: Period) -> Optional[str]:
    """The dashboard page with the same period and group."""
    base = settings().base_url if has_app_context() else None  # no link from outside an app
    if not base:
        return None
    query = {"van": period.first_day.isoformat(), "tot": period.last_day.isoformat()}
    if group.key != MELDKAMER:
        query["groep"] = group.key
    return f"{base.rstrip('/')}{DASHBOARD_PATH}?{urlencode(query)}"


def mail_data(report: ReportFigures, group: HandlerGroup, language: str) -> dict[str, Any]:
    """What the mail templates show, formatted for the reader's language (JSON-safe)."""
    f, rows = report.current, breakdown_rows(report)
    contact_lines = contact_rows(report, language)
    data: dict[str, Any] = {
        "group": group.name,
        "period": period_text(report.period.first_day, report.period.last_day) if language == "nl"
        else f"{report.period.first_day:%d/%m/%Y} – {report.period.last_day:%d/%m/%Y}",
        "rows": [[translate_label(label, language), now, before, diff]
                 for label, now, before, diff in key_figure_rows(report, language)],
        "kinds": [[translate_label(name, language), integer(count, language), percent(share, language)]
                  for name, count, share in rows["kinds"]],
        "categories": [[translate_label(main, language), translate_label(name, language), integer(count, language),
                        percent(share, language)] for main, name, count, share in rows["sub"][:TOP_ROWS]],
        "groups": [[translate_label(name, language), integer(count, language), percent(share, language)]
                   for name, count, share, _closed, _median in rows["groups"][:TOP_ROWS]]
        if group.key == MELDKAMER else [],
        "created": integer(f.created, language),
        # the first line's contacts (reports/contact_figures.py): the desk's key figures, hand-overs per group
        "contacts": [[label, value] for label, value in contact_lines["key"]]
        if group.key == MELDKAMER and report.contacts is not None and report.contacts.contacts else [],
        "handovers": [[name, handed, answered, overdue, median]
                      for name, handed, answered, overdue, median, _p90 in contact_lines["handovers"]],
        "dashboard_url": dashboard_url(group, report.period),
    }
    if language == "nl":
        data["summary"] = summary(report, period_phrase(report.period.first_day, report.period.last_day),
                                  "de 14 dagen ervoor" if report.period.days == 14 else "de periode ervoor")
    return data


def send_fortnightly(group: HandlerGroup, period: Period, trigger: str = "planning",
                     progress: Optional[Callable[[str], None]] = None) -> Delivery:
    """Mail the report of `group` (or the meldkamer) for `period` to its people, once per period."""
    kind = kind_of(group)
    group_key = None if kind == "meldkamer" else group.key
    delivery = Delivery(kind=kind, group_key=group_key, period=period)
    delivery.already = find_run(kind, period, group_key)
    if delivery.already is not None:
        return delivery
    people = recipients(group)
    if not people:
        delivery.skipped = f"niemand om het rapport van {group.name} naar te sturen (geen leden met e-mailadres " \
                           f"en geen groepsadres)"
        return delivery
    report = figures_for(group, period, progress)
    return record_and_queue(delivery, people, TEMPLATES[kind], lambda language: mail_data(report, group, language),
                            trigger)


def report_groups() -> list[HandlerGroup]:
    """The handler groups that get an even-week report: active internal groups."""
    return list(db.session.scalars(select(HandlerGroup).where(HandlerGroup.kind == "internal",
                                                              HandlerGroup.active.is_(True))
                                   .order_by(HandlerGroup.name)))


def desk_or_group(key: Optional[str]) -> Optional[HandlerGroup]:
    """The meldkamer (key None or 'meldkamer') or the active group with this key."""
    return group_by_key(key or MELDKAMER)
