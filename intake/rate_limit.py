"""An in-process sliding-window rate limit per client (for the public report form).

Kept in memory of one process: enough to stop a runaway script or a double-clicking visitor, not a
distributed quota. Limits are written like "5/600": at most 5 events per 600 seconds.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Optional


def parse_rate(text: str) -> tuple[int, int]:
    """"5/600" → (5, 600); raises ValueError for anything else."""
    count, _, seconds = str(text).partition("/")
    limit, window = int(count), int(seconds)
    if limit < 1 or window < 1:
        raise ValueError(f"a rate limit is 'count/seconds' with both at least 1, not {text!r}")
    return limit, window


class RateLimiter:
    """Counts events per key in a sliding window; thread-safe."""

    MAX_KEYS = 10_000  # forget the oldest clients beyond this, so memory stays bounded

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, window: int, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        while events and events[0] <= now - window:
            events.popleft()
        return events

    def hit(self, key: str, limit: int, window: int) -> Optional[float]:
        """Record one event and return its stamp, or None (nothing recorded) when the limit is reached."""
        with self._lock:
            now = self._clock()
            events = self._recent(key, window, now)
            if len(events) >= limit:
                return None
            events.append(now)
            if len(self._events) > self.MAX_KEYS:
                self._events.pop(next(iter(self._events)))
            return now

    def undo(self, key: str, stamp: float) -> None:
        """Take back an event recorded by `hit` (the attempt did not count, e.g. the form had errors)."""
        with self._lock:
            events = self._events.get(key)
            if events is not None and stamp in events:
                events.remove(stamp)

    def retry_after(self, key: str, limit: int, window: int) -> int:
        """Seconds until one more event would be allowed (0 when it is allowed now)."""
        with self._lock:
            now = self._clock()
            events = self._recent(key, window, now)
            if len(events) < limit:
                return 0
            return max(1, int(events[len(events) - limit] + window - now + 0.999))

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
