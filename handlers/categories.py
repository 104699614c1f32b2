"""Looking up a category by its key: every new melding names one, so the rows are cached briefly.

The cache holds detached copies loaded in a session of their own; each use merges the copy into the
caller's session without a query (`merge(load=False)`), the pattern SQLAlchemy documents for caching
reference data. Categories change only through seeding or an administrator, and `forget_categories`
drops the copies then; the time limit covers another process making the change.
"""
from __future__ import annotations

import time
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.db import db

from .models import Category

CATEGORY_TTL_SECONDS = 30.0
_copies: dict[tuple[str, str], tuple[float, Optional[Category]]] = {}


def _load_detached(key: str) -> Optional[Category]:
    with Session(db.engine) as session:
        row = session.scalar(select(Category)
                             .options(joinedload(Category.default_group), joinedload(Category.parent))
                             .where(Category.key == key, Category.active.is_(True)))
        session.expunge_all()
    return row


def active_category(key: str) -> Optional[Category]:
    """The active category `key`, with its default group and main category, in the current session."""
    cache_key = (str(db.engine.url), key)
    cached = _copies.get(cache_key)
    if cached is None or time.monotonic() - cached[0] >= CATEGORY_TTL_SECONDS:
        cached = _copies[cache_key] = (time.monotonic(), _load_detached(key))
    copy = cached[1]
    return None if copy is None else db.session.merge(copy, load=False)


def forget_categories() -> None:
    """Drop the cached copies (after categories change, and between tests)."""
    _copies.clear()
