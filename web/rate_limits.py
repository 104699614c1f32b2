"""The app's rate-limit store and what the web pages count with it.

The store is the database unless MELDPUNT_REDIS_URL is set; then Redis, with the database while Redis is
down. A client is `request.remote_addr`, which web/proxy.py sets to the visitor's address behind a trusted
reverse proxy (and leaves alone otherwise, so a spoofed X-Forwarded-For changes nothing).
"""
from __future__ import annotations

from typing import cast

from flask import Flask, current_app, request

from engine.db import db
from engine.setting_types import parse_rate
from engine.settings import Settings, settings
from handlers.login_throttle import LoginThrottle
from intake.rate_limit import FallbackStore, Hit, RateLimitStore
from intake.rate_limit_db import DatabaseRateLimitStore

from .i18n import translate_plural

EXTENSION = "meldpunt_rate_limits"


def build_store(app: Flask) -> RateLimitStore:
    """The database store, behind Redis when MELDPUNT_REDIS_URL is set."""
    database = DatabaseRateLimitStore(db.engine, cast("str | bytes", app.secret_key))  # the config always sets one
    configured = Settings(app.config)
    if not configured.redis_url:
        return database
    from intake.rate_limit_redis import ERRORS, RedisRateLimitStore

    redis_store = RedisRateLimitStore(configured.redis_url, cast("str | bytes", app.secret_key),
                                      prefix=configured.redis_prefix)
    return FallbackStore(redis_store, database, ERRORS)


def rate_limit_store() -> RateLimitStore:
    """This app's store (made on first use, inside an app context)."""
    # current_app is a LocalProxy, which the stubs type as Flask itself
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(EXTENSION)
    if store is None:
        store = app.extensions[EXTENSION] = build_store(app)
    return store


def rate(setting: str) -> tuple[int, int]:
    """(limit, seconds) of a MELDPUNT_*_RATE setting."""
    return parse_rate(settings().get(setting))


def client() -> str:
    """Who a request counts for: the visitor's IP address."""
    return request.remote_addr or "unknown"


def count_request(name: str, setting: str) -> Hit:
    """Count this request as one `name` event of its client against the rate in `setting`."""
    return rate_limit_store().hit(f"{name}:{client()}", *rate(setting))


def undo(name: str, hit: Hit) -> None:
    """Take back an event `count_request` counted."""
    if hit.token is not None:
        rate_limit_store().undo(f"{name}:{client()}", hit.token)


def minutes(seconds: int) -> int:
    """Whole minutes to tell a person to wait (at least one)."""
    return max(1, (seconds + 59) // 60)


def too_many_text(hit: Hit) -> str:
    """The Dutch sentence for a refused form: nothing was sent, try again in N minutes."""
    return translate_plural("Te veel pogingen vanaf deze verbinding. Er werd niets verstuurd; probeer het opnieuw "
                            "over {count} minuut.",
                            "Te veel pogingen vanaf deze verbinding. Er werd niets verstuurd; probeer het opnieuw "
                            "over {count} minuten.", minutes(hit.retry_after))


def login_throttle() -> LoginThrottle:
    """The login throttle of this app, on its store and with its MELDPUNT_LOGIN_*_RATE settings."""
    return LoginThrottle(rate_limit_store(), account=rate("MELDPUNT_LOGIN_ACCOUNT_RATE"),
                         client=rate("MELDPUNT_LOGIN_CLIENT_RATE"))
