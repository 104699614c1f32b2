"""Who may see and do what: one table of actions by role, used by the staff pages, the staff API and templates.

`may(user, action, target)` answers from MATRIX. Each cell is one of
  ALL  - on every case, work item and group;
  OWN  - on the cases, work items and groups of the user's own groups (User.group_keys: the groups the user
         is a member of, plus the desk of the meldkamer and onthaal roles);
  NO   - never.
Without a target, `may` answers whether the role may do the action at all (ALL or OWN): that is the check
for a page or menu item before a case or group is known. A deactivated user may nothing.

What the target's groups are: a case's handling group; a work item's group; a group itself (or its key).
Two actions look further: publishing about a case counts the groups with open work on it as well (the
meldkamer while it triages), and work on an item needs the case to be visible too.
"""
from __future__ import annotations

from typing import Optional, Union

from sqlalchemy import select

from engine.db import db
from engine.errors import Forbidden
from engine.models import Case, WorkItem

from .models import HandlerGroup, User
from .permission_table import ALL, COLUMNS, MATRIX, NO, OWN, ROLES, roles_for, scope  # noqa: F401 (the table's names, re-exported)

Target = Union[Case, WorkItem, HandlerGroup, str, None]


def may(user: User, action: str, target: Target = None) -> bool:
    """Whether the user may do the action (on the target: a case, a work item, a group or a group's key)."""
    cell = scope(user, action)
    if cell == NO or not user.active:
        return False
    if action == "work.do" and isinstance(target, WorkItem) and not may(user, "case.see", target.case):
        return False  # work on a case one may not open: neither on the page nor through the API
    if cell == ALL or target is None:
        return True
    return bool(_groups_of(target, action) & user.group_keys)


def require(user: User, action: str, target: Target = None, message: Optional[str] = None) -> None:
    """Forbidden (403) unless the user may do the action."""
    if not may(user, action, target):
        raise Forbidden(message or f"this needs one of the roles: {', '.join(roles_for(action))}")


def _groups_of(target: Target, action: str) -> set[str]:
    if target is None:  # may() answers a call without a target before it asks
        return set()
    if isinstance(target, str):
        return {target}
    if isinstance(target, HandlerGroup):
        return {target.key}
    if isinstance(target, WorkItem):
        return {target.group.key} if target.group is not None else set()
    keys = {target.group.key} if target.group is not None else set()
    if action == "case.publish":  # who may handle it now: also a group with open work on it
        keys |= set(db.session.scalars(select(HandlerGroup.key).join(WorkItem, WorkItem.group_id == HandlerGroup.id)
                                       .where(WorkItem.case_id == target.id, WorkItem.status == "open")))
    return keys
