"""The permission table (handlers/permissions.py), cell by cell: every role against every action, on something
of the user's own group, of another group, and without a target; and every action the code asks for exists.

EXPECTED is written out here on its own, so a change to a cell of the table must be made twice: once in
handlers/permissions.py and once here, on purpose.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.models import Case, WorkItem
from handlers.models import MELDKAMER, ONTHAAL, ROLES, HandlerGroup, User
from handlers.permissions import MATRIX, may

# "A": on everything; "O": on the own group's cases, work and groups; "-": never.
#  roles:                 admin  meldkamer  behandelaar  groepsverantwoordelijke  onthaal  rapportage
EXPECTED = {
    "staff.use":           "A A A A A A",
    "case.see":            "A A O O A A",
    "case.see_contact":    "A A O O A -",
    "reporter_data.see":   "A A A A A -",
    "case.open_files":     "A A O O A -",
    "case.publish":        "A O O O O -",
    "case.hand_over":      "A O O O O -",
    "case.correct":        "A A O O - -",
    "case.nearby":         "A A O O A -",
    "work.do":             "A O O O O -",
    "work.assign":         "A O - O - -",
    "queue.see":           "A A O O O A",
    "desk.use":            "A A - - - -",
    "infomail.desk":       "A - - - A -",
    "melding.register":    "A A - - A -",
    "message.deliver":     "A A O O A -",
    "post.register":       "A - - - A -",
    "contact.register":    "A A - - A -",
    "contact.see":         "A A O O A -",
    "reports.see":         "A A - O - A",
    "reports.all_groups":  "A A - - - A",
    "reports.quarterly":   "A A - - - A",
    "reports.send":        "A A - O - -",
    "outbox.see":          "A - - - - -",
    "manage":              "A - - - - -",
}
ROLE_ORDER = ("admin", "meldkamer", "behandelaar", "groepsverantwoordelijke", "onthaal", "rapportage")
ROOT = Path(__file__).resolve().parents[1]


def expected(action: str, role: str) -> str:
    return EXPECTED[action].split()[ROLE_ORDER.index(role)]


def targets(action: str, own: HandlerGroup, other: HandlerGroup):
    """(something of the user's own group, something of another group) for the action."""
    if action.startswith("work."):
        return (WorkItem(group=own, case=Case(group=own)), WorkItem(group=other, case=Case(group=other)))
    if action.startswith("case.") or action == "message.deliver":
        return Case(group=own), Case(group=other)
    return own, other


def test_the_table_has_every_action_and_every_role():
    assert set(MATRIX) == set(EXPECTED)
    assert set(ROLE_ORDER) == set(ROLES)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


def test_every_role_against_every_action_on_own_and_other_groups(app):
    """A role with "A" may on every group, with "O" on its own group only, with "-" never; a deactivated user
    may nothing. All cells are checked before the test fails, so one run shows every wrong cell."""
    ood, netheid = HandlerGroup(key="ood", name="OOD", kind="internal"), HandlerGroup(key="netheid", name="N",
                                                                                       kind="internal")
    wrong = []
    for action, role in [(action, role) for action in sorted(EXPECTED) for role in ROLE_ORDER]:
        user = User(username=role, display_name=role, role=role, active=True, groups=[ood])
        own, other = targets(action, ood, netheid)
        cell = expected(action, role)
        want = {"A": (True, True, True), "O": (True, True, False), "-": (False, False, False)}[cell]
        got = (may(user, action), may(user, action, own), may(user, action, other))
        if got != want:
            wrong.append(f"{role} / {action} ({cell}): (no target, own group, other group) = {got}, expected {want}")
        user.active = False
        if any((may(user, action), may(user, action, own), may(user, action, other))):
            wrong.append(f"deactivated {role} / {action}: allowed")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("role", "desk"), [("meldkamer", MELDKAMER), ("onthaal", ONTHAAL)])
def test_the_desk_roles_act_for_their_desk_without_being_members(app, role, desk):
    user = User(username=role, display_name=role, role=role, active=True, groups=[])
    desk_group, elsewhere = HandlerGroup(key=desk, name=desk, kind="desk"), HandlerGroup(key="ood", name="OOD",
                                                                                         kind="internal")
    assert may(user, "work.do", WorkItem(group=desk_group, case=Case(group=desk_group)))
    assert not may(user, "work.do", WorkItem(group=elsewhere, case=Case(group=elsewhere)))
    assert may(user, "queue.see", desk_group)


def test_no_work_on_a_case_the_user_may_not_open(app):
    """A handler who is also a member of the meldkamer group may not do the triage of a case nobody has yet:
    the case page refuses it, so the work on it is refused too."""
    desk = HandlerGroup(key=MELDKAMER, name="Meldkamer", kind="desk")
    user = User(username="bart", display_name="Bart", role="behandelaar", active=True, groups=[desk])
    triage = WorkItem(group=desk, case=Case(group=None))
    assert not may(user, "case.see", triage.case)
    assert not may(user, "work.do", triage)
    assert user.may_act_for(MELDKAMER)  # the engine's own group check still lets the group's members in


ASKED = re.compile(r"""(?:\bmay|\brequires?)\((?:[\w.]+,\s*)?["']([a-z_]+\.?[a-z_.]*)["']""")


def test_every_action_the_code_asks_for_is_in_the_table_and_every_row_is_used():
    asked: dict[str, list[str]] = {}
    for folder in ("web", "handlers", "reports", "intake"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html") and path.name != "permissions.py":
                for action in ASKED.findall(path.read_text(encoding="utf-8")):
                    asked.setdefault(action, []).append(str(path.relative_to(ROOT)))
    unknown = {action: files for action, files in asked.items() if action not in MATRIX}
    assert not unknown, f"actions not in handlers/permissions.py: {unknown}"
    assert set(MATRIX) - set(asked) == set(), "rows of the table nobody asks for"


ROLE_TEST = re.compile(r"""\.role\s+(?:not\s+)?in\b|\.role\s*[!=]=""")
# Not permissions: which desk a role belongs to, and who receives a group's or the desk's mail.
ROLE_TESTS_ALLOWED = {"handlers/models.py", "handlers/permissions.py", "handlers/permission_table.py",
                      "handlers/groups.py", "reports/fortnightly.py"}


def test_no_page_or_api_tests_roles_itself():
    found = []
    for folder in ("web", "handlers", "reports", "intake"):
        for path in (ROOT / folder).rglob("*"):
            name = str(path.relative_to(ROOT))
            if path.suffix in (".py", ".html") and name not in ROLE_TESTS_ALLOWED and "migrations" not in name:
                text = path.read_text(encoding="utf-8")
                found += [f"{name}: {m.group(0)}" for m in ROLE_TEST.finditer(text)]
    assert not found, "ask handlers.permissions.may() instead: " + ", ".join(found)
