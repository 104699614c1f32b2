"""The info mailbox under the privacy rules (handlers/privacy.py), registered as its hooks.

On anonymisation of a case: its incoming mails keep their outcome and Message-ID, but the sender becomes
"[verwijderd]", the subject loses e-mail, phone and name, and the raw bytes go; the files of source "mail"
(attachments, the original .eml) are deleted; an infomail's description (the citizen's mail itself, signature
included) and the notes of its `mail_received` events are replaced by "[verwijderd]". The citizen's reply
(`citizen_reply`) is dropped like the reporter's other messages (handlers.privacy.REPORTER_MESSAGES).

Mails that never became part of a case (ignored, failed) are scrubbed the same way once they are older than
the period, in the same daily run. The export lists every mail received from the reporter's addresses.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from engine.clock import as_utc
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.privacy import (
    SCRUBBED,
    CaseScrub,
    on_anonymise_case,
    on_anonymise_sweep,
    on_export,
    personal_file_source,
    scrub_text,
)

from .mail_models import IncomingMail

personal_file_source("mail")  # attachments and the original message


def _scrub_row(row: IncomingMail, names: tuple[str, ...], subject_to: str | None = None) -> None:
    row.sender = SCRUBBED if row.sender else row.sender
    row.subject = subject_to if subject_to is not None and row.subject else scrub_text(row.subject, names)
    row.reason = scrub_text(row.reason, names)
    row.raw = None


@on_anonymise_case
def scrub_case_mails(scrub: CaseScrub) -> int:
    """The case's incoming mails, an infomail's description and the notes of its received mails."""
    case, changed = scrub.case, 0
    rows = list(db.session.scalars(select(IncomingMail).where(IncomingMail.case_id == case.id)))
    scrub.known.extend(row.sender for row in rows if row.sender and row.sender != SCRUBBED)
    names = tuple(scrub.names)
    for row in rows:
        before = (row.sender, row.subject, row.reason, row.raw is None)
        _scrub_row(row, names)
        changed += before != (row.sender, row.subject, row.reason, row.raw is None)
    if case.kind == "mail" and case.description and case.description != SCRUBBED:
        scrub.known.append(case.description)
        case.description, changed = SCRUBBED, changed + 1
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                            CaseEvent.kind.in_(("mail_received", "citizen_reply")))):
        if event.note and event.note != SCRUBBED:
            if event.kind == "citizen_reply":
                scrub.known.append(event.note)
            event.note, changed = SCRUBBED, changed + 1
        if isinstance(event.data, dict) and event.data.get("attachments"):
            event.data = {**event.data, "attachments": [SCRUBBED for _ in event.data["attachments"]]}
    return changed


@on_anonymise_sweep
def scrub_loose_mails(cutoff: datetime) -> int:
    """Mails without a case (ignored, failed) received before the cutoff: sender, subject and raw bytes go."""
    rows = list(db.session.scalars(select(IncomingMail).where(
        IncomingMail.case_id.is_(None), IncomingMail.received_at < cutoff,
        or_(IncomingMail.raw.is_not(None), and_(IncomingMail.sender.is_not(None), IncomingMail.sender != SCRUBBED),
            and_(IncomingMail.subject.is_not(None), IncomingMail.subject != SCRUBBED)))))
    for row in rows:
        _scrub_row(row, (), subject_to=SCRUBBED)  # no names known here: the whole subject goes
    return len(rows)


@on_export
def export_mails(emails: list[str]) -> dict[str, Any]:
    """Every mail received from these addresses: when, its subject, what became of it, and its case."""
    if not emails:
        return {"incoming_mails": []}
    rows = db.session.execute(select(IncomingMail, Case.reference).outerjoin(Case, Case.id == IncomingMail.case_id)
                              .where(func.lower(IncomingMail.sender).in_(emails)).order_by(IncomingMail.id))
    return {"incoming_mails": [
        {"received_at": as_utc(row.received_at).isoformat() if row.received_at else None, "sender": row.sender,
         "subject": row.subject, "outcome": row.outcome, "case": reference} for row, reference in rows]}
