"""The outbox: one row per message to send, written in the same transaction as the case change."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime


class OutboxMessage(Model):
    """A mail waiting to be sent (or sent, or failed), rendered from a template and its data."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_kind: Mapped[str] = mapped_column(String(20), default="melder")
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    message_id: Mapped[Optional[str]] = mapped_column(String(200))


class SenderState(Model):
    """The SMTP sender as a whole: is the mail server reachable, and since when not (one row, name "smtp").

    Kept in the database so every worker and a restarted one back off together, and so the admin page
    (and a future /metrics) can read it: `outage_since` and `consecutive_failures` are gauges,
    `outages_total` a counter.
    """

    __tablename__ = "sender_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    outage_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # None: the server answers
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # no connection attempt before this
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    last_success_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # last session that worked
    outages_total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, default=utcnow)
