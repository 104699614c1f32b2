"""Rate-limit counters in Redis (when MELDPUNT_REDIS_URL is set): a sorted set of event times per key.

Counting runs as one Lua script, so it is atomic however many processes count the same key. Keys expire
with their window, so Redis cleans up by itself. Short socket timeouts: a Redis that hangs must not hang
the login page (web/rate_limits.py falls back to the database then).
"""
from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from typing import cast

import redis

from .rate_limit import Hit, RateLimitStore, retry_after, unix_now

# KEYS[1]: the key; ARGV: now, limit, window, member. Returns {allowed, count, retry_after in ms}.
HIT = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return {0, count, math.ceil((tonumber(oldest[2]) + window - now) * 1000)}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
count = count + 1
if count < limit then return {1, count, 0} end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {1, count, math.ceil((tonumber(oldest[2]) + window - now) * 1000)}
"""

ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisRateLimitStore(RateLimitStore):
    """The store shared through one Redis server; `prefix` keeps Meldpunt's keys apart from others'."""

    def __init__(self, url: str, secret: str | bytes, prefix: str = "meldpunt:rate:",
                 clock: Callable[[], float] = unix_now, timeout: float = 0.5) -> None:
        super().__init__(secret, clock)
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix
        self._hit = self.client.register_script(HIT)

    def _key(self, key: str) -> str:
        return self.prefix + self.storage_key(key)

    def hit(self, key: str, limit: int, window: int) -> Hit:
        now = self.clock()
        member = f"{now:.6f}:{secrets.token_hex(4)}"
        allowed, count, wait_ms = self._hit(keys=[self._key(key)], args=[repr(now), limit, window, member])
        wait = max(1, math.ceil(int(wait_ms) / 1000)) if int(wait_ms) > 0 else 0
        return Hit(bool(allowed), int(count), wait, member if allowed else None)

    def undo(self, key: str, token: str) -> None:
        self.client.zrem(self._key(key), token)

    def retry_after(self, key: str, limit: int, window: int) -> int:
        now = self.clock()
        pairs = cast(list[tuple[bytes, float]],  # the client is synchronous: (member, score) pairs, no awaitable
                     self.client.zrangebyscore(self._key(key), f"({now - window!r}", "+inf", withscores=True))
        stamps = [score for _member, score in pairs]
        return retry_after(stamps, limit, window, now)

    def reset(self, key: str) -> None:
        self.client.delete(self._key(key))
