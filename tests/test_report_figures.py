"""Report figures (reports.figures): a hand-made data set with known answers, on SQLite and PostgreSQL."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import deploy
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.calendar import add_working_days
from handlers.models import Category, ContractorOrder, HandlerGroup
from reports.figures import LeadTime, compare_with_previous, period_figures

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _ids(model, *keys: str) -> dict[str, int]:
    return {key: db.session.scalar(select(model.id).where(model.key == key)) for key in keys}


@pytest.fixture
def data(app):
    """10 cases created in December 2026 over 3 groups, 4 sub/3 main categories and 4 channels;
    6 closed in December (4 of the 5 with a deadline on time, one across Christmas), one reopened,
    3 feedback answers (2 satisfied), 2 contractor orders; plus cases and events just outside the period."""
    definition_id = deploy.latest_definition("melding").id
    groups = _ids(HandlerGroup, "onderhoud-openbaar-domein", "openbare-netheid", "fietsteam", "aannemer-wegenwerken")
    cats = _ids(Category, "wegdek-put", "vuilbak-vol", "fietspad", "straatlamp-defect")

    def make(name, created, group, category, channel, deadline_days=None, closed=None, **extra):
        deadline = extra.pop("deadline", None)
        if deadline_days is not None:
            deadline = add_working_days(created, deadline_days)
        case = Case(definition_id=definition_id, tracking_token=secrets.token_urlsafe(24), reference=name,
                    status="afgesloten" if closed else "in_behandeling", completed=bool(closed),
                    group_id=groups[group], category_id=cats[category], channel=channel,
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
    c5 = make("c5", at(12, 8, 10), fiets, "fietspad", "email", closed=at(12, 12, 10))            # 96 h, no deadline
    c6 = make("c6", at(12, 10, 8), ood, "straatlamp-defect", "web", 5, closed=at(12, 14, 8))     # 96 h, on time
    c7 = make("c7", at(12, 15, 8), ood, "wegdek-put", "web", 10)                                 # open, overdue
    make("c8", at(12, 20, 8), fiets, "fietspad", "telefoon", deadline=at(1, 5, 8, year=2027))    # open
    make("c9", at(12, 30, 8), net, "vuilbak-vol", "balie")                                       # open
    make("c10", at(12, 31, 23), ood, "straatlamp-defect", "email", deadline=at(12, 31, 23, 30),
         closed=END)                                                                             # open at end, overdue
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


def _table(shares):
    return {s.key: (s.name, s.count, s.share) for s in shares}


def test_period_figures_for_all_groups(data):
    f = period_figures(START, END)
    assert f.created == 10
    assert _table(f.by_group) == {
        "onderhoud-openbaar-domein": ("Onderhoud openbaar domein", 5, 0.5),
        "openbare-netheid": ("Openbare netheid", 3, 0.3),
        "fietsteam": ("Fietsteam", 2, 0.2),
    }
    assert [s.key for s in f.by_group] == ["onderhoud-openbaar-domein", "openbare-netheid", "fietsteam"]
    assert {k: v[1:] for k, v in _table(f.by_main_category).items()} == {
        "wegen": (5, 0.5), "netheid": (3, 0.3), "verlichting": (2, 0.2)}
    assert {k: v[1:] for k, v in _table(f.by_sub_category).items()} == {
        "wegdek-put": (3, 0.3), "vuilbak-vol": (3, 0.3), "fietspad": (2, 0.2), "straatlamp-defect": (2, 0.2)}
    assert {k: v[1:] for k, v in _table(f.by_channel).items()} == {
        "web": (5, 0.5), "telefoon": (2, 0.2), "email": (2, 0.2), "balie": (1, 0.1)}

    assert f.closed == 6
    assert f.open_at_end == 5          # c7, c8, c9, c10 (closed exactly at the end) and the November case
    assert f.overdue_at_end == 3       # c7, c10, the November case
    assert f.closing == LeadTime(6, 84.0, 107.5)           # 24 48 72 96 96 119
    assert f.first_response == LeadTime(5, 3.0, 5.2)       # 1 2 3 4 6
    assert (f.closed_with_deadline, f.closed_on_time, f.on_time_share) == (5, 4, 0.8)
    assert (f.reopened, f.reopen_rate) == (1, 0.1667)
    assert (f.feedback_answers, f.feedback_satisfied, f.satisfied_share) == (3, 2, 0.6667)
    assert (f.contractor_orders, f.contractor_orders_done, f.contractor_turnaround_median_hours) == (2, 1, 20.0)


def test_period_figures_for_one_group(data):
    f = period_figures(START, END, "openbare-netheid")
    assert f.created == 3
    assert _table(f.by_group) == {"openbare-netheid": ("Openbare netheid", 3, 1.0)}
    assert {k: v[1:] for k, v in _table(f.by_channel).items()} == {
        "telefoon": (1, 0.3333), "web": (1, 0.3333), "balie": (1, 0.3333)}
    assert (f.closed, f.open_at_end, f.overdue_at_end) == (2, 1, 0)
    assert f.closing == LeadTime(2, 95.5, 114.3)           # 72 119
    assert f.first_response == LeadTime(2, 3.5, 5.5)       # 1 6
    assert (f.closed_with_deadline, f.closed_on_time, f.on_time_share) == (2, 1, 0.5)
    assert (f.reopened, f.reopen_rate) == (0, 0.0)
    assert (f.feedback_answers, f.feedback_satisfied, f.satisfied_share) == (1, 0, 0.0)
    assert (f.contractor_orders, f.contractor_orders_done, f.contractor_turnaround_median_hours) == (0, 0, None)


def test_unknown_group_and_empty_period(data):
    with pytest.raises(LookupError):
        period_figures(START, END, "bestaat-niet")
    f = period_figures(at(6, 1), at(7, 1))
    assert (f.created, f.closed, f.open_at_end, f.by_group) == (0, 0, 0, [])
    assert f.closing == LeadTime(0, None, None)
    assert (f.on_time_share, f.reopen_rate, f.satisfied_share) == (None, None, None)


def test_compare_with_previous_period_of_equal_length(data):
    comparison = compare_with_previous(START, END)
    assert comparison.current.created == 10
    previous = comparison.previous
    assert (previous.start, previous.end) == (START - (END - START), START)
    assert (previous.created, previous.closed, previous.open_at_end, previous.overdue_at_end) == (1, 0, 1, 1)
    assert (previous.reopened, previous.reopen_rate) == (1, None)
    assert (previous.contractor_orders, previous.contractor_turnaround_median_hours) == (1, 24.0)
