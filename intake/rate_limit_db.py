"""Rate-limit counters in the database: one row per key with the times of the events in its window.

Counting is one short transaction of its own (not the request's), so a count holds even when the request
later rolls back. The transaction starts by upserting the key's row: on PostgreSQL that locks the row, on
SQLite it takes the write lock, so two processes counting the same key wait for each other instead of both
reading "4 of 5" and both going on. A row lives until its newest event leaves the window; every
`SWEEP_EVERY`th count also deletes the expired rows of other keys.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Optional

from sqlalchemy import Float, String, Text, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Model

from .rate_limit import Hit, RateLimitStore, retry_after, unix_now


class RateLimitCounter(Model):
    """The events of one key (an HMAC of it, see intake/rate_limit.py) still inside their window."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamps: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of Unix times, oldest first
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # when the newest event leaves its window


TABLE = RateLimitCounter.__table__
SWEEP_EVERY = 200


class DatabaseRateLimitStore(RateLimitStore):
    """The store every process sees through the database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, secret: str | bytes, clock: Callable[[], float] = unix_now) -> None:
        super().__init__(secret, clock)
        self.engine = engine
        self._counted = 0

    def _lock(self, conn: Connection, key: str) -> list[float]:
        """Lock the key's row (creating it) and return its stamps."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        upsert = dialect.insert(TABLE).values(key=key, stamps="[]", expires_at=0.0)
        upsert = upsert.on_conflict_do_update(index_elements=[TABLE.c.key],
                                              set_={"expires_at": TABLE.c.expires_at}).returning(TABLE.c.stamps)
        return [float(s) for s in json.loads(conn.execute(upsert).scalar_one() or "[]")]

    @staticmethod
    def _save(conn: Connection, key: str, stamps: list[float], window: Optional[int]) -> None:
        if not stamps:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))
            return
        expires = stamps[-1] + window if window else stamps[-1]
        conn.execute(update(TABLE).where(TABLE.c.key == key).values(stamps=json.dumps(stamps), expires_at=expires))

    def hit(self, key: str, limit: int, window: int) -> Hit:
        key = self.storage_key(key)
        with self.engine.begin() as conn:
            now = self.clock()
            stamps = [s for s in self._lock(conn, key) if s > now - window]
            if len(stamps) >= limit:
                self._save(conn, key, stamps, window)
                return Hit(False, len(stamps), retry_after(stamps, limit, window, now))
            stamp = now if not stamps or now > stamps[-1] else stamps[-1] + 1e-6  # unique, in order
            stamps.append(stamp)
            self._save(conn, key, stamps, window)
        self._counted += 1
        if self._counted % SWEEP_EVERY == 0:
            self.sweep()
        return Hit(True, len(stamps), retry_after(stamps, limit, window, now), repr(stamp))

    def undo(self, key: str, token: str) -> None:
        key = self.storage_key(key)
        with self.engine.begin() as conn:
            stamps = self._lock(conn, key)
            kept = [s for s in stamps if repr(s) != token]
            if not kept:
                conn.execute(delete(TABLE).where(TABLE.c.key == key))
            elif len(kept) != len(stamps):
                # The window is unknown here: keep the row's expiry as it was (it can only be later than needed).
                conn.execute(update(TABLE).where(TABLE.c.key == key).values(stamps=json.dumps(kept)))

    def retry_after(self, key: str, limit: int, window: int) -> int:
        key = self.storage_key(key)
        with self.engine.connect() as conn:
            raw = conn.execute(TABLE.select().with_only_columns(TABLE.c.stamps).where(TABLE.c.key == key)).scalar()
        now = self.clock()
        stamps = [float(s) for s in json.loads(raw or "[]") if float(s) > now - window]
        return retry_after(stamps, limit, window, now)

    def reset(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == self.storage_key(key)))

    def sweep(self) -> int:
        """Delete the rows whose every event has left its window; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(TABLE).where(TABLE.c.expires_at < self.clock())).rowcount
