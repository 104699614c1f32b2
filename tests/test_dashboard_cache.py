"""The dashboard's cached figures and charts (reports/dashboard_cache.py): the same numbers as without the cache,
a change shows on the next view at once, entries never leak between periods, groups or processes' keys, and a
second process on the same database uses what the first one stored."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from docx import Document
from freezegun import freeze_time
from sqlalchemy import select, update

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.contact_models import Contact
from handlers.groups import group_by_key
from handlers.models import HandlerGroup, User
from reports.bundle import gather, previous_of_equal_length
from reports.dashboard_cache import cached_charts, cached_gather, figures_key
from reports.figures import state_moment
from reports.models import ReportCacheEntry
from reports.periods import days_period, local_today, quarter_of
from reports.quarterly import chart_images
from web.app import create_app

from .helpers import Browser, with_password
from .report_data import REPORT_MADE, at
from .test_report_dashboard import DECEMBER, key_figure, text

pytestmark = pytest.mark.usefixtures("data")

DEC = days_period(at(12, 1).date(), at(12, 31).date())
NOV = previous_of_equal_length(DEC)
OOD, NET = "onderhoud-openbaar-domein", "openbare-netheid"


def this_quarter():
    quarter = quarter_of(local_today(utcnow()))
    return quarter.period, quarter.previous().period


def login(app, role: str, group: str | None = None) -> Browser:
    user = User(username=f"{role}-{group or 'alle'}", display_name=role, role=role,
                email=f"{role}-{group}@stad.example")
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    db.session.commit()
    return Browser(app, user.username, with_password(user))


def page_text(response) -> str:
    """The page without its CSRF tokens (new in every response)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text(response))


def same(a, b) -> bool:
    """Equal figures; the moment a running period's state describes ('now') may differ by the test's seconds."""
    def without_moment(report):
        for figures in (report.current, report.before):
            assert figures.state_at is not None and abs(figures.state_at - state_moment(figures.end)).seconds < 5
        assert abs(report.contacts.state_at - state_moment(report.contacts.end)).seconds < 5
        return replace(report, current=replace(report.current, state_at=None),
                       before=replace(report.before, state_at=None), contacts=replace(report.contacts, state_at=None))
    return without_moment(a) == without_moment(b)


def case_row(reference: str) -> Case:
    return db.session.scalar(select(Case).where(Case.reference == reference))


@pytest.mark.parametrize("group", [None, OOD, NET])
def test_cached_figures_equal_the_uncached_ones_and_the_second_view_is_a_hit(group):
    for period, previous in ((DEC, NOV), this_quarter()):
        first = cached_gather(period, previous, group)
        second = cached_gather(period, previous, group)
        assert not first.hit and second.hit
        assert same(second.value, first.value) and same(second.value, gather(period, previous, group))
    assert len(db.session.scalars(select(ReportCacheEntry.key)).all()) == 2


def test_charts_are_drawn_once_per_figures_and_equal_the_uncached_ones():
    report = cached_gather(DEC, NOV).value
    first, second = cached_charts(report), cached_charts(report)
    assert not first.hit and second.hit
    assert second.value == first.value == chart_images(report)
    other = cached_gather(DEC, NOV, OOD).value
    assert not cached_charts(other).hit and cached_charts(other).value == chart_images(other)


def test_the_page_exports_and_quarterly_document_are_the_same_cached_and_uncached(app, gathered):
    browser = login(app, "rapportage")
    urls = (f"/werk/rapporten?{DECEMBER}", f"/werk/rapporten/cijfers.csv?{DECEMBER}",
            "/werk/rapporten/kwartaalrapport?kwartaal=2026Q4")
    cold = [browser.get(url) for url in urls]
    assert len(gathered) == 2  # December (page and export share it) and the quarter
    warm = [browser.get(url) for url in urls]
    assert len(gathered) == 2  # all three from the cache
    assert page_text(warm[0]) == page_text(cold[0]) and key_figure(text(warm[0]), "Binnengekomen dossiers") == "11"
    assert text(warm[1]) == text(cold[1])

    def document_text(response) -> list[str]:
        paragraphs = Document(io.BytesIO(response.data)).paragraphs
        return [p.text for p in paragraphs if not p.text.startswith("Periode:")]  # 'Opgemaakt om' moves on
    assert document_text(warm[2]) == document_text(cold[2])
    db.session.query(ReportCacheEntry).delete()
    db.session.commit()
    uncached = browser.get("/werk/rapporten/kwartaalrapport?kwartaal=2026Q4")
    assert document_text(uncached) == document_text(warm[2]) and len(gathered) == 3


def test_a_new_melding_and_a_closing_show_on_the_next_view_at_once(app, staff, gathered):
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = 0  # always exact (the bounded staleness: test_dashboard_staleness.py)
    browser = login(app, "rapportage")
    first = page_text(browser.get("/werk/rapporten?snel=dit-kwartaal"))
    created, closed = int(key_figure(first, "Binnengekomen dossiers")), int(key_figure(first, "Afgesloten dossiers"))
    assert len(gathered) == 1
    assert page_text(browser.get("/werk/rapporten?snel=dit-kwartaal")) == first and len(gathered) == 1

    ref = staff.meldkamer.file_melding()["reference"]
    page = text(browser.get("/werk/rapporten?snel=dit-kwartaal"))
    assert key_figure(page, "Binnengekomen dossiers") == str(created + 1) and len(gathered) == 2

    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    page = text(browser.get("/werk/rapporten?snel=dit-kwartaal"))
    assert key_figure(page, "Afgesloten dossiers") == str(closed)
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp werd vervangen."})
    page = page_text(browser.get("/werk/rapporten?snel=dit-kwartaal"))
    assert key_figure(page, "Afgesloten dossiers") == str(closed + 1)
    views = len(gathered)
    assert page == page_text(browser.get("/werk/rapporten?snel=dit-kwartaal")) and len(gathered) == views


def test_a_passed_deadline_shows_without_any_change_in_the_database(gathered):
    period, previous = this_quarter()
    before = cached_gather(period, previous, "fietsteam")
    assert before.value.current.overdue_at_end == 0  # c8's deadline is 5 January 08:00, m1 and p1 have none
    assert cached_gather(period, previous, "fietsteam").hit
    everyone = cached_gather(period, previous).value.current.overdue_at_end
    with freeze_time(REPORT_MADE + timedelta(days=1, minutes=1), tick=True):
        after = cached_gather(period, previous, "fietsteam")
        assert after.hit and after.value.current.overdue_at_end == 1  # counted on top of the cached figures
        assert same(after.value, gather(period, previous, "fietsteam"))
        assert cached_gather(period, previous).value.current.overdue_at_end == everyone + 1
        assert same(cached_gather(period, previous).value, gather(period, previous))
        assert cached_gather(period, previous, OOD).value.current.overdue_at_end == \
            gather(period, previous, OOD).current.overdue_at_end
    assert len(gathered) == 3  # the fietsteam and all groups once each, and the new OOD entry
    # December ended before the deadline: its figures stay what they were however late they are viewed.
    december = cached_gather(DEC, NOV, "fietsteam").value
    with freeze_time(REPORT_MADE + timedelta(days=40), tick=True):
        later = cached_gather(DEC, NOV, "fietsteam")
        assert later.hit and later.value == december


def test_a_hand_over_past_its_deadline_shows_in_the_first_line_figures():
    period, previous = this_quarter()
    c8 = case_row("c8")  # open, fietsteam, deadline 5 January 08:00
    db.session.add(Contact(channel="telefoon", question="Wanneer wordt het fietspad hersteld?", outcome="handover",
                           group_id=c8.group_id, case_id=c8.id, taken_by_name="Onthaal", created_at=utcnow()))
    db.session.commit()
    first = cached_gather(period, previous)
    [row] = first.value.contacts.per_group
    assert not first.hit and row.key == "fietsteam" and row.overdue == 0
    with freeze_time(REPORT_MADE + timedelta(days=1, minutes=1), tick=True):
        later = cached_gather(period, previous)
        assert later.hit and [r.overdue for r in later.value.contacts.per_group] == [1]
        assert later.value.contacts == replace(gather(period, previous).contacts,
                                               state_at=later.value.contacts.state_at)


def test_a_period_that_ended_long_ago_changes_with_a_reopening_and_a_moved_deadline():
    assert cached_gather(DEC, NOV).value.current.closed == 6
    c4 = case_row("c4")  # closed on 10 December; reopened now, the way engine/runtime.py saves it
    c4.closed_at, c4.status, c4.updated_at = None, "in_behandeling", utcnow()
    db.session.add(CaseEvent(case_id=c4.id, kind="reopened", at=utcnow()))
    db.session.commit()
    reopened = cached_gather(DEC, NOV)
    assert not reopened.hit and reopened.value.current.closed == 5 and reopened.value == gather(DEC, NOV)

    # A change of a case row without any new row: c7's deadline moved past the end of December.
    assert cached_gather(DEC, NOV).hit and reopened.value.current.overdue_at_end == 3
    db.session.execute(update(Case).where(Case.reference == "c7")
                       .values(deadline_at=at(1, 20, year=2027), updated_at=utcnow()))
    db.session.commit()
    moved = cached_gather(DEC, NOV)
    assert not moved.hit and moved.value.current.overdue_at_end == 2 and moved.value == gather(DEC, NOV)


def test_a_renamed_group_shows_at_once():
    assert cached_gather(DEC, NOV, OOD).value.group_name == "Onderhoud openbaar domein"
    db.session.execute(update(HandlerGroup).where(HandlerGroup.key == OOD).values(name="Straten en pleinen"))
    db.session.commit()
    renamed = cached_gather(DEC, NOV, OOD)
    assert not renamed.hit and renamed.value.group_name == "Straten en pleinen"
    assert "Straten en pleinen" in [s.name for s in cached_gather(DEC, NOV).value.current.by_group]


def test_two_groups_and_two_periods_never_see_each_others_entry():
    periods = ((DEC, NOV), (days_period(at(12, 1).date(), at(12, 15).date()),
                            days_period(at(11, 16).date(), at(11, 30).date())))
    for period, previous in periods:
        for group in (OOD, NET):
            cached_gather(period, previous, group)
    keys = {figures_key(p, b, g) for p, b in periods for g in (OOD, NET)}
    assert set(db.session.scalars(select(ReportCacheEntry.key))) == keys
    for period, previous in periods:
        for group in (OOD, NET):
            found = cached_gather(period, previous, group)
            assert found.hit and found.value == gather(period, previous, group)
            assert found.value.group_key == group and found.value.period == period


def test_a_lead_never_gets_another_groups_figures_even_from_a_copied_entry(app, gathered):
    ood_lead = login(app, "groepsverantwoordelijke", OOD)
    assert key_figure(text(ood_lead.get(f"/werk/rapporten?{DECEMBER}")), "Binnengekomen dossiers") == "4"
    # Someone with write access to the database copies the ood entry under the netheid key: its signature
    # covers the key, so it is not used.
    ood_entry = db.session.get(ReportCacheEntry, figures_key(DEC, NOV, OOD))
    db.session.add(ReportCacheEntry(key=figures_key(DEC, NOV, NET), fingerprint=ood_entry.fingerprint,
                                    window_from=ood_entry.window_from, payload=ood_entry.payload))
    db.session.commit()
    net_lead = login(app, "groepsverantwoordelijke", NET)
    assert net_lead.get(f"/werk/rapporten?{DECEMBER}&groep={OOD}").status_code == 403  # role scoping as before
    page = text(net_lead.get(f"/werk/rapporten?{DECEMBER}"))
    assert key_figure(page, "Binnengekomen dossiers") == "3" and "Openbare netheid" in page
    rows = list(csv.reader(io.StringIO(text(net_lead.get(f"/werk/rapporten/cijfers.csv?{DECEMBER}"))
                                       .lstrip("\ufeff")), delimiter=";"))
    assert any("Openbare netheid" in cell for row in rows for cell in row)
    assert not any("Onderhoud openbaar domein" in cell for row in rows for cell in row)
    assert [call[2] for call in gathered] == [OOD, NET]


def test_a_second_process_on_the_same_database_gets_a_hit(app, gathered):
    first = cached_gather(DEC, NOV, OOD)
    assert not first.hit
    second_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                             "SECRET_KEY": app.secret_key})
    with second_app.app_context():
        assert db.engine is not None
        found = cached_gather(DEC, NOV, OOD)
        assert found.hit and found.value == first.value
        db.session.remove()
        db.engine.dispose()
    other_key = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                            "SECRET_KEY": "another-installation-secret-key"})
    with other_key.app_context():
        found = cached_gather(DEC, NOV, OOD)  # signed with another key: computed again, same numbers
        assert not found.hit and found.value == first.value
        db.session.remove()
        db.engine.dispose()
    assert len(gathered) == 2


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)  # SQLite's writers take turns: ids in commit order
def test_a_change_committed_late_with_a_lower_id_is_not_hidden_behind_a_higher_one(app):
    """Writer A takes an event id and commits only after writer B's higher id and the view: the view's figures
    must not be stored under B's id, or A's reopening would never show."""
    c4 = case_row("c4")
    with db.engine.connect() as a:
        transaction = a.begin()
        a.execute(CaseEvent.__table__.insert().values(case_id=c4.id, kind="reopened", at=utcnow(), actor="x",
                                                      public=False))
        a.execute(Case.__table__.update().where(Case.id == c4.id).values(closed_at=None, status="in_behandeling",
                                                                        updated_at=utcnow() - timedelta(hours=1)))
        db.session.add(CaseEvent(case_id=case_row("c9").id, kind="note", at=utcnow()))  # writer B
        db.session.commit()
        seen = cached_gather(DEC, NOV)
        assert not seen.hit and seen.value.current.closed == 6  # A's change is not visible yet
        transaction.commit()
    after = cached_gather(DEC, NOV)
    assert not after.hit and after.value.current.closed == 5
    assert cached_gather(DEC, NOV).hit
