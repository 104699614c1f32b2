"""Registering a melding from any channel: reporter, case and process start in one transaction."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case, Reporter
from engine.runtime import start_case
from handlers.categories import active_category

CHANNELS = ("web", "telefoon", "balie", "app", "mail", "brief", "sociale_media")


def find_or_create_reporter(name: Optional[str], email: Optional[str], phone: Optional[str],
                            language: str = "nl") -> Optional[Reporter]:
    """Reuse the reporter with this e-mail address (so their cases form one history), else create one."""
    if not (name or email or phone):
        return None
    reporter = None
    if email:
        reporter = db.session.scalar(select(Reporter).where(Reporter.email == email.lower()).limit(1))
    if reporter is None:
        reporter = Reporter(email=email.lower() if email else None)
        db.session.add(reporter)
    elif email and reporter.email_failed_at is not None:
        reporter.email_failed_at = None  # they gave the address again: it counts as confirmed after a bounce
    # Only what changes is set: an untouched reporter costs no flush at commit (most reporters come back).
    for attr, value in (("name", name), ("phone", phone), ("language", language)):
        if value and getattr(reporter, attr) != value:
            setattr(reporter, attr, value)
    return reporter


def register_melding(*, description: str, channel: str, category: Optional[str] = None,
                     location: Optional[dict[str, Any]] = None, reporter: Optional[dict[str, Any]] = None,
                     actor: str = "systeem", user_id: Optional[int] = None) -> Case:
    """Create a melding and start the melding process; the reporter gets the receipt mail via the outbox."""
    category_row = None
    if category:
        category_row = active_category(category)
        if category_row is None:
            raise InvalidInput("unknown category", {"category": [f"no active category '{category}'"]})
    location = location or {}
    reporter_data = reporter or {}
    person = find_or_create_reporter(reporter_data.get("name"), reporter_data.get("email"),
                                     reporter_data.get("phone"), reporter_data.get("language") or "nl")
    fields = {"description": description, "channel": channel, "category": category_row,
              "address": location.get("address"), "lat": location.get("lat"), "lon": location.get("lon"),
              "reporter": person}
    return start_case(kind="melding", process_key="melding", fields=fields, actor=actor, user_id=user_id)
