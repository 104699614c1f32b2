"""Incoming post under the privacy rules (handlers/privacy.py): the letter's sender, its scan and the replies.

On anonymisation of a post case the sender's name, address and e-mail become "[verwijderd]", the subject
keeps its wording without e-mail, phone and name, and the scan (source "post") and the reply letters (DOCX
files that carry the sender's name and address) are deleted with their rows. The export lists the letter as
registered, its replies and its files.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseFile

from .post_models import PostLetter, PostReply
from .privacy import SCRUBBED, CaseScrub, file_row, on_anonymise_case, on_export_case, personal_file_source, scrub_text

personal_file_source("post")  # the scan of the letter


@on_anonymise_case
def scrub_letter(scrub: CaseScrub) -> int:
    """Blank the sender on the letter's row, scrub its subject, delete the reply letters and their rows."""
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == scrub.case.id))
    if letter is None:
        return 0
    changed = 0
    if letter.sender_name != SCRUBBED:
        scrub.names.append(letter.sender_name)
    values = [letter.sender_name, letter.sender_email, letter.sender_address]
    values += (letter.sender_address or "").splitlines()  # a line of it may stand alone, e.g. in a letter's text
    scrub.known.extend(v.strip() for v in values if v and v.strip() and v.strip() != SCRUBBED)
    for attr in ("sender_name", "sender_address", "sender_email"):
        if getattr(letter, attr) and getattr(letter, attr) != SCRUBBED:
            setattr(letter, attr, SCRUBBED)
            changed += 1
    subject = scrub_text(letter.subject, tuple(scrub.names))
    if subject != letter.subject:
        letter.subject, changed = subject, changed + 1
    letter.scan_file = None  # the scan itself goes with the reporter's files (source "post")
    replies = list(db.session.scalars(select(PostReply).where(PostReply.case_id == scrub.case.id)))
    files = [reply.file for reply in replies]
    for reply in replies:
        db.session.delete(reply)
    db.session.flush()  # the references to the files are gone before the files' rows go
    for stored in files:
        scrub.delete_file(stored)
    return changed


@on_export_case
def export_letter(case: Case) -> dict[str, Any]:
    """The letter as registered (sender, dates, subject, kind), its replies, and the reply letters as files."""
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    if letter is None:
        return {}
    replies = list(db.session.scalars(select(PostReply).where(PostReply.case_id == case.id)
                                      .order_by(PostReply.version)))
    reply_files: Iterable[CaseFile]
    reply_files = db.session.scalars(select(CaseFile).where(CaseFile.id.in_([r.file_id for r in replies]))
                                     .order_by(CaseFile.id)) if replies else []
    return {
        "letter": {"sender_name": letter.sender_name, "sender_address": letter.sender_address,
                   "sender_email": letter.sender_email, "received_on": _day(letter.received_on),
                   "written_on": _day(letter.written_on), "subject": letter.subject, "kind": letter.letter_kind,
                   "kind_label": letter.kind_label, "registered_mail": letter.registered_mail,
                   "scan_pages": letter.scan_pages,
                   "replies": [{"version": r.version, "created_at": r.created_at.isoformat() if r.created_at else None,
                                "sent_on": _day(r.sent_on)} for r in replies]},
        "files": [file_row(f) for f in reply_files],
    }


def _day(value) -> str | None:
    return value.isoformat() if value else None
