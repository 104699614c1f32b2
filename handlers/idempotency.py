"""Doing a request's work once: the first request with a key does it, a repeat gets the first one's result.

A form that creates or completes something (the public /melden form, a staff task form, post registration)
carries a one-time token; the staff API takes an `Idempotency-Key` header. Either becomes a row here with a
scope (who and what for: "form:melding:visitor:…", "api:meldingen:user:7") and the key, unique together.

`claim` inserts that row before any work, in the transaction that will do the work; the caller records the
result (the case made) on it and commits both together. A second request with the same key (the back
button and "send" again, a double click, a retry after a network error, another worker at the same moment)
collides with the unique constraint - on PostgreSQL its INSERT waits until the first transaction ends, on
SQLite the write lock does the same - and then reads the first request's result instead of doing the work
again. If the first request fails, its rollback takes the row with it and the key can be used again (a form
corrected after a validation error goes out with the same token). Rows are kept for `TTL`; the worker
deletes older ones (`forget_expired`), and a row past its time no longer counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional, cast

from sqlalchemy import JSON, CursorResult, Index, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db

TTL = timedelta(hours=24)
MAX_SCOPE, MAX_KEY = 120, 255


class IdempotencyKey(Model):
    """One used form token or API idempotency key, with the result of the request that used it first."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
                      Index("ix_idempotency_keys_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(MAX_SCOPE))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    fingerprint: Mapped[Optional[str]] = mapped_column(String(64))  # SHA-256 of an API request's body
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass
class Claim:
    """The outcome of `claim`: either this request holds the key now (`row`), or an earlier one did (`earlier`)."""

    row: Optional[IdempotencyKey] = None
    earlier: Optional[IdempotencyKey] = None

    def record(self, **result: Any) -> None:
        """Keep what the work made on the claimed row; it is committed with the work."""
        assert self.row is not None, "only the request that claimed the key records its result"
        self.row.result = result


def find(scope: str, key: str) -> Optional[IdempotencyKey]:
    """The unexpired use of this key in this scope, if any."""
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key,
                                                          IdempotencyKey.created_at > utcnow() - TTL))


def claim(scope: str, key: str, fingerprint: Optional[str] = None,
          result: Optional[dict[str, Any]] = None) -> Claim:
    """Take the key for this request in the current transaction (flushed at once), or find who had it first.

    Call it before doing any work: on a collision the session is rolled back. `result` may be given already
    when it is known before the work (a task form: the case's own page).
    """
    for _attempt in range(3):
        row = IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint, result=result,
                             created_at=utcnow())
        db.session.add(row)
        try:
            db.session.flush()
            return Claim(row=row)
        except IntegrityError:
            db.session.rollback()
        earlier = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                                 IdempotencyKey.key == key))
        if earlier is None:
            continue  # the other request rolled back meanwhile: the key is free again
        if earlier.created_at > utcnow() - TTL:
            return Claim(earlier=earlier)
        # Past its time but not yet cleaned up: it no longer counts.
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == earlier.id))
        db.session.commit()
    raise RuntimeError(f"could not claim idempotency key in scope {scope!r}")


def forget_expired(now: Optional[datetime] = None) -> int:
    """Delete the keys older than TTL (the worker runs this every hour); returns how many."""
    cutoff = (now or utcnow()) - TTL
    deleted = cast(CursorResult[Any], db.session.execute(delete(IdempotencyKey)
                                                         .where(IdempotencyKey.created_at <= cutoff))).rowcount
    db.session.commit()
    return deleted or 0
