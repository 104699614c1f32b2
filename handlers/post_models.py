"""Tables of incoming post: the registered letter (one per post case) and the reply letters made for it."""
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
