"""First-line contacts under the privacy rules (handlers/privacy.py): anonymised after the same period as reporters,
and part of the reporter's data export.

* A contact that made or joined a case is anonymised with that case: its question, answer and note keep their
  wording without e-mail addresses, phone numbers and the citizen's full name.
* A contact without a case (answered at once) is anonymised by the sweep once it is older than the period: the
  same scrubbing of its texts. A citizen known only from such contacts (no case at all, no newer contact) then
  has their name, e-mail and phone blanked, as a reporter of old cases has.
* The export (handlers/privacy_export.py) lists every contact of the reporter rows it finds.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, Reporter

from .contact_models import Contact
from .privacy import CaseScrub, iso, on_anonymise_case, on_anonymise_sweep, scrub_text


def _scrub_contact(contact: Contact, names: tuple[str, ...]) -> int:
    changed = 0
    for attr in ("question", "answer", "note"):
        value = getattr(contact, attr)
        scrubbed = scrub_text(value, names)
        if scrubbed != value:
            setattr(contact, attr, scrubbed)
            changed += 1
    contact.anonymised_at = utcnow()
    return changed


def _names_of(contact: Contact) -> tuple[str, ...]:
    reporter = contact.reporter
    return (reporter.name,) if reporter is not None and reporter.name else ()


@on_anonymise_case
def scrub_case_contacts(scrub: CaseScrub) -> int:
    """The contacts that made or joined the case: their texts without the citizen's contact data."""
    changed = 0
    for contact in db.session.scalars(select(Contact).where(Contact.case_id == scrub.case.id,
                                                            Contact.anonymised_at.is_(None))):
        changed += _scrub_contact(contact, tuple(scrub.names) + _names_of(contact))
    return changed


@on_anonymise_sweep
def scrub_old_contacts(cutoff: datetime) -> int:
    """Contacts without a case older than the cutoff; then the citizens known only from old contacts."""
    done = 0
    old = list(db.session.scalars(select(Contact).where(Contact.case_id.is_(None), Contact.created_at < cutoff,
                                                        Contact.anonymised_at.is_(None)).limit(5000)))
    for contact in old:
        _scrub_contact(contact, _names_of(contact))
        done += 1
    reporter_ids = {c.reporter_id for c in old if c.reporter_id is not None}
    for reporter_id in sorted(reporter_ids):
        newer = db.session.scalar(select(exists().where(Contact.reporter_id == reporter_id,
                                                        Contact.created_at >= cutoff)))
        has_case = db.session.scalar(select(exists().where(Case.reporter_id == reporter_id)))
        reporter = db.session.get(Reporter, reporter_id)
        if reporter is not None and not newer and not has_case:
            reporter.name = reporter.email = reporter.phone = None
    return done


def export_contacts(reporter_ids: list[int]) -> list[dict[str, Any]]:
    """Every contact of these reporter rows, oldest first, as the reporter's data export lists them."""
    if not reporter_ids:
        return []
    rows = db.session.scalars(select(Contact).where(Contact.reporter_id.in_(reporter_ids)).order_by(Contact.id))
    return [{"at": iso(c.created_at), "channel": c.channel, "question": c.question, "topic": c.topic_name,
             "outcome": c.outcome, "answer": c.answer, "taken_by": c.taken_by_name,
             "case": c.case.reference if c.case is not None else None} for c in rows]
