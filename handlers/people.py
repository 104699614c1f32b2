"""Managing staff and groups (the administrator's pages use these); their rules: handlers/people_schemas.py."""
from __future__ import annotations

from typing import Any, Optional, cast

from marshmallow import ValidationError
from werkzeug.security import generate_password_hash

from engine.db import db
from engine.errors import InvalidInput

from .groups import forget_group_ids
from .models import HandlerGroup, User
from .people_schemas import GroupSchema, UserSchema
from .staff_sessions import end_all_sessions


def save_user(user: Optional[User], *, username: str, display_name: str, email: str, role: str,
              group_keys: list[str], active: bool, password: str = "", actor: Optional[str] = None,
              ip: Optional[str] = None) -> User:
    """Create or update a staff user; every problem is reported per field, nothing is half-saved.

    A new password or a deactivation ends every web session of an existing user (handlers/staff_sessions.py);
    `actor` and `ip` say who did it, for the security log.
    """
    try:
        clean = UserSchema(new=user is None).load({
            "username": username, "display_name": display_name, "email": email, "role": role, "groups": group_keys,
            "active": active, "password": password})
    except ValidationError as err:
        errors = cast(dict[str, Any], err.messages)  # a schema's errors are per field
        raise InvalidInput("de gebruiker kon niet bewaard worden", errors) from err
    if user is not None and user.active and not active:
        end_all_sessions(user, "deactivated", actor=actor, ip=ip)
    elif user is not None and password:
        end_all_sessions(user, "password", actor=actor, ip=ip)
    if user is None:
        user = User(username=clean["username"])
        db.session.add(user)
    user.display_name, user.email, user.role, user.active = (clean["display_name"], clean["email"], clean["role"],
                                                             active)
    user.groups = clean["groups"]
    if password:
        user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


def save_group(group: Optional[HandlerGroup], *, key: str, name: str, kind: str, email: str,
               active: bool) -> HandlerGroup:
    """Create or update a handler group, meldkamer desk or contractor."""
    try:
        clean = GroupSchema(new=group is None).load({"key": key, "name": name, "kind": kind, "email": email,
                                                     "active": active})
    except ValidationError as err:
        raise InvalidInput("de groep kon niet bewaard worden", cast(dict[str, Any], err.messages)) from err
    if group is None:
        group = HandlerGroup(key=clean["key"])
        db.session.add(group)
    group.name, group.kind, group.email, group.active = clean["name"], clean["kind"], clean["email"], active
    db.session.commit()
    forget_group_ids()
    return group
