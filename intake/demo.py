"""Demo cases for `make run`: a realistic mix of new, dispatched, in-progress and closed meldingen."""
from __future__ import annotations

from typing import cast

from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, WorkItem
from engine.task_completion import complete_work_item
from handlers.models import User

from .meldingen import register_melding

DEMO = [
    ("Straatlamp brandt niet meer sinds vorige week", "straatlamp-defect", "Bruul 12, 2800 Mechelen", "telefoon"),
    ("Matras en vuilniszakken gedumpt naast de glasbol", "sluikstort", "Veemarkt 3, 2800 Mechelen", "web"),
    ("Losse tegel in het voetpad, iemand is al gestruikeld", "voetpad-losse-tegel", "IJzerenleen 20, 2800 Mechelen",
     "balie"),
    ("Diepe put in de rijweg aan het kruispunt", "wegdek-put", "Nekkerspoelstraat 1, 2800 Mechelen", "app"),
    ("Openbare vuilbak zit al dagen vol", "vuilbak-vol", "Grote Markt 1, 2800 Mechelen", "web"),
    # A park, not an address: the case says "adres niet gecontroleerd".
    ("Tak hangt los boven het fietspad", "boom-gevaarlijk", "Vrijbroekpark, 2800 Mechelen", "telefoon"),
    # Two doors from the first lamp: a neighbour's "Is dit uw melding?" on the form shows it.
    ("De lamp voor ons huis flikkert 's avonds", "straatlamp-defect", "Bruul 16, 2800 Mechelen", "web"),
]


def _user(username: str) -> User:
    return cast(User, db.session.scalar(select(User).where(User.username == username)))  # seeded before


def _next_item(case: Case) -> WorkItem:
    return cast(WorkItem, db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id,
                                                                   WorkItem.status == "open")))  # the case waits


def create_demo_cases() -> int:
    """Create the demo meldingen once (skipped when cases exist) and walk some through their lifecycle."""
    if db.session.scalar(select(func.count()).select_from(Case)):
        return 0
    desk, handler = _user("an.meldkamer"), _user("bart.ood")
    cases = []
    for i, (text, category, address, channel) in enumerate(DEMO):
        reporter = {"name": f"Demo melder {i + 1}", "email": f"melder{i + 1}@voorbeeld.example"}
        cases.append(register_melding(description=text, channel=channel, category=category,
                                      location={"address": address}, reporter=reporter, actor="demo"))
    # Lamp: dispatched, taken in handling, closed. Tile: dispatched and taken. Pothole: dispatched only.
    for case in cases[:4]:
        if case.category.default_group.key != "onderhoud-openbaar-domein":
            continue
        complete_work_item(_next_item(case).id, desk, {"decision": "dispatch"})
    complete_work_item(_next_item(cases[0]).id, handler, {})
    complete_work_item(_next_item(cases[0]).id, handler, {"action": "close", "public_text":
                       "De lamp werd vervangen. Bedankt voor uw melding."})
    complete_work_item(_next_item(cases[2]).id, handler, {})
    return len(cases)
