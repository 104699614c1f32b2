"""Writing mails to the outbox inside the case's transaction (the status mails: handlers/status_mails.py)."""
from __future__ import annotations

from typing import Any, Optional

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from engine.pending_rows import add_row
from engine.settings import settings

from .models import OutboxMessage


def tracking_url(case: Case, language: Optional[str] = None) -> str:
    """The public tracking link of a case (its token is the only key); for a reader of English it opens the
    page in English (`?lang=en`: the page keeps that choice in the language cookie)."""
    base = settings().base_url
    return f"{base.rstrip('/')}/volg/{case.tracking_token}{language_query(language)}"


def language_query(language: Optional[str]) -> str:
    """'?lang=en' for a link that must open in the reader's language; Dutch is the default and adds nothing."""
    return f"?lang={language}" if language and language != "nl" and language.isalpha() and len(language) == 2 else ""


def queue_mail(case: Optional[Case], recipient: str, template: str, *, language: str = "nl",
               recipient_kind: str = "melder", data: Optional[dict[str, Any]] = None) -> None:
    """Add one outbox row (written at commit); a sender delivers it after the transaction has committed."""
    payload = {"reference": case.reference} if case is not None else {}
    payload.update(data or {})
    now = utcnow()
    add_row(db.session, OutboxMessage, {
        "case_id": case.id if case is not None else None, "recipient": recipient, "recipient_kind": recipient_kind,
        "template": template, "language": language, "data": payload, "status": "pending", "attempts": 0,
        "created_at": now, "next_attempt_at": now})
