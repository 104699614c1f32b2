"""Bearer-token authentication and the role checks of the staff API."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request
from sqlalchemy import select

from engine.db import db
from engine.errors import EngineError, Forbidden
from engine.models import Case
from handlers.models import User, hash_token

ALL_CASES_ROLES = {"admin", "meldkamer", "onthaal", "rapportage"}
CONTACT_ROLES = {"admin", "meldkamer", "onthaal", "behandelaar", "groepsverantwoordelijke"}


class Unauthorized(EngineError):
    status_code = 401


def token_required(view: Callable) -> Callable:
    """Resolve `Authorization: Bearer <token>` to an active user in g.user, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
        user = db.session.scalar(select(User).where(User.api_token_hash == hash_token(token.strip())))
        if user is None or not user.active:
            raise Unauthorized("the API token is not valid")
        g.user = user
        return view(*args, **kwargs)

    return wrapper


def require_role(user: User, *roles: str) -> None:
    """Forbidden unless the user has one of the roles."""
    if user.role not in roles:
        raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")


def may_see_case(user: User, case: Case) -> bool:
    """Desk roles see every case; handlers see the cases of their own groups."""
    if user.role in ALL_CASES_ROLES:
        return True
    return case.group is not None and case.group.key in user.group_keys


def may_see_contact(user: User, case: Case) -> bool:
    """Reporter contact data only for roles that need it to handle the case."""
    return user.role in CONTACT_ROLES and may_see_case(user, case)
