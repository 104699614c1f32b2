"""The brief per-process cache of reference data (engine/ttl_cache.py): a value is loaded once, kept for its
seconds, loaded again after them or after `forget`, and a load that fails keeps nothing."""
from __future__ import annotations

import pytest

from engine import ttl_cache
from engine.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(ttl_cache.time, "monotonic", fake)
    return fake


def test_a_value_is_kept_for_its_seconds_and_loaded_again_after_them(clock):
    cache: TtlCache[str, int] = TtlCache(30.0)
    loads = []

    def load() -> int:
        loads.append(clock.now)
        return len(loads)

    assert [cache.get("lamp", load) for _ in range(3)] == [1, 1, 1]
    clock.now += 29.9
    assert cache.get("lamp", load) == 1
    clock.now += 0.1
    assert cache.get("lamp", load) == 2 and loads == [1000.0, 1030.0]


def test_forget_drops_one_key_or_all_of_them(clock):
    cache: TtlCache[str, str] = TtlCache(30.0)
    cache.get("a", lambda: "old a")
    cache.get("b", lambda: "old b")
    cache.forget("a")
    assert (cache.get("a", lambda: "new a"), cache.get("b", lambda: "new b")) == ("new a", "old b")
    cache.forget()
    assert cache.get("b", lambda: "newer b") == "newer b"


def test_a_load_that_fails_keeps_nothing(clock):
    cache: TtlCache[str, str] = TtlCache(30.0)

    def broken() -> str:
        raise LookupError("no active version")

    with pytest.raises(LookupError):
        cache.get("melding", broken)
    assert cache.get("melding", lambda: "v2") == "v2"
