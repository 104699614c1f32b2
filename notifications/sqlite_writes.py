"""Short writes that get SQLite's one write lock promptly, also while the web app keeps it busy.

SQLite's own busy handler (pysqlite's `timeout`, 30 s here) waits for the write lock by sleeping in
growing steps, up to 100 ms a step. The web threads each write once per request; the mail sender writes
once per mail (the "sent" mark, committed right after the server's 250 so a crash resends at most the
mail in flight). Waiting like that, the sender lost the lock to the web threads again and again and sent
8 to 30 mails a second under web load while intake ran at 70 to 180 meldingen a second.

`write_promptly` runs one short write with the busy handler cut to a millisecond and tries again after a
short pause itself, for as long as the usual timeout: the sender asks for the lock often instead of
sleeping behind the queue. `try_write` tries once and says whether it got the lock, so the sender can
send the next mail meanwhile and record both marks together. PostgreSQL has row locks and no such queue;
there the write runs as is.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session

T = TypeVar("T")

PAUSE = 0.0005  # seconds between tries: a mark takes well under a millisecond once it holds the lock
GIVE_UP = 30.0  # the same patience as the connection's own timeout (web/config.py)
_SHORT = text("PRAGMA busy_timeout = 1")
_USUAL = text(f"PRAGMA busy_timeout = {int(GIVE_UP * 1000)}")


def _locked(err: OperationalError) -> bool:
    return "locked" in str(err.orig).lower() or "busy" in str(err.orig).lower()


def try_write(session: Session | scoped_session[Any], statements: Callable[[], object]) -> bool:
    """Run `statements` and commit if the write lock can be had within about a millisecond; False if not."""
    if session.get_bind().dialect.name != "sqlite":
        statements()
        session.commit()
        return True
    session.execute(_SHORT)
    try:
        statements()
    except OperationalError as err:
        session.execute(_USUAL)
        session.rollback()
        if not _locked(err):
            raise
        return False
    session.execute(_USUAL)
    session.commit()
    return True


def write_promptly(session: Session | scoped_session[Any], statements: Callable[[], T]) -> T:
    """Run `statements` and commit, as one transaction; on SQLite, poll for the write lock meanwhile.

    The short busy timeout is set and restored on the connection the transaction holds, before its commit
    or rollback hands the connection back to the pool, so no other transaction inherits it.
    """
    if session.get_bind().dialect.name != "sqlite":
        result = statements()
        session.commit()
        return result
    deadline = time.monotonic() + GIVE_UP
    while True:
        session.execute(_SHORT)
        try:
            result = statements()
        except OperationalError as err:
            session.execute(_USUAL)
            session.rollback()
            if not _locked(err) or time.monotonic() > deadline:
                raise
            time.sleep(PAUSE)
            continue
        session.execute(_USUAL)
        session.commit()
        return result
