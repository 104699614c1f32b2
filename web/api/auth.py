"""Bearer-token authentication of the staff API (who may do what: handlers/permissions.py)."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps

from flask import g, request
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from engine.db import db
from engine.errors import EngineError
from handlers.models import User, hash_token


class Unauthorized(EngineError):
    status_code = 401


@cache
def _user_of_token() -> Select[tuple[User]]:
    """The user of an API token's hash with their groups, in one statement built once (the groups came in a second
    statement, the statement was built anew for every request)."""
    return select(User).options(joinedload(User.groups)).where(User.api_token_hash == bindparam("token_hash"))


def user_of_token(token: str) -> User | None:
    """The user an API token belongs to, with their groups (None for an unknown token)."""
    return db.session.execute(_user_of_token(), {"token_hash": hash_token(token)}).unique().scalar_one_or_none()


def token_required(view: Callable) -> Callable:
    """Resolve `Authorization: Bearer <token>` to an active user in g.user, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
        user = user_of_token(token.strip())
        if user is None or not user.active:
            raise Unauthorized("the API token is not valid")
        g.user = user
        return view(*args, **kwargs)

    return wrapper
