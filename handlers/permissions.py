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

from .models import ROLES, HandlerGroup, User

ALL, OWN, NO = "all", "own", "-"

# One row per action, one column per role (in the order of ROLES). Admin pages are all "manage".
COLUMNS = ROLES
MATRIX: dict[str, tuple[str, ...]] = {
    # action                 admin meldkamer behandelaar groepsverantw. onthaal rapportage
    "staff.use":            (ALL, ALL, ALL, ALL, ALL, ALL),  # the staff pages at all: home, language, files
    "case.see":             (ALL, ALL, OWN, OWN, ALL, ALL),  # the case page, GET /api/v1/cases/<ref>
    "case.see_contact":     (ALL, ALL, OWN, OWN, ALL, NO),  # the reporter's name, e-mail and phone
    "reporter_data.see":    (ALL, ALL, ALL, ALL, ALL, NO),  # reporters' texts, mails, letters, notes
    "case.open_files":      (ALL, ALL, OWN, OWN, ALL, NO),  # photos, mails, scans, letters of a case
    "case.publish":         (ALL, OWN, OWN, OWN, OWN, NO),  # public description and photos (Open311, tracking)
    "case.hand_over":       (ALL, OWN, OWN, OWN, OWN, NO),  # warm handover to another group
    "work.do":              (ALL, OWN, OWN, OWN, OWN, NO),  # take, take over, complete a work item
    "work.assign":          (ALL, OWN, NO, OWN, NO, NO),  # give a work item to a colleague of the group
    "queue.see":            (ALL, ALL, OWN, OWN, OWN, ALL),  # a group's queue, page and API
    "desk.use":             (ALL, ALL, NO, NO, NO, NO),  # the meldkamer workspace and the contractor orders
    "infomail.desk":        (ALL, NO, NO, NO, ALL, NO),  # the info mailbox in the menu (the front office)
    "melding.register":     (ALL, ALL, NO, NO, ALL, NO),  # POST /api/v1/meldingen
    "message.deliver":      (ALL, ALL, OWN, OWN, ALL, NO),  # POST /api/v1/cases/<ref>/messages
    "post.register":        (ALL, NO, NO, NO, ALL, NO),  # the postkamer registers letters
    "reports.see":          (ALL, ALL, NO, OWN, NO, ALL),  # dashboard and exports, per group
    "reports.all_groups":   (ALL, ALL, NO, NO, NO, ALL),  # the figures of all groups together
    "reports.quarterly":    (ALL, ALL, NO, NO, NO, ALL),  # the quarterly report (all groups)
    "reports.send":         (ALL, ALL, NO, OWN, NO, NO),  # mail a fortnightly report now (desk or a group)
    "outbox.see":           (ALL, NO, NO, NO, NO, NO),  # the outbox, page and API
    "manage":               (ALL, NO, NO, NO, NO, NO),  # users, groups, routing, mail, privacy, keys, sessions
}
Target = Union[Case, WorkItem, HandlerGroup, str, None]


def scope(user: User, action: str) -> str:
    """ALL, OWN or NO: the cell of the table for the user's role (KeyError for an unknown action)."""
    row = MATRIX[action]
    if user.role not in COLUMNS:
        return NO
    return row[COLUMNS.index(user.role)]


def roles_for(action: str) -> list[str]:
    """The roles that may do the action on something (in the order of ROLES)."""
    return [role for role, cell in zip(COLUMNS, MATRIX[action], strict=True) if cell != NO]


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
