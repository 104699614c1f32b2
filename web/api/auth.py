"""Bearer-token authentication of the staff API (who may do what: handlers/permissions.py)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.db import db
from engine.errors import EngineError
from handlers.models import User, hash_token


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
        user = db.session.scalar(select(User).options(selectinload(User.groups))
                                 .where(User.api_token_hash == hash_token(token.strip())))
        if user is None or not user.active:
            raise Unauthorized("the API token is not valid")
        g.user = user
        return view(*args, **kwargs)

    return wrapper
