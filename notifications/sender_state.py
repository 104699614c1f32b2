"""The SMTP server's state as the sender sees it: reachable, or down since when (and when to try again).

A refused connection, a timeout, a 421 or a dropped session says nothing about the mail being sent:
it is the server's state. So the sender then charges no mail an attempt; it records the outage here
(one row, shared by every worker through the database), logs its start and end once, and makes no
new connection attempt before `retry_at`. The wait doubles from 30 seconds but never exceeds the
outbox interval, so mail waiting during an outage goes out within one interval of the server's return.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Optional, TypeGuard, cast

from sqlalchemy import CursorResult, Row, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.db import db

from .models import SenderState

log = logging.getLogger("notifications.sender")

STATE_NAME = "smtp"
FIRST_WAIT = timedelta(seconds=30)
# A scheduled run that comes a moment before retry_at still tries: otherwise a wait equal to the
# interval would make every other run skip and recovery take two intervals.
SLACK = timedelta(seconds=2)

_table = SenderState.__table__


def current_state() -> Optional[Row]:
    """The sender's row as read now, a snapshot that commits do not expire (None before anything was recorded)."""
    return db.session.execute(select(_table).where(_table.c.name == STATE_NAME)).first()


def backing_off(state: Optional[Row[Any]], now: datetime) -> TypeGuard[Row[Any]]:
    """Whether the server was found down and the next connection attempt is not due yet."""
    return bool(state is not None and state.outage_since is not None and state.retry_at is not None
                and state.retry_at - SLACK > now)


def wait_after(failures: int, interval_seconds: float) -> timedelta:
    """How long every sender waits after the `failures`-th failed connection in a row: 30 s, 1 min, 2 min, ...
    capped at the outbox interval."""
    cap = timedelta(seconds=max(interval_seconds, 1))
    return min(FIRST_WAIT * (2 ** min(max(failures, 1) - 1, 20)), cap)


def _ensure_row() -> None:
    if db.session.execute(select(_table.c.name).where(_table.c.name == STATE_NAME)).first() is not None:
        return
    try:
        db.session.execute(_table.insert().values(name=STATE_NAME, consecutive_failures=0, outages_total=0,
                                                  updated_at=utcnow()))
        db.session.commit()
    except IntegrityError:  # another worker inserted it first
        db.session.rollback()


def record_outage(error: str, server: str, interval_seconds: float, now: Optional[datetime] = None) -> Row:
    """The server did not answer (or dropped us): count it, set when to try again, log the start once; commits."""
    now = now or utcnow()
    _ensure_row()
    started = cast(CursorResult[Any], db.session.execute(
        update(_table).where(_table.c.name == STATE_NAME, _table.c.outage_since.is_(None))
        .values(outage_since=now, consecutive_failures=0, outages_total=_table.c.outages_total + 1))).rowcount == 1
    db.session.execute(update(_table).where(_table.c.name == STATE_NAME).values(
        consecutive_failures=_table.c.consecutive_failures + 1, last_error=error[:2000], updated_at=now))
    failures = db.session.execute(select(_table.c.consecutive_failures)
                                  .where(_table.c.name == STATE_NAME)).scalar_one()
    retry_at = now + wait_after(failures, interval_seconds)
    db.session.execute(update(_table).where(_table.c.name == STATE_NAME).values(retry_at=retry_at))
    db.session.commit()
    if started:
        log.warning("outbox: SMTP server %s unreachable, sending paused; no mail is charged an attempt "
                    "(next try %s): %s", server, retry_at.strftime("%H:%M:%S"), error)
    else:
        log.info("outbox: SMTP server %s still unreachable (%d failed connections), next try %s: %s", server,
                 failures, retry_at.strftime("%H:%M:%S"), error)
    state = current_state()
    assert state is not None
    return state


def record_reachable(state: Optional[Row], server: str, now: Optional[datetime] = None) -> None:
    """A session with the server worked: end an outage (logging its length once) and note the time; commits."""
    now = now or utcnow()
    if state is None:
        _ensure_row()
    if state is not None and state.outage_since is not None:
        since, failures = state.outage_since, state.consecutive_failures
        ended = cast(CursorResult[Any], db.session.execute(
            update(_table).where(_table.c.name == STATE_NAME, _table.c.outage_since == since)
            .values(outage_since=None, consecutive_failures=0, retry_at=None, last_success_at=now,
                    updated_at=now))).rowcount == 1
        db.session.commit()
        if ended:
            log.warning("outbox: SMTP server %s reachable again after %s (%d failed connections); sending resumed",
                        server, _duration(now - since), failures)
        return
    db.session.execute(update(_table).where(_table.c.name == STATE_NAME).values(last_success_at=now))
    db.session.commit()


def _duration(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
