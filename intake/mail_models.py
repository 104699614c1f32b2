"""The record of every mail read from the mailbox or imported: processed once, with its outcome."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime

OUTCOMES = ("new_case", "added_to_case", "ignored", "bounce", "failed")
IMPORT_FOLDER = "(bestand)"  # the folder of mails taken from files with `meldpunt mail import`


class IncomingMail(Model):
    """One mail from the info mailbox (folder, UIDVALIDITY, UID) or from a file, and what became of it.

    Written in the same transaction as the case it creates or changes, so a mail is never processed
    twice and never lost: a crash before the commit leaves no row, and the next poll reads it again.
    """

    __tablename__ = "incoming_mails"
    __table_args__ = (
        UniqueConstraint("folder", "uidvalidity", "uid"),
        Index("ix_incoming_mails_outcome_id", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[Optional[int]] = mapped_column(BigInteger)  # 32-bit unsigned in IMAP
    uid: Mapped[Optional[int]] = mapped_column(BigInteger)
    message_id: Mapped[Optional[str]] = mapped_column(String(500), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the bytes exactly as read
    # of the bytes with CRLF line ends made LF and trailing line ends cut (intake/mail_dedup.py)
    content_sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    sender: Mapped[Optional[str]] = mapped_column(String(254))
    subject: Mapped[Optional[str]] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raw: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # kept only while failed, to try again

    case = relationship("Case")
