"""Who may see what: shared by the staff API and the staff pages."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from engine.models import Case, WorkItem

from .models import READ_ONLY_ROLES, HandlerGroup, User

ALL_CASES_ROLES = {"admin", "meldkamer", "onthaal", "rapportage"}
CONTACT_ROLES = {"admin", "meldkamer", "onthaal", "behandelaar", "groepsverantwoordelijke"}
# Roles that read cases for figures only: no reporter data at all (not their texts, files, letters or mails).
REPORTER_BLIND_ROLES = {"rapportage"}


def may_see_case(user: User, case: Case) -> bool:
    """Desk roles see every case; handlers see the cases of their own groups."""
    if user.role in ALL_CASES_ROLES:
        return True
    return case.group is not None and case.group.key in user.group_keys


def may_see_contact(user: User, case: Case) -> bool:
    """Reporter contact data only for roles that need it to handle the case."""
    return user.role in CONTACT_ROLES and may_see_case(user, case)


def sees_reporter_data(user: User) -> bool:
    """False for roles that must see nothing of reporters: their texts, names, mails, letters and files."""
    return user.role not in REPORTER_BLIND_ROLES


def may_open_case_files(user: User, case: Case) -> bool:
    """Case files (photos, mails, scans, letters) are the reporter's data: not for the reporting role."""
    return sees_reporter_data(user) and may_see_case(user, case)


def may_handle_case(user: User, case: Case) -> bool:
    """Acting on the case itself (what the city publishes about it): the admin, and who may act for the group
    handling it or for a group with open work on it (the meldkamer while it triages)."""
    if not user.active or user.role in READ_ONLY_ROLES:
        return False
    if user.role == "admin":
        return True
    keys = set(db.session.scalars(select(HandlerGroup.key).join(WorkItem, WorkItem.group_id == HandlerGroup.id)
                                  .where(WorkItem.case_id == case.id, WorkItem.status == "open")))
    if case.group is not None:
        keys.add(case.group.key)
    return any(user.may_act_for(key) for key in keys)
