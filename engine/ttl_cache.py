"""Reference data kept briefly in each process: categories, groups, the active process versions.

Every new melding, queue page and case page asks for rows that change only when an administrator or a deploy
changes them. A `TtlCache` keeps each answer for a number of seconds: a change made in this process clears it at
once (the caller's `forget()`), a change made in another process is seen when the time is up.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values by key, each kept `seconds` after it was loaded."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The value kept for `key`, or `load()`'s (kept from now on; an exception keeps nothing)."""
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is None or now - entry[0] >= self.seconds:
            entry = self._entries[key] = (now, load())
        return entry[1]

    def forget(self, *keys: K) -> None:
        """Drop the values of these keys, or of every key when none is named: the next `get` loads them again."""
        if not keys:
            self._entries.clear()
        for key in keys:
            self._entries.pop(key, None)
