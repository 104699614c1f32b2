"""Sending failed mails again (the outbox page's buttons and `meldpunt outbox retry`), on the record.

A failed row goes back to pending with its attempts reset and its Message-ID kept (it is the same
mail). Each resend is written on the case's timeline (who, which mail, why it had failed) and logged.
Resending a mail to a reporter whose address was marked failing lifts that mark: a person decided
the address deserves another try, and the status mails that follow go to it again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select, update

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, Reporter
from engine.timeline import add_event

from .models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class ResendResult:
    """What `resend_failed` did: the rows queued again, and the ids asked for that were not failed mails."""

    queued: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def resend_failed(ids: Optional[list[int]] = None, *, all_failed: bool = False, actor: str) -> ResendResult:
    """Queue the failed mails `ids` (or every failed mail) again; commits."""
    query = select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id)
    if not all_failed:
        query = query.where(OutboxMessage.id.in_(ids or []))
    rows = list(db.session.scalars(query))
    result = ResendResult(queued=[r.id for r in rows],
                          refused=[] if all_failed else sorted(set(ids or []) - {r.id for r in rows}))
    now = utcnow()
    for row in rows:
        previous = row.last_error or "(geen foutmelding)"
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        row.last_error = f"opnieuw klaargezet door {actor}; vorige fout: {previous}"[:2000]
        if row.recipient_kind == "melder":
            db.session.execute(update(Reporter).where(func.lower(Reporter.email) == row.recipient.lower())
                               .values(email_failed_at=None).execution_options(synchronize_session="fetch"))
        case = db.session.get(Case, row.case_id) if row.case_id else None
        if case is not None:
            whom = "de melder" if row.recipient_kind == "melder" else row.recipient
            add_event(case, "mail_resent", actor=actor,
                      note=f"Mail '{row.template}' aan {whom} opnieuw klaargezet door {actor}",
                      data={"outbox_id": row.id, "template": row.template})
        log.info("outbox #%s (%s) queued again by %s; it had failed: %s", row.id, row.template, actor, previous)
    db.session.commit()
    return result
