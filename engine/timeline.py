"""The append-only case timeline: who did what and when, public text or internal note."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from .clock import utcnow
from .db import db
from .models import Case, CaseEvent
from .pending_rows import add_row


def add_event(case: Case, kind: str, *, actor: str = "systeem", user_id: Optional[int] = None,
              public: bool = False, text: Optional[str] = None, note: Optional[str] = None,
              data: Optional[dict[str, Any]] = None) -> None:
    """Append one event (written at commit); public events carry the case's status at this moment."""
    if case.id is None:
        db.session.flush([case])
    add_row(db.session, CaseEvent, {
        "case_id": case.id, "at": utcnow(), "kind": kind, "actor": actor, "user_id": user_id, "public": public,
        "status": case.status if public else None, "text": text, "note": note, "data": data})


def events_of(case_id: int, public_only: bool = False) -> list[CaseEvent]:
    """The timeline of one case, oldest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id)
    if public_only:
        query = query.where(CaseEvent.public.is_(True))
    return list(db.session.scalars(query.order_by(CaseEvent.id)))
