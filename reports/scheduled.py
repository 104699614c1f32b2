"""The scheduled reports: which are due at a given moment, and the jobs the worker runs.

The jobs run every hour; what is due follows from the date, and `report_runs` remembers what was sent,
so a worker that was down on the Monday or on the first working day catches up later that week (or
within CATCH_UP_QUARTERLY), and a second worker, or a second run, sends nothing twice.
- Fortnightly, from Monday SEND_HOUR (local time) of each ISO week: odd weeks the meldkamer report,
  even weeks one report per handler group, each over the 14 days before that Monday.
- Quarterly, from SEND_HOUR on the first working day of a quarter: the previous quarter's report
  (DOCX attached) to MELDPUNT_REPORT_RECIPIENTS.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Optional

from flask import Flask

from engine.clock import utcnow
from engine.db import db
from handlers.models import MELDKAMER

from .delivery import Delivery, find_run, record_and_queue, report_recipients
from .fortnightly import desk_or_group, report_groups, send_fortnightly
from .periods import CITY_TZ, Period, Quarter, first_working_day, fortnight_before, fortnightly_audience, quarter_of
from .quarterly import DOCX_TYPE, quarterly_filename, quarterly_report

log = logging.getLogger(__name__)

SEND_HOUR = 7
CATCH_UP_QUARTERLY = timedelta(days=14)
QUARTERLY_TEMPLATE = "rapport_kwartaal"


def _local(now: datetime) -> datetime:
    return now.astimezone(CITY_TZ)


def fortnightly_due(now: datetime) -> tuple[str, Period]:
    """('meldkamer' or 'groep', the 14 days before this ISO week's Monday) once Monday SEND_HOUR has passed;
    before that on a Monday, the previous week's."""
    local = _local(now)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, time(SEND_HOUR), CITY_TZ):
        monday -= timedelta(days=7)
    return fortnightly_audience(monday), fortnight_before(monday)


def quarterly_due(now: datetime) -> Optional[Quarter]:
    """The quarter whose report is due: the previous one, from SEND_HOUR on the first working day of the
    current quarter until CATCH_UP_QUARTERLY later; None outside that window."""
    local = _local(now)
    quarter = quarter_of(local.date())
    opens = datetime.combine(first_working_day(quarter), time(SEND_HOUR), CITY_TZ)
    return quarter.previous() if opens <= local < opens + CATCH_UP_QUARTERLY else None


def send_quarterly(quarter: Quarter, trigger: str = "planning",
                   progress: Optional[Callable[[str], None]] = None) -> Delivery:
    """Build the quarterly report and mail it, with the DOCX attached, to MELDPUNT_REPORT_RECIPIENTS (once)."""
    period = quarter.period
    delivery = Delivery(kind="kwartaal", group_key=None, period=period)
    delivery.already = find_run("kwartaal", period, None)
    if delivery.already is not None:
        return delivery
    addresses = report_recipients()
    if not addresses:
        delivery.skipped = "MELDPUNT_REPORT_RECIPIENTS is leeg: niemand om het kwartaalrapport naar te sturen"
        return delivery
    document, report = quarterly_report(quarter, progress)
    data = {"quarter": str(quarter), "quarter_name": quarter.dutch_name, "created": report.current.created,
            "filename": quarterly_filename(quarter)}
    return record_and_queue(delivery, [(a, "nl") for a in addresses], QUARTERLY_TEMPLATE, lambda _lang: data,
                            trigger, (quarterly_filename(quarter), DOCX_TYPE, document))


def run_fortnightly(now: Optional[datetime] = None) -> list[Delivery]:
    """Send this week's fortnightly report(s) that were not sent yet."""
    audience, period = fortnightly_due(now or utcnow())
    groups = [desk_or_group(MELDKAMER)] if audience == "meldkamer" else report_groups()
    return [send_fortnightly(group, period) for group in groups if group is not None]


def run_quarterly(now: Optional[datetime] = None) -> Optional[Delivery]:
    """Send the previous quarter's report when it is due and was not sent yet."""
    quarter = quarterly_due(now or utcnow())
    return send_quarterly(quarter) if quarter is not None else None


def _log(delivery: Delivery) -> None:
    what = f"{delivery.kind} report {delivery.group_key or ''} {delivery.period.first_day}..{delivery.period.last_day}"
    if delivery.sent:
        log.info("%s: queued for %d recipient(s)", what, len(delivery.recipients))
    elif delivery.skipped:
        log.warning("%s: not sent: %s", what, delivery.skipped)


def fortnightly_job(app: Flask) -> int:
    """Scheduler job (hourly): the fortnightly reports that are due; returns how many were queued."""
    with app.app_context():
        try:
            deliveries = run_fortnightly()
        finally:
            db.session.remove()
    for delivery in deliveries:
        _log(delivery)
    return sum(1 for d in deliveries if d.sent)


def quarterly_job(app: Flask) -> int:
    """Scheduler job (hourly): the quarterly report when it is due; returns 1 when it was queued now."""
    with app.app_context():
        try:
            delivery = run_quarterly()
        finally:
            db.session.remove()
    if delivery is not None:
        _log(delivery)
    return int(delivery is not None and delivery.sent)
