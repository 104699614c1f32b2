"""Open311 client keys: one per app that may create service requests, managed by the admin.

A staff member's API token opens the whole staff API, so it must never sit in a third-party app; each
app gets its own key instead, named after the app (shown on the timeline of every request it makes),
shown once when created and stored only as a SHA-256 hash, and revoked on its own when the app is
retired or its key leaked. A revoked app's name can be given a new key.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Optional

from sqlalchemy import Index, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.db import Model, UTCDateTime, db
from engine.errors import InvalidInput, NotFound
from handlers.models import hash_token

KEY_PREFIX = "o311_"  # recognisable in a leaked config file or by a secret scanner
NAME = re.compile(r"^[\w][\w .()/-]{0,79}$")


class Open311Key(Model):
    """The key of one Open311 client app (only its hash is kept)."""

    __tablename__ = "open311_keys"
    __table_args__ = (Index("ix_open311_keys_active_name", "name", unique=True,
                            postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[str]] = mapped_column(String(200))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _active_named(name: str) -> Optional[Open311Key]:
    return db.session.scalar(select(Open311Key).where(Open311Key.name == name, Open311Key.revoked_at.is_(None)))


def create_key(name: str, created_by: str) -> tuple[Open311Key, str]:
    """A new key for the app `name` (added to the transaction); returns the row and the key, shown only now."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("give the app a name", {"name": ["required"]})
    if not NAME.match(name):
        raise InvalidInput("use at most 80 letters, digits, spaces and . - _ ( ) /", {"name": ["invalid"]})
    if _active_named(name) is not None:
        raise InvalidInput(f"the app '{name}' has an active key already: revoke it first",
                           {"name": ["exists"]})
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311Key(name=name, key_hash=hash_token(secret), created_by=created_by, created_at=utcnow())
    db.session.add(row)
    return row, secret


def replace_key(name: str, created_by: str) -> tuple[Open311Key, str]:
    """Revoke the app's active key (if any) and give it a new one: the demo app gets a fresh key per seed."""
    existing = _active_named(name)
    if existing is not None:
        _revoke(existing, created_by)
        db.session.flush()  # the active-name index must see the old key revoked first
    return create_key(name, created_by)


def list_keys() -> list[Open311Key]:
    """Every key, active ones first, newest first."""
    return list(db.session.scalars(select(Open311Key).order_by(Open311Key.revoked_at.is_not(None),
                                                               Open311Key.created_at.desc(), Open311Key.id.desc())))


def revoke_key(name: str, revoked_by: str) -> Open311Key:
    """Revoke the active key of the app `name`; NotFound when it has none."""
    row = _active_named(" ".join((name or "").split()))
    if row is None:
        raise NotFound(f"no active Open311 key named '{name}'")
    return _revoke(row, revoked_by)


def revoke_key_id(key_id: int, revoked_by: str) -> Open311Key:
    """Revoke one key by its id (a key revoked already stays as it was); NotFound when there is none."""
    row = db.session.get(Open311Key, key_id)
    if row is None:
        raise NotFound(f"no Open311 key {key_id}")
    return _revoke(row, revoked_by) if row.active else row


def _revoke(row: Open311Key, revoked_by: str) -> Open311Key:
    row.revoked_at, row.revoked_by = utcnow(), revoked_by
    return row


def app_for_key(api_key: Optional[str]) -> Optional[Open311Key]:
    """The active app whose key this is, or None."""
    key = (api_key or "").strip()
    if not key or len(key) > 200:
        return None
    row = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == hash_token(key)))
    return row if row is not None and row.active else None
