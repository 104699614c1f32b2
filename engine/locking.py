"""Locking a case row for changes that do not run the process (assignment, handover, attachments)."""
from __future__ import annotations

from sqlalchemy import select

from .clock import utcnow
from .db import db
from .errors import NotFound
from .models import Case


def lock_case(case_id: int) -> Case:
    """Lock the case (FOR UPDATE on PostgreSQL) and bump it, so a concurrent change fails its version check."""
    case = db.session.scalars(select(Case).where(Case.id == case_id).with_for_update()
                              .execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    case.updated_at = utcnow()
    return case
