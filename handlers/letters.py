"""Reply letters to incoming post, as Word documents (python-docx) with the case's tracking link as a QR code.

`build_letter` is pure (content in, DOCX bytes out); `make_reply` stores a new version of the letter as a
case file with a `post_replies` row, inside the case's transaction. Earlier versions are kept. The letter's
fixed words come from the gettext catalogue in its language (Dutch: letters answer letters written to the
city) and its dates from Babel (nl_BE).
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Optional, cast

import segno
from docx import Document
from docx.shared import Cm, Pt
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseFile
from engine.settings import settings
from notifications.docx_pages import a4_pages
from notifications.i18n import local_date, translator
from notifications.outbox import tracking_url

from .post_models import PostLetter, PostReply
from .storage import new_key, put_with_transaction

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The QR code of the tracking link: the same settings always give the same PNG bytes.
QR_ERROR, QR_SCALE, QR_BORDER = "m", 6, 2
QR_WIDTH = Cm(3)


def dutch_date(day: date) -> str:
    """A date as written in a Dutch letter: 2 december 2026."""
    return local_date("nl", day)


def qr_png(url: str) -> bytes:
    """The QR code for `url` as PNG bytes (made in memory)."""
    out = io.BytesIO()
    segno.make(url, error=QR_ERROR).save(out, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return out.getvalue()


@dataclass(frozen=True)
class LetterContent:
    """Everything a reply letter says."""

    reference: str
    recipient_name: str
    recipient_address: str
    subject: str
    text: str
    handler_name: str
    group_name: Optional[str]
    tracking_url: str
    letter_date: date
    written_on: Optional[date] = None
    city_name: Optional[str] = None
    city_address: Optional[str] = None
    city_phone: Optional[str] = None
    city_website: Optional[str] = None
    language: str = "nl"


def letterhead() -> dict[str, Optional[str]]:
    """The city's letterhead fields from the settings (MELDPUNT_CITY_*)."""
    configured = settings()
    return {"name": configured.city_name, "address": configured.city_address, "phone": configured.city_phone,
            "website": configured.city_website}


def _lines(paragraph, text: str) -> None:
    """Add text to a paragraph, its single line breaks kept as line breaks."""
    for number, line in enumerate(text.split("\n")):
        if number:
            paragraph.add_run().add_break()
        paragraph.add_run(line)


def paragraphs_of(text: str) -> list[str]:
    """The handler's text split into paragraphs at blank lines (line breaks inside a paragraph stay)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def build_letter(content: LetterContent) -> bytes:
    """The reply letter as DOCX bytes: letterhead, addressee, date and references, the text, the QR code."""
    _ = translator(content.language)
    doc = Document()
    a4_pages(doc, content.language)
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    doc.core_properties.title = _("Antwoord op uw brief – {reference}", reference=content.reference)
    doc.core_properties.author = content.handler_name
    doc.core_properties.subject = content.subject

    city = _("Stad {city}", city=content.city_name) if content.city_name else _("Stadsbestuur")
    head = doc.add_paragraph()
    run = head.add_run(city)
    run.bold = True
    run.font.size = Pt(16)
    details = [d for d in (content.city_address, content.city_phone and _("Tel. {phone}", phone=content.city_phone),
                           content.city_website) if d]
    if details:
        _lines(doc.add_paragraph(), "\n".join(details))

    doc.add_paragraph()
    _lines(doc.add_paragraph(), "\n".join([content.recipient_name, *content.recipient_address.splitlines()]))
    doc.add_paragraph()
    place = f"{content.city_name}, " if content.city_name else ""
    doc.add_paragraph(f"{place}{local_date(content.language, content.letter_date)}")
    refs = []
    if content.written_on:
        refs.append(_("Uw brief van {date}", date=local_date(content.language, content.written_on)))
    refs.append(_("Ons kenmerk {reference}", reference=content.reference))
    _lines(doc.add_paragraph(), "\n".join(refs))
    subject = doc.add_paragraph()
    subject.add_run(_("Betreft:") + " ").bold = True
    subject.add_run(content.subject)

    doc.add_paragraph(_("Geachte {name},", name=content.recipient_name))
    for block in paragraphs_of(content.text):
        _lines(doc.add_paragraph(), block)

    doc.add_paragraph(_("U kunt uw dossier volgen via deze link of door de QR-code te scannen:"))
    doc.add_paragraph(content.tracking_url)
    doc.add_picture(io.BytesIO(qr_png(content.tracking_url)), width=QR_WIDTH)

    doc.add_paragraph(_("Met vriendelijke groeten,"))
    _lines(doc.add_paragraph(), "\n".join(x for x in (content.handler_name, content.group_name, city) if x))

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def content_for(case: Case, letter: PostLetter, text: str, handler_name: str, letter_date: date) -> LetterContent:
    """The content of a reply to `letter`, with the letterhead from the settings."""
    head = letterhead()
    return LetterContent(
        reference=cast(str, case.reference), recipient_name=letter.sender_name, recipient_address=letter.sender_address,
        subject=letter.subject, text=text, handler_name=handler_name,
        group_name=case.group.name if case.group is not None else None, tracking_url=tracking_url(case),
        letter_date=letter_date, written_on=letter.written_on, city_name=head["name"],
        city_address=head["address"], city_phone=head["phone"], city_website=head["website"])


def replies_of(case_id: int) -> list[PostReply]:
    """The reply letters made for a case, oldest version first."""
    return list(db.session.scalars(select(PostReply).where(PostReply.case_id == case_id)
                                   .order_by(PostReply.version)))


def make_reply(case: Case, text: str, *, handler_name: str, handler_id: Optional[int],
               letter_date: date) -> PostReply:
    """Build the next version of the reply letter and keep it as a case file (added to the transaction)."""
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    if letter is None:
        raise ValueError(f"case {case.reference} has no registered letter")
    content = build_letter(content_for(case, letter, text, handler_name, letter_date))
    version = (db.session.scalar(select(func.max(PostReply.version)).where(PostReply.case_id == case.id)) or 0) + 1
    key = new_key(case.id, ".docx")
    put_with_transaction(key, content, DOCX_TYPE)  # removed again if the transaction does not commit
    stored = CaseFile(case_id=case.id, filename=f"antwoord-{case.reference}-v{version}.docx",
                      content_type=DOCX_TYPE, size=len(content), storage_key=key,
                      sha256=hashlib.sha256(content).hexdigest(), public=False, source="medewerker",
                      uploaded_by=handler_name)
    reply = PostReply(case_id=case.id, version=version, file=stored, text=text, author=handler_name,
                      author_id=handler_id, group_name=case.group.name if case.group is not None else None)
    db.session.add_all([stored, reply])
    return reply
