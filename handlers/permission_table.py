"""The permission table itself: one row per action, one column per role, and the cell of a role.

It imports nothing of handlers, so handlers/models.py (User.may_act_for, asked by the engine) can read it
without an import cycle; handlers/permissions.py builds may(), require() and @requires on it.
"""
from __future__ import annotations

from typing import Protocol

ROLES = ("admin", "meldkamer", "behandelaar", "groepsverantwoordelijke", "onthaal", "rapportage")


class HasRole(Protocol):
    """Anything with a role: a staff user."""

    role: str


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
    "case.correct":         (ALL, ALL, OWN, OWN, NO, NO),  # correct location, category, description
    "case.nearby":          (ALL, ALL, OWN, OWN, ALL, NO),  # meldingen near a point: case page map, API
    "work.do":              (ALL, OWN, OWN, OWN, OWN, NO),  # take, take over, complete a work item
    "work.assign":          (ALL, OWN, NO, OWN, NO, NO),  # give a work item to a colleague of the group
    "queue.see":            (ALL, ALL, OWN, OWN, OWN, ALL),  # a group's queue, page and API
    "desk.use":             (ALL, ALL, NO, NO, NO, NO),  # the meldkamer workspace and the contractor orders
    "infomail.desk":        (ALL, NO, NO, NO, ALL, NO),  # the info mailbox in the menu (the front office)
    "melding.register":     (ALL, ALL, NO, NO, ALL, NO),  # POST /api/v1/meldingen
    "message.deliver":      (ALL, ALL, OWN, OWN, ALL, NO),  # POST /api/v1/cases/<ref>/messages
    "post.register":        (ALL, NO, NO, NO, ALL, NO),  # the postkamer registers letters
    "contact.register":     (ALL, ALL, NO, NO, ALL, NO),  # register a phone call or counter visit (/werk/contact, API)
    "contact.see":          (ALL, ALL, OWN, OWN, ALL, NO),  # contacts: all (first line), or those handed to the group
    "reports.see":          (ALL, ALL, NO, OWN, NO, ALL),  # dashboard and exports, per group
    "reports.all_groups":   (ALL, ALL, NO, NO, NO, ALL),  # the figures of all groups together
    "reports.quarterly":    (ALL, ALL, NO, NO, NO, ALL),  # the quarterly report (all groups)
    "reports.send":         (ALL, ALL, NO, OWN, NO, NO),  # mail a fortnightly report now (desk or a group)
    "outbox.see":           (ALL, NO, NO, NO, NO, NO),  # the outbox, page and API
    "manage":               (ALL, NO, NO, NO, NO, NO),  # users, groups, routing, mail, privacy, keys, sessions
}


def scope(user: HasRole, action: str) -> str:
    """ALL, OWN or NO: the cell of the table for the user's role (KeyError for an unknown action)."""
    row = MATRIX[action]
    if user.role not in COLUMNS:
        return NO
    return row[COLUMNS.index(user.role)]


def roles_for(action: str) -> list[str]:
    """The roles that may do the action on something (in the order of ROLES)."""
    return [role for role, cell in zip(COLUMNS, MATRIX[action], strict=True) if cell != NO]
