"""Reporter privacy, part two: everything held about one reporter, exported for a data request (GDPR art. 15).

Other parts of the application add their rows through the hooks of handlers/privacy.py (`on_export_case`,
`on_export`, `personal_file_source`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from engine.clock import utcnow
from engine.db import db
from engine.errors import NotFound
from engine.ids import parse_id
from engine.models import Case, CaseEvent, CaseFile, Reporter
from notifications.models import OutboxMessage

from . import privacy
from .contact_privacy import export_contacts
from .privacy import REPORTER_MESSAGES, file_row, iso


def find_reporters(email_or_id: str | int) -> list[Reporter]:
    """The reporter rows for an e-mail address (case-insensitive) or a reporter id."""
    key = str(email_or_id).strip()
    if not key:
        return []
    if key.isdigit():
        reporter_id = parse_id(key)  # None past the BIGINT range (or for digits such as "²")
        reporter = db.session.get(Reporter, reporter_id) if reporter_id is not None else None
        return [reporter] if reporter is not None else []
    return list(db.session.scalars(select(Reporter).where(func.lower(Reporter.email) == key.lower())
                                   .order_by(Reporter.id)))


def _concerns_reporter(event: CaseEvent) -> bool:
    """Public entries (what they were told), their own messages and feedback, and the anonymisation."""
    if event.public or event.kind in ("feedback", "anonymised", "mail_received", "citizen_reply"):
        return True
    return event.kind == "message" and isinstance(event.data, dict) and event.data.get("message") in REPORTER_MESSAGES


def _event_dict(event: CaseEvent) -> dict[str, Any]:
    row: dict[str, Any] = {"at": iso(event.at), "kind": event.kind, "public": event.public,
                           "status": event.status, "text": event.text}
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "message":
        row["message"] = data.get("message")
        row["payload"] = data.get("payload")
    elif event.kind == "feedback":
        row["comment"] = event.note
        row["satisfied"] = data.get("satisfied")
        row["answer"] = data.get("answer")
    elif event.kind in ("anonymised", "mail_received", "citizen_reply"):
        row["note"] = event.note
    return row


def export_reporter(email_or_id: str | int) -> dict[str, Any]:
    """Everything held about one reporter, JSON-serialisable; NotFound when nobody matches."""
    reporters = find_reporters(email_or_id)
    if not reporters:
        raise NotFound("no reporter with this e-mail address or id")
    ids = [r.id for r in reporters]
    emails = sorted({r.email.lower() for r in reporters if r.email})
    cases = list(db.session.scalars(select(Case).where(Case.reporter_id.in_(ids)).order_by(Case.id)))
    exported_cases = []
    for case in cases:
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
        files = db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id, or_(
            CaseFile.source.in_(privacy.personal_file_sources()), CaseFile.public.is_(True))).order_by(CaseFile.id))
        row = {
            "reference": case.reference, "kind": case.kind, "channel": case.channel, "status": case.status,
            "created_at": iso(case.created_at), "closed_at": iso(case.closed_at),
            "description": case.description, "public_description": case.public_description,
            "address": case.address, "lat": case.lat, "lon": case.lon,
            "category": ({"key": case.category.key, "name": case.category.name} if case.category else None),
            "duplicate_of": case.duplicate_of.reference if case.duplicate_of else None,
            "timeline": [_event_dict(e) for e in events if _concerns_reporter(e)],
            "files": [file_row(f) for f in files],
        }
        for hook in privacy.case_export_hooks():
            extra = dict(hook(case))
            row["files"] += extra.pop("files", [])
            row.update(extra)
        exported_cases.append(row)
    mails = []
    if emails:
        rows = db.session.scalars(select(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(emails))
                                  .order_by(OutboxMessage.id))
        mails = [{"template": m.template, "reference": (m.data or {}).get("reference"), "language": m.language,
                  "status": m.status, "created_at": iso(m.created_at), "sent_at": iso(m.sent_at),
                  "recipient": m.recipient} for m in rows]
    result = {
        "exported_at": iso(utcnow()),
        "reporters": [{"id": r.id, "name": r.name, "email": r.email, "phone": r.phone, "language": r.language,
                       "created_at": iso(r.created_at)} for r in reporters],
        "cases": exported_cases,
        "mails": mails,
        "contacts": export_contacts(ids),  # phone calls and counter visits (handlers/contact_privacy.py)
    }
    for export_hook in privacy.export_hooks():
        result.update(export_hook(emails))
    return result
