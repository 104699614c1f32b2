"""Finding or making the reporter row for a person who gives their contact data (any channel, or a follower)."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from engine.db import db
from engine.models import Reporter
from engine.new_case_row import known_reporter

_NOT_LOOKED_UP = object()


def find_or_create_reporter(name: Optional[str], email: Optional[str], phone: Optional[str],
                            language: str = "nl", *, stored: Any = _NOT_LOOKED_UP) -> Optional[Reporter]:
    """Reuse the reporter with this e-mail address (so their cases form one history), else create one.

    `stored`: the caller looked the address up already (engine.new_case_row.reserve_case_id): the
    stored reporter's column values, or None when there is none.
    """
    if not (name or email or phone):
        return None
    reporter = None
    if stored is not _NOT_LOOKED_UP:
        reporter = known_reporter(stored) if stored is not None else None
    elif email:
        reporter = db.session.scalar(select(Reporter).where(Reporter.email == email.lower())
                                     .order_by(Reporter.id).limit(1))
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
