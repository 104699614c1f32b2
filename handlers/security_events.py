"""The security log: locked accounts, blocked connections, ended sessions, as rows an admin can read.

Every record is also a log line on the `meldpunt.security` logger, so a city's log shipping sees the same
events as the admin page (/werk/beheer/beveiliging). Rows are written in the caller's transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db
from engine.i18n import N_

log = logging.getLogger("meldpunt.security")

# kind -> the Dutch label on the admin page (English in the catalogues of web/translations)
KINDS = {
    "login_locked": N_("Account vergrendeld na te veel foute wachtwoorden"),
    "login_client_blocked": N_("Verbinding geblokkeerd na te veel mislukte aanmeldingen"),
    "login_unlocked": N_("Account ontgrendeld"),
    "sessions_ended": N_("Alle sessies beëindigd"),
}


class SecurityEvent(Model):
    """Who (the account concerned), what, when, from where (IP), and who did it (a person or 'systeem')."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    username: Mapped[Optional[str]] = mapped_column(String(80))  # as typed: may be no existing account
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80), default="systeem")
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    detail: Mapped[Optional[str]] = mapped_column(Text)


def record(kind: str, *, username: Optional[str] = None, user_id: Optional[int] = None, actor: str = "systeem",
           ip: Optional[str] = None, detail: Optional[str] = None) -> SecurityEvent:
    """Add one security event to the session (the caller commits) and write its log line."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    log.warning("security: %s user=%s by=%s ip=%s %s", kind, username or "-", actor, ip or "-", detail or "")
    event = SecurityEvent(kind=kind, username=username, user_id=user_id, actor=actor, ip=ip, detail=detail)
    db.session.add(event)
    return event


def newest(limit: int = 200) -> list[SecurityEvent]:
    """The newest security events first, for the admin page."""
    return list(db.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)))
