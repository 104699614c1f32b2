"""Looking up a category by its key: every new melding names one, so the rows are cached briefly.

The cache holds detached copies loaded in a session of their own; each use merges the copy into the
caller's session without a query (`merge(load=False)`), the pattern SQLAlchemy documents for caching
reference data. Categories change only through seeding or an administrator, and `forget_categories`
drops the copies then; the time limit covers another process making the change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.db import db, load_detached
from engine.ttl_cache import TtlCache

from .models import Category

CATEGORY_TTL_SECONDS = 30.0
_copies: TtlCache[tuple[str, str], Optional[Category]] = TtlCache(CATEGORY_TTL_SECONDS)


def _load_detached(key: str) -> Optional[Category]:
    return load_detached(select(Category).options(joinedload(Category.default_group), joinedload(Category.parent))
                         .where(Category.key == key, Category.active.is_(True)))


def active_category(key: str) -> Optional[Category]:
    """The active category `key`, with its default group and main category, in the current session."""
    copy = _copies.get((str(db.engine.url), key), lambda: _load_detached(key))
    return None if copy is None else db.session.merge(copy, load=False)


@dataclass(frozen=True)
class CategoryChoice:
    """A category as a choice in a list: its key, its name and its main category's (pages show "main › name")."""

    key: str
    name: str
    parent: Optional[CategoryChoice] = None


_choices: TtlCache[tuple[str, bool], tuple[CategoryChoice, ...]] = TtlCache(CATEGORY_TTL_SECONDS)


def category_choices(main: bool) -> tuple[CategoryChoice, ...]:
    """By name: with `main` the main categories (a queue's filter), else the active sub categories with their
    main category (the triage and correction forms' choice). Cached like the rows above: every queue page and
    case page shows one of the lists."""
    return _choices.get((str(db.engine.url), main), lambda: _load_choices(main))


def _load_choices(main: bool) -> tuple[CategoryChoice, ...]:
    if main:
        rows = db.session.scalars(select(Category).where(Category.parent_id.is_(None)).order_by(Category.name))
        return tuple(CategoryChoice(c.key, c.name) for c in rows)
    rows = db.session.scalars(select(Category).where(Category.parent_id.is_not(None),
                                                     Category.active.is_(True))  # public or staff only
                              .options(joinedload(Category.parent)).order_by(Category.name))
    return tuple(CategoryChoice(c.key, c.name, CategoryChoice(c.parent.key, c.parent.name)) for c in rows)


def forget_categories() -> None:
    """Drop the cached copies and lists (after categories change, and between tests)."""
    _copies.forget()
    _choices.forget()
