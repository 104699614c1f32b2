"""Throttling staff logins: per account and per client, in the shared rate-limit store.

What a city's staff would expect, following OWASP's advice against permanent lock-outs (anyone who knows a
username could otherwise lock the meldkamer out at night): after `account` failures (default 5 per 15
minutes) the account is locked for one window (15 minutes), during which even the right password does not
log in; it unlocks by itself, and an admin can lift it at once ("Ontgrendelen" on the users page). A client
(IP address) that fails `client` times (default 20 per 15 minutes) cannot try any account until its oldest
failure is a window old. Unknown usernames are counted and locked exactly like real ones, so neither the
messages nor the timing tell whether an account exists. Locks and blocks go to the security log; a lock is
also kept on the user row, so the admin page can list locked accounts.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Protocol

from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db

from .models import User
from .security_events import record


class Counted(Protocol):
    """One counted failure, as the store reports it (intake.rate_limit.Hit fits)."""

    @property
    def allowed(self) -> bool: ...

    @property
    def count(self) -> int: ...

    @property
    def retry_after(self) -> int: ...


class CountingStore(Protocol):
    """The part of the shared rate-limit store this module uses (intake.rate_limit.RateLimitStore fits)."""

    def hit(self, key: str, limit: int, window: int) -> Counted: ...

    def retry_after(self, key: str, limit: int, window: int) -> int: ...

    def reset(self, key: str) -> None: ...

log = logging.getLogger("meldpunt.security")


@dataclass(frozen=True)
class Refusal:
    """Why a login is not even tried, and for how many seconds more."""

    reason: str  # "account" (locked) or "client" (too many failures from this connection)
    retry_after: int


def _name(username: str) -> str:
    return username.strip().lower()


class LoginThrottle:
    """Failed logins counted per account and per client; `account` and `client` are (limit, seconds)."""

    def __init__(self, store: CountingStore, account: tuple[int, int], client: tuple[int, int]) -> None:
        self.store, self.account, self.client = store, account, client

    @property
    def lock_seconds(self) -> int:
        return self.account[1]

    def _keys(self, username: str, ip: str) -> tuple[str, str, str]:
        name = _name(username)
        return f"login-account:{name}", f"login-lock:{name}", f"login-client:{ip}"

    def refusal(self, username: str, ip: str, user: Optional[User]) -> Optional[Refusal]:
        """The reason this attempt must not be tried (before the password is looked at), or None."""
        _account, lock, client = self._keys(username, ip)
        wait = self.store.retry_after(client, *self.client)
        if wait:
            return Refusal("client", wait)
        wait = self.store.retry_after(lock, 1, self.lock_seconds)
        if not wait and user is not None and user.locked_until is not None and user.locked_until > utcnow():
            # The row outlives the store's counts (a Redis restart, an outage counted in the database).
            wait = math.ceil((user.locked_until - utcnow()).total_seconds())
        return Refusal("account", wait) if wait else None

    def failed(self, username: str, ip: str, user: Optional[User]) -> Optional[Refusal]:
        """Count a wrong password (or unknown user); the refusal when this failure locked or blocked something.

        Adds security events to the session: the caller commits.
        """
        account, lock, client = self._keys(username, ip)
        log.info("login failed: user=%s ip=%s", _name(username), ip)
        result = None
        counted = self.store.hit(client, *self.client)
        if counted.allowed and counted.retry_after:  # this failure used up the client's budget
            record("login_client_blocked", username=_name(username), user_id=user.id if user else None, ip=ip,
                   detail=f"{counted.count} mislukte aanmeldingen in {self.client[1] // 60} minuten")
            result = Refusal("client", counted.retry_after)
        counted = self.store.hit(account, *self.account)
        if counted.allowed and counted.retry_after:
            self.store.hit(lock, 1, self.lock_seconds)
            self.store.reset(account)  # after the lock, the count starts afresh
            until = utcnow() + timedelta(seconds=self.lock_seconds)
            if user is not None:
                user.locked_until = until
            record("login_locked", username=_name(username), user_id=user.id if user else None, ip=ip,
                   detail=f"{counted.count} foute wachtwoorden; vergrendeld tot {until:%Y-%m-%d %H:%M} UTC")
            result = Refusal("account", self.lock_seconds)
        return result

    def succeeded(self, username: str) -> None:
        """A correct login clears the account's failures (not the client's: one good account must not reset
        the count of a client guessing at others)."""
        self.store.reset(self._keys(username, "-")[0])

    def unlock(self, user: User, actor: str, ip: Optional[str]) -> None:
        """An admin lifts the lock of `user` (the caller commits)."""
        account, lock, _client = self._keys(user.username, "-")
        self.store.reset(lock)
        self.store.reset(account)
        user.locked_until = None
        record("login_unlocked", username=user.username, user_id=user.id, actor=actor, ip=ip)


def locked_users(now: Optional[datetime] = None) -> list[User]:
    """Accounts locked right now, for the admin page."""
    return list(db.session.scalars(select(User).where(User.locked_until > (now or utcnow()))
                                   .order_by(User.username)))
