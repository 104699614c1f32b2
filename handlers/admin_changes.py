"""The administration log: every change a functional administrator makes to how Meldpunt works.

Deploying, checking in, activating or rolling back a process model, moving running cases to another
version, changing a category, a mail text or a ready-made answer: each is one row here, written in the
same transaction as the change (the caller commits), and a log line on `meldpunt.admin`. Admins read them
at /werk/beheer/wijzigingen, newest first, per area.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db
from engine.i18n import N_

log = logging.getLogger("meldpunt.admin")

# area -> its Dutch name on the admin page (English in the catalogues of web/translations)
AREAS = {
    "process": N_("Procesmodellen"),
    "case_version": N_("Dossiers naar een andere versie"),
    "category": N_("Categorieën"),
    "mail_text": N_("Mailteksten"),
    "ready_answer": N_("Standaardantwoorden"),
    "contact_topic": N_("Onderwerpen van contacten"),
}


class AdminChange(Model):
    """Who changed what, when: one administrative change."""

    __tablename__ = "admin_changes"
    __table_args__ = (Index("ix_admin_changes_area_id", "area", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    area: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))  # deploy, activate, create, update, deactivate, revert, ...
    subject: Mapped[str] = mapped_column(String(200))  # what was changed: "melding v3", "sluikstort", ...
    actor: Mapped[str] = mapped_column(String(200), default="systeem")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[Optional[str]] = mapped_column(Text)  # a sentence for people (Dutch)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # old and new values, for machines


def record_change(area: str, action: str, subject: str, *, actor: str = "systeem", user_id: Optional[int] = None,
                  detail: Optional[str] = None, data: Optional[dict[str, Any]] = None) -> AdminChange:
    """Add one change to the session (the caller commits, with the change itself) and write its log line."""
    if area not in AREAS:
        raise ValueError(f"unknown administration area {area!r}")
    log.info("admin: %s %s %s by %s%s", area, action, subject, actor, f": {detail}" if detail else "")
    change = AdminChange(area=area, action=action, subject=subject[:200], actor=actor, user_id=user_id,
                         detail=detail, data=data)
    db.session.add(change)
    return change


def changes(area: Optional[str] = None, limit: int = 200) -> list[AdminChange]:
    """The newest changes first, of one area or of all."""
    query = select(AdminChange).order_by(AdminChange.id.desc()).limit(limit)
    if area:
        query = query.where(AdminChange.area == area)
    return list(db.session.scalars(query))
