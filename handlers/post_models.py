"""Tables of incoming post: the registered letter (one per post case), the text read from its scan and the reply
letters made for it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime
from engine.i18n import N_
from engine.models import CaseFile

# The kinds of letter the postkamer chooses from, with their Dutch labels (English in web/translations).
LETTER_KINDS: dict[str, str] = {
    "vraag": N_("Vraag"),
    "klacht": N_("Klacht"),
    "bezwaar": N_("Bezwaar"),
    "factuur": N_("Factuur"),
    "ter_info": N_("Ter informatie"),
}
DEADLINE_UNITS: dict[str, str] = {"kalenderdagen": N_("kalenderdagen"), "werkdagen": N_("werkdagen")}


class PostLetter(Model):
    """A letter received on paper: who sent it, when, what about, and its scan (a case file)."""

    __tablename__ = "post_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_address: Mapped[str] = mapped_column(Text)
    sender_email: Mapped[Optional[str]] = mapped_column(String(254))
    received_on: Mapped[date] = mapped_column(Date)
    written_on: Mapped[Optional[date]] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(300))
    letter_kind: Mapped[str] = mapped_column(String(20))
    registered_mail: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_days: Mapped[int] = mapped_column(Integer)
    deadline_unit: Mapped[str] = mapped_column(String(20))
    scan_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case_files.id"))
    scan_pages: Mapped[Optional[int]] = mapped_column(Integer)
    registered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # No relationship to Case: a new case is written outside the ORM while its process starts, so rows
    # made for it refer to it by id (see engine/new_case_row.py).
    scan_file: Mapped[Optional[CaseFile]] = relationship(foreign_keys=[scan_file_id])

    @property
    def kind_label(self) -> str:
        """The Dutch label of the letter's kind."""
        return LETTER_KINDS.get(self.letter_kind, self.letter_kind)


class PostReply(Model):
    """One version of the reply letter (DOCX, kept as a case file); regenerating adds a version."""

    __tablename__ = "post_replies"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    group_name: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_on: Mapped[Optional[date]] = mapped_column(Date)

    file: Mapped[CaseFile] = relationship()


# What the worker did with a letter's scan (handlers/letter_ocr.py): pending until a worker claims it (running,
# with a lease), then done (text read, maybe only up to the page or time bound), unavailable (pages without a
# text layer and no Tesseract on the worker: read again once it is there) or failed (the scan cannot be read).
OCR_STATUSES = ("pending", "running", "done", "unavailable", "failed")


class LetterText(Model):
    """The text of a letter's scan: its text layer and what Tesseract read, searchable and shown to staff."""

    __tablename__ = "letter_texts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("post_letters.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    text: Mapped[Optional[str]] = mapped_column(Text)
    pages_total: Mapped[Optional[int]] = mapped_column(Integer)
    pages_read: Mapped[int] = mapped_column(Integer, default=0)  # pages looked at (text layer, OCR or empty)
    text_layer_pages: Mapped[int] = mapped_column(Integer, default=0)
    unread_pages: Mapped[int] = mapped_column(Integer, default=0)  # without a text layer, and no Tesseract
    stopped: Mapped[Optional[str]] = mapped_column(String(10))  # "pages" or "time": the bound that ended it
    page_limit: Mapped[Optional[int]] = mapped_column(Integer)  # the page bound in force when it was read
    problem: Mapped[Optional[str]] = mapped_column(String(400))  # why it failed (for the log, in English)
    suggested_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))
    suggestion: Mapped[Optional[str]] = mapped_column(Text)  # the routing rules' reason, on subject and text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    letter: Mapped[PostLetter] = relationship()
    suggested_group = relationship("HandlerGroup")
