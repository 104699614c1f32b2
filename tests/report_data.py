"""The hand-built report data set with known answers, shared by the tests/test_report_*.py modules.

The `data` fixture is registered for every test module by `pytest_plugins` in tests/conftest.py.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import deploy
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.calendar import add_working_days
from handlers.models import Category, ContractorOrder, HandlerGroup

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
# The known answers describe December as a finished month: the reports are made after it. (The clock runs on
# from here, so threads that wait on time still work.) A test of a report made mid-period freezes again.
REPORT_MADE = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _ids(model, *keys: str) -> dict[str, int]:
    return {key: db.session.scalar(select(model.id).where(model.key == key)) for key in keys}


@pytest.fixture(name="data")
def report_data_fixture(app):
    """12 dossiers created in December 2026: 10 meldingen over 3 groups, 4 sub/3 main categories and 4 channels,
    plus one mail (infomailbox) and one post case (a letter), both open, for the fietsteam, without category;
    6 closed in December (4 of the 5 with a deadline on time, one across Christmas), one reopened,
    3 feedback answers (2 satisfied), 2 contractor orders; plus cases and events just outside the period."""
    definition_id = deploy.latest_definition("melding").id
    other_definitions = {"mail": deploy.latest_definition("infomail").id, "post": deploy.latest_definition("post").id}
    groups = _ids(HandlerGroup, "onderhoud-openbaar-domein", "openbare-netheid", "fietsteam", "aannemer-wegenwerken")
    cats = _ids(Category, "wegdek-put", "vuilbak-vol", "fietspad", "straatlamp-defect")

    def make(name, created, group, category, channel, deadline_days=None, closed=None, kind="melding", **extra):
        deadline = extra.pop("deadline", None)
        if deadline_days is not None:
            deadline = add_working_days(created, deadline_days)
        case = Case(definition_id=other_definitions.get(kind, definition_id), kind=kind,
                    tracking_token=secrets.token_urlsafe(24), reference=name,
                    status="afgesloten" if closed else "in_behandeling", completed=bool(closed),
                    group_id=groups[group], category_id=cats[category] if category else None, channel=channel,
                    created_at=created, updated_at=created, closed_at=closed, deadline_at=deadline)
        db.session.add(case)
        db.session.flush()
        return case

    def event(case, kind, when, status=None, data=None):
        db.session.add(CaseEvent(case_id=case.id, kind=kind, at=when, status=status, data=data))

    ood, net, fiets = "onderhoud-openbaar-domein", "openbare-netheid", "fietsteam"
    c1 = make("c1", at(12, 2, 8), ood, "wegdek-put", "web", 10, closed=at(12, 3, 8))             # 24 h, on time
    c2 = make("c2", at(12, 2, 9), ood, "wegdek-put", "web", 10, closed=at(12, 4, 9))             # 48 h, on time
    c3 = make("c3", at(12, 23, 9), net, "vuilbak-vol", "telefoon", 2, closed=at(12, 28, 8))      # 119 h, on time
    c4 = make("c4", at(12, 7, 10), net, "vuilbak-vol", "web", 2, closed=at(12, 10, 10))          # 72 h, late
    c5 = make("c5", at(12, 8, 10), fiets, "fietspad", "mail", closed=at(12, 12, 10))            # 96 h, no deadline
    c6 = make("c6", at(12, 10, 8), ood, "straatlamp-defect", "web", 5, closed=at(12, 14, 8))     # 96 h, on time
    c7 = make("c7", at(12, 15, 8), ood, "wegdek-put", "web", 10)                                 # open, overdue
    make("c8", at(12, 20, 8), fiets, "fietspad", "telefoon", deadline=at(1, 5, 8, year=2027))    # open
    make("c9", at(12, 30, 8), net, "vuilbak-vol", "balie")                                       # open
    make("c10", at(12, 31, 23), ood, "straatlamp-defect", "mail", deadline=at(12, 31, 23, 30),
         closed=END)                                                                             # open at end, overdue
    make("m1", at(12, 11, 9), fiets, None, "mail", kind="mail")                                  # mail, open
    make("p1", at(12, 17, 9), fiets, None, "brief", kind="post")                                 # letter, open
    old = make("old", at(11, 20, 8), ood, "wegdek-put", "web", deadline=at(11, 25, 8))           # before: open, overdue
    make("next", END, ood, "wegdek-put", "web")                                                  # after the period

    # The deadline of c3 counts 2 working days across Christmas (25 December) and the weekend.
    assert c3.deadline_at == at(12, 28, 9)
    assert c3.closed_at > c3.created_at + timedelta(days=2)   # late if counted in calendar days

    for case, hours in ((c1, 2), (c2, 4), (c3, 1), (c4, 6), (c6, 3), (c7, 1)):
        event(case, "status", case.created_at + timedelta(hours=hours), status="in_behandeling")
    event(c1, "status", at(12, 2, 9), status="toegewezen")               # not in_behandeling
    event(c1, "status", at(12, 2, 20), status="in_behandeling")          # later, not the first
    event(c5, "note", at(12, 9, 10), status="in_behandeling")            # not a status event
    event(c6, "reopened", at(12, 12, 8))
    event(old, "reopened", at(11, 26, 8))                                # previous period
    event(c1, "feedback", at(12, 5, 8), data={"satisfied": True, "answer": "prima"})
    event(c2, "feedback", at(12, 6, 8), data={"satisfied": True, "answer": None})
    event(c4, "feedback", at(12, 11, 8), data={"satisfied": False, "answer": "te laat"})
    event(c5, "feedback", at(12, 13, 8), data={"satisfied": None, "answer": "geen keuze"})   # no answer
    event(c6, "feedback", END, data={"satisfied": False})                                   # next period

    db.session.add(ContractorOrder(case_id=c1.id, contractor_id=groups["aannemer-wegenwerken"], status="done",
                                   created_at=at(12, 2, 10), reported_at=at(12, 3, 6)))         # 20 h
    db.session.add(ContractorOrder(case_id=c7.id, contractor_id=groups["aannemer-wegenwerken"], status="planned",
                                   created_at=at(12, 16, 8)))
    db.session.add(ContractorOrder(case_id=old.id, contractor_id=groups["aannemer-wegenwerken"], status="done",
                                   created_at=at(11, 21, 8), reported_at=at(11, 22, 8)))        # previous period
    db.session.commit()
    with freeze_time(REPORT_MADE, tick=True):
        yield
