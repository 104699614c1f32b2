"""Producing a report at most once and mailing it through the outbox.

A report is recorded in `report_runs` under a unique key (kind, period, group) in the same transaction
that queues its mails. Two workers (or a worker and someone at the CLI) that produce the same report at
the same time both try to insert that key; one commits, the other gets an IntegrityError, rolls back its
mails and reports "already sent". A crash before the commit leaves nothing behind, so the next run
produces the report again.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.db import db
from engine.settings import settings
from handlers.storage import new_key, put_with_transaction
from notifications.outbox import queue_mail

from .models import ReportRun, run_key
from .periods import Period


@dataclass
class Delivery:
    """What producing one report did."""

    kind: str
    group_key: Optional[str]
    period: Period
    run_id: Optional[int] = None
    recipients: list[str] = field(default_factory=list)
    already: Optional[ReportRun] = None  # produced before: nothing was sent now
    skipped: Optional[str] = None  # why nothing was produced (no recipients)

    @property
    def sent(self) -> bool:
        """Whether the report was produced and its mails queued by this call."""
        return self.run_id is not None


def report_recipients() -> list[str]:
    """MELDPUNT_REPORT_RECIPIENTS: comma-separated addresses of the M-team and the college."""
    raw: Any = settings().report_recipients
    if isinstance(raw, (list, tuple)):  # a list in a test's config
        raw = ",".join(raw)
    addresses = [a.strip() for a in (raw or "").replace(";", ",").split(",") if a.strip()]
    return list(dict.fromkeys(addresses))


def find_run(kind: str, period: Period, group_key: Optional[str]) -> Optional[ReportRun]:
    """The earlier run of this report, if any."""
    return db.session.scalar(select(ReportRun).where(ReportRun.run_key == run_key(kind, period.start, period.end,
                                                                                   group_key)))


def record_and_queue(delivery: Delivery, recipients: list[tuple[str, str]], template: str,
                     data_for: Callable[[str], dict[str, Any]], trigger: str,
                     document: Optional[tuple[str, str, bytes]] = None) -> Delivery:
    """Insert the run and queue one mail per (address, language) in one transaction; commits.

    With a document (filename, MIME type, bytes), it is kept in the file storage and attached to every mail;
    a run that loses the race (or fails) has its document removed again with the rolled-back transaction.
    """
    period = delivery.period
    run = ReportRun(run_key=run_key(delivery.kind, period.start, period.end, delivery.group_key),
                    kind=delivery.kind, period_start=period.start, period_end=period.end,
                    group_key=delivery.group_key, trigger=trigger, recipients=len(recipients))
    if document is not None:
        filename, content_type, content = document
        key = new_key("reports", PurePosixPath(filename).suffix.lower() or ".bin")
        put_with_transaction(key, content, content_type)  # StorageUnavailable: nothing recorded, nothing sent
        run.filename, run.content_type = filename, content_type
        run.storage_key, run.sha256 = key, hashlib.sha256(content).hexdigest()
    db.session.add(run)
    try:
        db.session.flush()
        for address, language in recipients:
            data = dict(data_for(language))
            if document is not None:
                data["attachment_report_run"] = run.id
            queue_mail(None, address, template, language=language, recipient_kind="medewerker", data=data)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        delivery.already = find_run(delivery.kind, period, delivery.group_key)
        return delivery
    delivery.run_id = run.id
    delivery.recipients = [address for address, _ in recipients]
    return delivery
