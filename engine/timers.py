"""The scheduler tick: fire the timers that are due, using the indexed `next_timer_at` column.

The tick never scans process state: it selects due case ids by index, then locks and runs each
one in its own transaction (SKIP LOCKED on PostgreSQL, so several workers can tick at once).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from .clock import utcnow
from .db import db
from .errors import EngineError
from .models import Case
from .runtime import CaseRun, commit_or_explain, run_guarded

log = logging.getLogger(__name__)


def due_case_ids(now: Optional[datetime] = None, limit: int = 200) -> list[int]:
    """Ids of cases with a timer due at `now`, earliest first."""
    now = now or utcnow()
    query = (select(Case.id).where(Case.next_timer_at <= now, Case.completed.is_(False))
             .order_by(Case.next_timer_at).limit(limit))
    return list(db.session.scalars(query))


def tick_case(case_id: int) -> bool:
    """Fire the due timers of one case; False when another worker holds it or it is no longer due."""

    def act() -> bool:
        run = CaseRun.open(case_id, skip_locked=True)
        if run is None or run.case.next_timer_at is None or run.case.next_timer_at > utcnow():
            db.session.rollback()
            return False
        run.run_engine()  # refresh_timers() first, then the engine steps the fired timers unlock
        run.save()
        commit_or_explain(case_id)
        return True

    return run_guarded(case_id, "systeem", act)


def tick(now: Optional[datetime] = None, limit: int = 200) -> int:
    """One scheduler tick: returns how many cases moved on; a failing case does not stop the others."""
    fired = 0
    for case_id in due_case_ids(now, limit):
        try:
            fired += tick_case(case_id)
        except EngineError as err:
            log.warning("timer tick for case %s failed: %s", case_id, err)
    return fired
