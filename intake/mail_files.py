"""Attachments and the original message of a mail, kept as case files (source "mail").

handlers/files.store_file only accepts photos and PDFs from the public form; a mail may carry any
file, so this stores any type, with the type read from the content where we recognise it. A type we
cannot vouch for is never stored as an image (the case page shows images inline; everything else is
a download), so a disguised SVG or HTML file cannot run in a staff member's browser.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from engine.db import db
from engine.models import Case, CaseFile
from handlers.files import sniff
from handlers.storage import new_key, put_with_transaction

from .mail_parse import Attachment, ParsedMail

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ORIGINAL_BYTES = 50 * 1024 * 1024
SAFE_TYPE = re.compile(r"[a-z0-9.+-]+/[a-z0-9.+-]+")


def _content_type(content: bytes, declared: str) -> tuple[str, str]:
    """(content type, extension): from the content's signature, else the declared type if harmless."""
    sniffed = sniff(content)
    if sniffed is not None:
        return sniffed
    declared = declared.lower()
    if not SAFE_TYPE.fullmatch(declared) or declared.startswith("image/") or declared in ("text/html", "image/svg+xml"):
        declared = "application/octet-stream"
    return declared, ""


def store_mail_file(case: Case, content: bytes, filename: str, declared_type: str) -> CaseFile:
    """Write one file of a mail to storage and add its row to the current transaction."""
    content_type, ext = _content_type(content, declared_type)
    suffix = ext or (Path(filename).suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", Path(filename).suffix.lower())
                     else ".bin")
    key = new_key(case.id, suffix)
    put_with_transaction(key, content, content_type)  # removed again if the transaction does not commit
    stored = CaseFile(case_id=case.id, filename=(Path(filename).name or f"bijlage{suffix}")[:200],
                      content_type=content_type, size=len(content), storage_key=key,
                      sha256=hashlib.sha256(content).hexdigest(), public=False, source="mail",
                      uploaded_by="mailbox")
    db.session.add(stored)
    return stored


def store_mail_files(case: Case, mail: ParsedMail) -> list[str]:
    """Keep the mail's attachments and the whole original (.eml) on the case; notes on what was left out."""
    notes = []
    for attachment in mail.attachments:
        notes += _store_attachment(case, attachment)
    if len(mail.raw) <= MAX_ORIGINAL_BYTES:
        store_mail_file(case, mail.raw, _original_name(mail), "message/rfc822")
    else:
        notes.append(f"origineel bericht niet bewaard: groter dan {MAX_ORIGINAL_BYTES // (1024 * 1024)} MB")
    return notes


def _store_attachment(case: Case, attachment: Attachment) -> list[str]:
    if len(attachment.content) > MAX_ATTACHMENT_BYTES:
        return [f"bijlage {attachment.filename} niet bewaard: groter dan {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB "
                "(ze staat wel in het originele bericht op de mailserver)"]
    store_mail_file(case, attachment.content, attachment.filename, attachment.content_type)
    return []


def _original_name(mail: ParsedMail) -> str:
    stamp = mail.date.strftime("%Y%m%d-%H%M") if mail.date else "zonder-datum"
    return f"mail-{stamp}.eml"
