"""Managing staff and groups (the administrator's pages and the CLI use these)."""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.db import db
from engine.errors import InvalidInput

from .groups import forget_group_ids
from .models import GROUP_KINDS, ROLES, HandlerGroup, User
from .staff_sessions import end_all_sessions

USERNAME = re.compile(r"^[a-z0-9._-]{2,80}$")
KEY = re.compile(r"^[a-z0-9-]{2,60}$")
MIN_PASSWORD = 10


def save_user(user: Optional[User], *, username: str, display_name: str, email: str, role: str,
              group_keys: list[str], active: bool, password: str = "", actor: Optional[str] = None,
              ip: Optional[str] = None) -> User:
    """Create or update a staff user; every problem is reported per field, nothing is half-saved.

    A new password or a deactivation ends every web session of an existing user (handlers/staff_sessions.py);
    `actor` and `ip` say who did it, for the security log.
    """
    errors: dict[str, list[str]] = {}
    username = username.strip().lower()
    if user is None:
        if not USERNAME.match(username):
            errors["username"] = ["2-80 kleine letters, cijfers, punt, streepje of underscore"]
        elif db.session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = ["deze gebruikersnaam bestaat al"]
        if not password:
            errors["password"] = ["kies een wachtwoord"]
    if not display_name.strip():
        errors["display_name"] = ["vul een naam in"]
    if role not in ROLES:
        errors["role"] = ["kies een rol"]
    if password and len(password) < MIN_PASSWORD:
        errors["password"] = [f"minstens {MIN_PASSWORD} tekens"]
    groups = list(db.session.scalars(select(HandlerGroup).where(HandlerGroup.key.in_(group_keys))))
    if len(groups) != len(set(group_keys)):
        errors["groups"] = ["onbekende groep"]
    if errors:
        raise InvalidInput("de gebruiker kon niet bewaard worden", errors)
    if user is not None and user.active and not active:
        end_all_sessions(user, "deactivated", actor=actor, ip=ip)
    elif user is not None and password:
        end_all_sessions(user, "password", actor=actor, ip=ip)
    if user is None:
        user = User(username=username)
        db.session.add(user)
    user.display_name, user.email, user.role, user.active = display_name.strip(), email.strip() or None, role, active
    user.groups = groups
    if password:
        user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


def save_group(group: Optional[HandlerGroup], *, key: str, name: str, kind: str, email: str,
               active: bool) -> HandlerGroup:
    """Create or update a handler group, meldkamer desk or contractor."""
    errors: dict[str, list[str]] = {}
    key = key.strip().lower()
    if group is None:
        if not KEY.match(key):
            errors["key"] = ["2-60 kleine letters, cijfers of streepjes"]
        elif db.session.scalar(select(HandlerGroup.id).where(HandlerGroup.key == key)):
            errors["key"] = ["deze sleutel bestaat al"]
    if not name.strip():
        errors["name"] = ["vul een naam in"]
    if kind not in GROUP_KINDS:
        errors["kind"] = ["kies een soort"]
    if kind == "external" and not email.strip():
        errors["email"] = ["een aannemer heeft een e-mailadres nodig voor zijn opdrachten"]
    if errors:
        raise InvalidInput("de groep kon niet bewaard worden", errors)
    if group is None:
        group = HandlerGroup(key=key)
        db.session.add(group)
    group.name, group.kind, group.email, group.active = name.strip(), kind, email.strip() or None, active
    db.session.commit()
    forget_group_ids()
    return group
