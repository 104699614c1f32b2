"""Rate limits every web process shares: a sliding window of events per key, kept in a store all processes see.

A limit reads "5/600": at most 5 events per 600 seconds. Keys name what is counted ("report:<client>",
"login-account:<name>"); stores keep only an HMAC of the key, so no IP address or username sits in the
counter table. Two stores: the database (intake/rate_limit_db.py, the default) and Redis
(intake/rate_limit_redis.py, when MELDPUNT_REDIS_URL is set); `FallbackStore` uses the database while Redis
is unreachable. Counting is atomic in both: several processes never let more than `limit` events through.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

log = logging.getLogger(__name__)


def unix_now() -> float:
    """Seconds since the epoch, looked up at each call (so tests can move the clock)."""
    return time.time()


@dataclass(frozen=True)
class Hit:
    """The outcome of counting one event."""

    allowed: bool
    count: int  # events in the window now (this one included when it was allowed)
    retry_after: int  # seconds until one more event would be allowed (0: allowed now)
    token: Optional[str] = None  # hands this event back to `undo`


def retry_after(stamps: Sequence[float], limit: int, window: int, now: float) -> int:
    """Whole seconds until the window holds fewer than `limit` of `stamps` (sorted, all in the window)."""
    if len(stamps) < limit:
        return 0
    return max(1, math.ceil(stamps[len(stamps) - limit] + window - now))


class RateLimitStore(ABC):
    """Counts events per key in a sliding window. Subclasses keep the events where every process sees them."""

    def __init__(self, secret: str | bytes, clock: Callable[[], float] = unix_now) -> None:
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.clock = clock

    def storage_key(self, key: str) -> str:
        """What the store keeps instead of the key itself (64 hex characters)."""
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    @abstractmethod
    def hit(self, key: str, limit: int, window: int) -> Hit:
        """Count one event, unless `limit` events are already in the window (then nothing is counted)."""

    @abstractmethod
    def undo(self, key: str, token: str) -> None:
        """Take back an event that `hit` counted (the attempt turned out not to count)."""

    @abstractmethod
    def retry_after(self, key: str, limit: int, window: int) -> int:
        """Seconds until one more event would be allowed (0 when it is allowed now); counts nothing."""

    @abstractmethod
    def reset(self, key: str) -> None:
        """Forget every event of `key`."""


class FallbackStore(RateLimitStore):
    """Redis first; while it cannot be reached, the database (a log line when that starts and ends).

    After a failure Redis is left alone for `retry_seconds`, so a dead Redis costs one connection timeout per
    period, not one per request. The two stores do not share counts: during a Redis outage every key starts
    afresh in the database, which is a limit still, and the price of staying up.
    """

    def __init__(self, primary: RateLimitStore, fallback: RateLimitStore, errors: tuple[type[Exception], ...],
                 retry_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.primary, self.fallback, self._errors = primary, fallback, errors
        self._retry_seconds, self._monotonic = retry_seconds, clock
        self._down_since: Optional[float] = None

    def _call(self, method: str, *args):
        now = self._monotonic()
        if self._down_since is None or now - self._down_since >= self._retry_seconds:
            try:
                result = getattr(self.primary, method)(*args)
            except self._errors as err:
                if self._down_since is None:
                    log.error("rate limits: Redis unreachable (%s); counting in the database meanwhile", err)
                self._down_since = now
            else:
                if self._down_since is not None:
                    log.warning("rate limits: Redis reachable again; counting in Redis")
                    self._down_since = None
                return "r", result
        return "d", getattr(self.fallback, method)(*args)

    def hit(self, key: str, limit: int, window: int) -> Hit:
        where, hit = self._call("hit", key, limit, window)
        token = f"{where}:{hit.token}" if hit.token is not None else None
        return Hit(hit.allowed, hit.count, hit.retry_after, token)

    def undo(self, key: str, token: str) -> None:
        where, _, inner = token.partition(":")
        store = self.primary if where == "r" else self.fallback
        try:
            store.undo(key, inner)
        except self._errors as err:  # the event stays counted: the visitor loses one attempt, nothing worse
            log.warning("rate limits: could not take back an event in Redis (%s)", err)

    def retry_after(self, key: str, limit: int, window: int) -> int:
        return self._call("retry_after", key, limit, window)[1]

    def reset(self, key: str) -> None:
        # Both: an admin lifting a lock must lift it wherever it was counted.
        try:
            self.primary.reset(key)
        except self._errors as err:
            log.warning("rate limits: could not reset a key in Redis (%s)", err)
        self.fallback.reset(key)
