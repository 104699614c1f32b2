"""`GET /metrics` in Prometheus' text format: the series named meldpunt_*.

The figures about the work (cases by status, open and overdue work items per group, the outbox, timers,
the mailbox) are read from the database at each scrape, so every web process, on any host, answers the
same. The request latency histogram is counted in the process that served the request; under gunicorn
with several workers set PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at each start) and the
scrape adds up the workers' files (prometheus_client's multiprocess mode; docs/production.md).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import current_app
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, WorkItem
from handlers.models import HandlerGroup
from notifications.models import OutboxMessage, SenderState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NO_GROUP = "geen"  # label of work items without a group

REQUEST_SECONDS = Histogram(
    "meldpunt_http_request_duration_seconds", "Time to answer a request, per method and endpoint (Flask's name)",
    ["method", "endpoint"], registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


def observe(method: str, endpoint: str, seconds: float) -> None:
    """Count one answered request (web/logs.py calls this after every request)."""
    REQUEST_SECONDS.labels(method, endpoint).observe(seconds)


def _age(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


class WorkCollector(Collector):
    """The database's figures, read when the registry is collected (inside the scrape's app context)."""

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        session = db.session
        cases = GaugeMetricFamily("meldpunt_cases", "Cases per status", labels=["status"])
        for status, count in session.execute(select(Case.status, func.count()).group_by(Case.status)):
            cases.add_metric([status], count)
        yield cases

        groups: dict[int, str] = {row.id: row.key for row in session.execute(select(HandlerGroup.id, HandlerGroup.key))}
        open_items = GaugeMetricFamily("meldpunt_work_items_open", "Open work items per group", labels=["group"])
        overdue = GaugeMetricFamily("meldpunt_work_items_overdue", "Open work items past their due time, per group",
                                    labels=["group"])
        waiting = select(WorkItem.group_id, func.count()).where(WorkItem.status == "open").group_by(WorkItem.group_id)
        late: dict[int | None, int] = {group_id: count for group_id, count in session.execute(
            waiting.where(WorkItem.due_at < now))}
        for group_id, count in session.execute(waiting):
            label = groups.get(group_id, NO_GROUP) if group_id is not None else NO_GROUP
            open_items.add_metric([label], count)
            overdue.add_metric([label], late.get(group_id, 0))
        yield open_items
        yield overdue

        outbox = {status: (count, oldest) for status, count, oldest in session.execute(
            select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status.in_(("pending", "failed"))).group_by(OutboxMessage.status))}
        pending, oldest = outbox.get("pending", (0, None))
        yield GaugeMetricFamily("meldpunt_outbox_pending", "Mails waiting to be sent", value=pending)
        yield GaugeMetricFamily("meldpunt_outbox_oldest_pending_seconds",
                                "Age of the oldest mail waiting to be sent (0: none waits)", value=_age(oldest, now))
        yield GaugeMetricFamily("meldpunt_outbox_failed", "Mails that failed for good (until sent again)",
                                value=outbox.get("failed", (0, None))[0])

        overdue_timer = session.scalar(select(func.min(Case.next_timer_at)).where(Case.next_timer_at <= now))
        yield GaugeMetricFamily("meldpunt_timer_lag_seconds",
                                "How long the oldest due timer has waited to fire (0: none is due)",
                                value=_age(overdue_timer, now))

        states = {state.name: state for state in session.scalars(select(SenderState))}
        smtp = states.get("smtp")
        yield GaugeMetricFamily("meldpunt_smtp_unreachable", "1 while the mail server cannot be reached",
                                value=int(smtp is not None and smtp.outage_since is not None))
        imap = states.get("imap")
        if imap is not None:
            yield GaugeMetricFamily("meldpunt_mailbox_poll_age_seconds",
                                    "Time since the info mailbox was last read without an error",
                                    value=_age(imap.last_success_at or imap.updated_at, now))
        session.rollback()  # end the read transaction


def scrape() -> bytes:
    """Every series, in the text format (call inside an app context)."""
    registry = CollectorRegistry(auto_describe=False)
    if current_app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # the latency of every worker process
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(WorkCollector())
    return generate_latest(registry)
