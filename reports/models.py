"""The report_runs table, and the indexes the report figures need on the case tables.

A report run is one produced report: its kind, period and group, a unique key so that any number of
workers produce and send a report at most once, and (for the quarterly report) the document, kept in the
file storage (handlers/storage.py) under `storage_key`, which the outbox sender attaches to the mail
(`{"attachment_report_run": id}` in an outbox row's data). Runs from before the file storage kept their
document's bytes in `content`; those are still read from there.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Index, Integer, LargeBinary, String, select, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db
from engine.models import Case, CaseEvent
from handlers.models import ContractorOrder
from handlers.storage import storage
from notifications.sender import register_attachment
from reports.figures import COUNTED_EVENT_KINDS

KINDS = ("kwartaal", "meldkamer", "groep")

# The figures select cases by creation and closing moment and events by kind and moment; without these,
# every figure of a quarter is a sequential scan of a million cases or several million events.
Index("ix_cases_created_at", Case.__table__.c.created_at)
Index("ix_cases_closed_at", Case.__table__.c.closed_at)
# The events are counted of two kinds only (reports/figures.py, which writes the kind out so that the planner
# matches these even in a generic plan): an index of those alone is not written with the events every case
# writes (created, status, task_completed, ...: each of their kinds was a page more per action on SQLite).
for _kind in COUNTED_EVENT_KINDS:
    Index(f"ix_case_events_{_kind}_at", CaseEvent.__table__.c.at,
          postgresql_where=text(f"kind = '{_kind}'"), sqlite_where=text(f"kind = '{_kind}'"))
Index("ix_contractor_orders_created_at", ContractorOrder.__table__.c.created_at)
# The first 'in behandeling' moment of each case (first response time), read with an index-only scan.
IN_PROGRESS_EVENT = "kind = 'status' AND status = 'in_behandeling'"
Index("ix_case_events_in_progress", CaseEvent.__table__.c.case_id, CaseEvent.__table__.c.at,
      postgresql_where=text(IN_PROGRESS_EVENT), sqlite_where=text(IN_PROGRESS_EVENT))


# The dashboard cache (reports/dashboard_cache.py) asks "did any case change since?" and "which open cases'
# deadlines passed since?" on every view: both are index range scans with these two.
Index("ix_cases_updated_at", Case.__table__.c.updated_at)
OPEN_CASE = "closed_at IS NULL"
Index("ix_cases_open_deadline", Case.__table__.c.deadline_at,
      postgresql_where=text(OPEN_CASE), sqlite_where=text(OPEN_CASE))


class ReportCacheEntry(Model):
    """One cached dashboard entry (reports/dashboard_cache.py): the gathered figures of a period, the period
    before and a group, or the charts drawn from such figures, with the fingerprint of the data they were
    computed from. Signed with the app's secret key, so only Meldpunt itself can have written a payload."""

    __tablename__ = "report_cache"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(500))
    window_from: Mapped[datetime] = mapped_column(UTCDateTime)  # the start of the changed-cases window
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The bounded-staleness mode: when the dashboard page last showed the entry (written at most once a
    # minute), and until when a refresh job holds it (only one process recomputes an entry at a time).
    viewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)


class ReportRun(Model):
    """One produced report (quarterly, meldkamer or group), unique per kind, period and group."""

    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    group_key: Mapped[Optional[str]] = mapped_column(String(60))
    trigger: Mapped[str] = mapped_column(String(20), default="planning")  # planning, cli, dashboard
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[Optional[str]] = mapped_column(String(200))
    content_type: Mapped[Optional[str]] = mapped_column(String(100))
    content: Mapped[Optional[bytes]] = deferred(mapped_column(LargeBinary))  # runs from before 0017f only
    storage_key: Mapped[Optional[str]] = mapped_column(String(300))
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def run_key(kind: str, start: datetime, end: datetime, group_key: Optional[str]) -> str:
    """The unique key of a report: kind, period (UTC, to the minute) and group."""
    return f"{kind}:{start:%Y-%m-%dT%H:%M}:{end:%Y-%m-%dT%H:%M}:{group_key or '-'}"


def _report_attachment(run_id: Any) -> tuple[str, str, bytes]:
    """The stored document of a report run, for the outbox sender."""
    row = db.session.execute(select(ReportRun.filename, ReportRun.content_type, ReportRun.storage_key,
                                    ReportRun.content).where(ReportRun.id == int(run_id))).first()
    if row is not None and row.storage_key is not None:
        return row.filename, row.content_type, storage().read(row.storage_key)
    if row is None or row.content is None:
        raise ValueError(f"report run {run_id} has no document to attach")
    return row.filename, row.content_type, row.content


register_attachment("attachment_report_run", _report_attachment)
