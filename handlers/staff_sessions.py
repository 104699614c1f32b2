"""Ending every web session of a staff member, on the server.

A session cookie is signed, not stored: a copy keeps working for as long as the cookie says. So each user
has a `session_version`; a login writes it into the session and every request compares (web/auth.py).
Raising it ends all sessions of that user at once, in every browser, copied cookies included.

Logging out, a new password, deactivation and the admin's "Alle sessies beëindigen" raise it. API tokens
are a separate credential (integrations such as Open311 use them): a new password keeps the token,
deactivation revokes it, so that reactivating an account never brings an old token back to life.
"""
from __future__ import annotations

from typing import Optional

from .models import User
from .security_events import record

REASONS = {"logout": "afgemeld", "password": "nieuw wachtwoord", "deactivated": "gedeactiveerd",
           "admin": "door de beheerder"}


def end_all_sessions(user: User, reason: str, *, actor: Optional[str] = None, ip: Optional[str] = None) -> None:
    """Invalidate every web session of `user` (the caller commits); a security event unless it is a logout."""
    user.session_version = (user.session_version or 0) + 1
    if reason == "deactivated":
        user.api_token_hash = None
    if reason != "logout":  # routine; the log line of web/auth.py is enough
        record("sessions_ended", username=user.username, user_id=user.id, actor=actor or "systeem", ip=ip,
               detail=REASONS[reason])
