"""The dashboard page's bounded staleness (reports/dashboard_cache.py, MELDPUNT_DASHBOARD_MAX_AGE): after a change
the page may show figures computed less than the maximum age ago, with their time; older ones are recomputed in
the request; the refresh job recomputes the entries viewed lately, one process per entry; the exports and the
quarterly document stay exact."""
from __future__ import annotations

import csv
import io
import threading
import time
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine.clock import as_utc, utcnow
from engine.db import db
from handlers.models import User
from reports import dashboard_cache
from reports.dashboard_cache import cached_gather, figures_key
from reports.models import ReportCacheEntry
from reports.periods import CITY_TZ
from web.scheduler import dashboard_refresh

from .helpers import Browser, with_password
from .test_dashboard_cache import DEC, NOV, OOD, login, this_quarter
from .test_report_dashboard import key_figure, text

pytestmark = pytest.mark.usefixtures("data")

QUARTER = "/werk/rapporten?snel=dit-kwartaal"
AS_OF_NL, AS_OF_EN = "Cijfers van", "Figures as of"


def due():
    """The moment the refresh job recomputes a changed entry at the default maximum age (120 s): 61 s after it
    was computed (dashboard_cache.refresh_due)."""
    return freeze_time(utcnow() + dashboard_cache.refresh_due(timedelta(seconds=120)) + timedelta(seconds=1),
                       tick=True)


def created(page: str) -> int:
    return int(key_figure(page, "Binnengekomen dossiers"))


def entry(period, previous, group=None) -> ReportCacheEntry:
    db.session.expire_all()
    found = db.session.get(ReportCacheEntry, figures_key(period, previous, group))
    assert found is not None
    return found


def local_time(moment) -> str:
    return f"{as_utc(moment).astimezone(CITY_TZ):%H:%M}"


def csv_created(response) -> str:
    rows = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff")), delimiter=";"))
    return next(row[3] for row in rows if row[:2] == ["Kerncijfers", "Binnengekomen dossiers"])


def test_a_young_stale_entry_is_shown_with_its_time_while_the_exports_stay_exact(app, staff, gathered):
    browser = login(app, "rapportage")
    first = text(browser.get(QUARTER))
    assert len(gathered) == 1 and AS_OF_NL not in first
    computed = dashboard_cache.computed_at(entry(*this_quarter()))
    staff.meldkamer.file_melding()

    stale = text(browser.get(QUARTER))  # within the maximum age: the figures of before, with their time
    assert created(stale) == created(first) and len(gathered) == 1
    assert f"{AS_OF_NL} {local_time(computed)}." in stale and "nieuwere cijfers worden berekend" in stale

    export = browser.get(f"/werk/rapporten/cijfers.csv?{QUARTER.split('?')[1]}")  # exact: computed afresh
    assert csv_created(export) == str(created(first) + 1) and len(gathered) == 2
    fresh = text(browser.get(QUARTER))  # the export stored exact figures: the page uses them
    assert created(fresh) == created(first) + 1 and AS_OF_NL not in fresh and len(gathered) == 2

    staff.meldkamer.file_melding()
    assert created(text(browser.get(QUARTER))) == created(first) + 1  # stale again
    browser.get("/werk/rapporten/kwartaalrapport?kwartaal=2027Q1")  # the same figures (all groups): exact
    assert len(gathered) == 3
    assert created(text(browser.get(QUARTER))) == created(first) + 2 and len(gathered) == 3


def test_an_entry_older_than_the_maximum_age_is_recomputed_in_the_request(app, staff, gathered):
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = 60
    browser = login(app, "rapportage")
    first = created(text(browser.get(QUARTER)))
    staff.meldkamer.file_melding()
    with freeze_time(utcnow() + timedelta(seconds=50), tick=True):
        assert created(text(browser.get(QUARTER))) == first and len(gathered) == 1
    with freeze_time(utcnow() + timedelta(seconds=61), tick=True):
        page = text(browser.get(QUARTER))
        assert created(page) == first + 1 and AS_OF_NL not in page and len(gathered) == 2


def test_a_maximum_age_of_0_is_always_exact(app, staff, gathered):
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = "0"  # as from the environment
    browser = login(app, "rapportage")
    first = created(text(browser.get(QUARTER)))
    staff.meldkamer.file_melding()
    page = text(browser.get(QUARTER))
    assert created(page) == first + 1 and AS_OF_NL not in page and len(gathered) == 2
    assert dashboard_refresh(app) == 0


def test_the_as_of_text_in_dutch_and_english(app, staff):
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    computed = local_time(dashboard_cache.computed_at(entry(*this_quarter())))
    staff.meldkamer.file_melding()
    assert f"Cijfers van {computed}." in text(browser.get(QUARTER))
    browser.client.set_cookie("lang", "en")
    english = text(browser.get(QUARTER))
    assert f"{AS_OF_EN} {computed}." in english and "newer ones are being computed" in english
    assert AS_OF_NL not in english


def test_the_job_refreshes_a_viewed_stale_entry_and_leaves_an_unviewed_one(app, staff, gathered):
    browser = login(app, "rapportage")
    first = created(text(browser.get(QUARTER)))  # viewed on the page
    cached_gather(DEC, NOV, OOD)  # computed for an export only: never viewed
    unviewed = entry(DEC, NOV, OOD).fingerprint
    assert entry(DEC, NOV, OOD).viewed_at is None and entry(*this_quarter()).viewed_at is not None
    assert dashboard_refresh(app) == 0  # nothing changed: nothing to do
    staff.meldkamer.file_melding()
    assert dashboard_refresh(app) == 0 and len(gathered) == 2  # changed, but young: the page may show it still
    with due():
        assert dashboard_refresh(app) == 1
    period, previous = this_quarter()
    assert gathered[-1] == (period, previous, None) and len(gathered) == 3
    assert entry(DEC, NOV, OOD).fingerprint == unviewed and entry(*this_quarter()).claimed_until is None
    page = text(browser.get(QUARTER))  # an exact hit now, computed by the job
    assert created(page) == first + 1 and AS_OF_NL not in page and len(gathered) == 3
    assert dashboard_refresh(app) == 0

    staff.meldkamer.file_melding()  # viewed longer ago than VIEWED_WITHIN: left to the next view
    with freeze_time(utcnow() + dashboard_cache.VIEWED_WITHIN + timedelta(minutes=1), tick=True):
        assert dashboard_refresh(app) == 0 and len(gathered) == 3
        page = text(browser.get(QUARTER))  # older than the maximum age too: computed in the request
        assert created(page) == first + 2 and len(gathered) == 4



def test_after_the_job_the_next_view_draws_no_chart(app, staff, monkeypatch):
    """The job draws the charts of the figures it recomputed, so the view after it is a hit for the charts too."""
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    staff.meldkamer.file_melding()
    with due():
        assert dashboard_refresh(app) == 1
    drawn: list[object] = []
    real = dashboard_cache.chart_images
    monkeypatch.setattr(dashboard_cache, "chart_images", lambda report: drawn.append(report) or real(report))
    page = text(browser.get(QUARTER))
    assert AS_OF_NL not in page and drawn == []

def test_a_view_is_recorded_at_most_once_a_minute(app):
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    viewed = entry(*this_quarter()).viewed_at
    browser.get(QUARTER)
    assert entry(*this_quarter()).viewed_at == viewed
    with freeze_time(utcnow() + timedelta(seconds=61), tick=True):
        browser.get(QUARTER)
        assert as_utc(entry(*this_quarter()).viewed_at) > as_utc(viewed) + timedelta(seconds=60)


def test_two_job_runs_at_once_recompute_an_entry_once(app, staff, monkeypatch):
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    staff.meldkamer.file_melding()
    calls, nested = [], []
    real_gather = dashboard_cache.gather

    def gather_while_another_run_starts(period, previous, group_key=None):
        calls.append(group_key)
        if len(calls) == 1:  # a second worker's run starts while this one computes
            nested.append(dashboard_refresh(app))
        return real_gather(period, previous, group_key)

    monkeypatch.setattr(dashboard_cache, "gather", gather_while_another_run_starts)
    with due():
        assert dashboard_refresh(app) == 1
    assert nested == [0] and calls == [None]
    assert AS_OF_NL not in text(browser.get(QUARTER)) and calls == [None]


def test_two_workers_refreshing_at_the_same_moment_compute_once(app, staff, monkeypatch):
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    staff.meldkamer.file_melding()
    calls: list = []
    real_gather = dashboard_cache.gather

    def slow_gather(period, previous, group_key=None):
        calls.append(group_key)
        time.sleep(0.5)  # the other worker meanwhile finds the entry claimed
        return real_gather(period, previous, group_key)

    monkeypatch.setattr(dashboard_cache, "gather", slow_gather)
    start, results = threading.Barrier(2), []

    def worker():
        start.wait()
        results.append(dashboard_refresh(app))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with due():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert sorted(results) == [0, 1] and calls == [None]
    assert AS_OF_NL not in text(browser.get(QUARTER)) and calls == [None]


def test_figures_of_another_day_show_the_date(app, staff):
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = 2 * 24 * 3600
    browser = login(app, "rapportage")
    browser_user_id = db.session.scalar(select(User.id).where(User.username == "rapportage-alle"))
    browser.get(QUARTER)
    computed = as_utc(dashboard_cache.computed_at(entry(*this_quarter()))).astimezone(CITY_TZ)
    staff.meldkamer.file_melding()
    with freeze_time(utcnow() + timedelta(days=1), tick=True):
        browser = Browser(app, "rapportage-alle", with_password(db.session.get(User, browser_user_id)))
        assert f"{AS_OF_NL} {computed:%d/%m/%Y %H:%M}." in text(browser.get(QUARTER))  # the session ran out


def test_a_claim_of_a_worker_that_died_expires(app, staff, gathered):
    browser = login(app, "rapportage")
    browser.get(QUARTER)
    staff.meldkamer.file_melding()
    table = ReportCacheEntry.__table__
    with db.engine.begin() as conn:
        conn.execute(table.update().values(claimed_until=utcnow() + dashboard_cache.CLAIM))
    assert dashboard_refresh(app) == 0 and len(gathered) == 1
    with freeze_time(utcnow() + dashboard_cache.CLAIM + timedelta(seconds=1), tick=True):
        assert dashboard_refresh(app) == 1 and len(gathered) == 2


def test_the_job_is_registered_in_the_worker(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from web.scheduler import _add_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    job = scheduler.get_job("dashboard_refresh")
    assert job is not None and job.trigger.interval == timedelta(seconds=dashboard_cache.REFRESH_SECONDS)
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = 0  # always exact: nothing to refresh
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    assert scheduler.get_job("dashboard_refresh") is None and scheduler.get_job("timer_tick") is not None


def test_with_a_maximum_age_of_two_job_runs_the_job_refreshes_a_change_at_once(app, staff, gathered):
    app.config["MELDPUNT_DASHBOARD_MAX_AGE"] = str(2 * dashboard_cache.REFRESH_SECONDS)
    browser = login(app, "rapportage")
    first = created(text(browser.get(QUARTER)))
    staff.meldkamer.file_melding()
    assert dashboard_refresh(app) == 1 and len(gathered) == 2
    assert created(text(browser.get(QUARTER))) == first + 1
