"""The scheduler job that `make run` and `meldpunt worker` run: due timers fire, others wait."""
from __future__ import annotations

import time
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from web.scheduler import start_background_scheduler, timer_tick


def test_timer_tick_job_fires_only_due_timers(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
        staff.ood.complete(ref, "take_in_handling")
        staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Welke paal?"})
        assert timer_tick(app) == 0
        clock.tick(timedelta(days=5, minutes=1))
        assert timer_tick(app) == 1
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    assert case.status == "in_behandeling" and case.next_timer_at > utcnow()


def test_background_scheduler_runs_the_tick_job(app, staff):
    """The scheduler of `make run` fires a due timer by itself: the case waiting for the reporter's answer
    goes back to the handler once its five days are over, without anyone calling timer_tick."""
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
        staff.ood.complete(ref, "take_in_handling")
        staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Welke paal?"})
        waiting = db.session.scalar(select(Case.status).where(Case.reference == ref))
        db.session.remove()
        clock.tick(timedelta(days=5, minutes=1))
        app.config["MELDPUNT_TICK_SECONDS"] = 1
        scheduler = start_background_scheduler(app)
        try:
            job = scheduler.get_job("timer_tick")
            assert job.max_instances == 1 and job.coalesce and job.trigger.interval == timedelta(seconds=1)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                status = db.session.scalar(select(Case.status).where(Case.reference == ref))
                db.session.remove()
                if status != waiting:
                    break
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
    assert (waiting, status) == ("wacht_op_melder", "in_behandeling")
