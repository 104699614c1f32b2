"""Who may see what: shared by the staff API and the staff pages."""
from __future__ import annotations

from engine.models import Case

from .models import User

ALL_CASES_ROLES = {"admin", "meldkamer", "onthaal", "rapportage"}
CONTACT_ROLES = {"admin", "meldkamer", "onthaal", "behandelaar", "groepsverantwoordelijke"}


def may_see_case(user: User, case: Case) -> bool:
    """Desk roles see every case; handlers see the cases of their own groups."""
    if user.role in ALL_CASES_ROLES:
        return True
    return case.group is not None and case.group.key in user.group_keys


def may_see_contact(user: User, case: Case) -> bool:
    """Reporter contact data only for roles that need it to handle the case."""
    return user.role in CONTACT_ROLES and may_see_case(user, case)
