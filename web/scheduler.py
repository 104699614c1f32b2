"""APScheduler jobs: the timer tick and sending the outbox.

The database column `next_timer_at` is the source of truth; the scheduler keeps no state of its own,
so a restart or a second worker re-arms nothing and loses nothing.
"""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine import timers
from engine.db import db
from notifications.sender import send_due

log = logging.getLogger(__name__)


def timer_tick(app: Flask) -> int:
    """Fire due timers until none are left due (in batches), inside an app context."""
    total = 0
    with app.app_context():
        try:
            while True:
                fired = timers.tick(limit=200)
                total += fired
                if fired < 200:
                    break
        finally:
            db.session.remove()
    if total:
        log.info("timer tick: %d case(s) moved on", total)
    return total


def outbox_send(app: Flask) -> int:
    """Send due outbox mails in batches until none are left due (or the server is unusable)."""
    total = 0
    with app.app_context():
        try:
            while True:
                report = send_due(limit=50)
                total += report.sent
                if report.skipped or report.stopped or report.sent + report.retrying + report.failed < 50:
                    break
        finally:
            db.session.remove()
    if total:
        log.info("outbox: %d mail(s) sent", total)
    return total


def privacy_anonymise(app: Flask) -> int:
    """Anonymise reporters whose cases were all closed longer ago than MELDPUNT_ANONYMISE_MONTHS."""
    from handlers.privacy import anonymise_due

    with app.app_context():
        try:
            report = anonymise_due()
        finally:
            db.session.remove()
    if report.cases or report.deferred:
        log.info("privacy: %d case(s) of %d reporter(s) anonymised, %d deferred", report.cases,
                 report.reporters, report.deferred)
    return report.cases


def forget_used_form_tokens(app: Flask) -> int:
    """Delete used one-time form tokens and API Idempotency-Keys older than a day (handlers/idempotency.py)."""
    from handlers.idempotency import forget_expired

    with app.app_context():
        try:
            return forget_expired()
        finally:
            db.session.remove()


def mailbox_poll(app: Flask) -> int:
    """Read the info mailbox (MELDPUNT_IMAP_*) and take in its new messages."""
    from intake.mailbox import poll

    with app.app_context():
        try:
            report = poll()
        finally:
            db.session.remove()
    return len(report.results)


def _add_jobs(scheduler, app: Flask) -> None:
    if app.config.get("MELDPUNT_IMAP_HOST"):
        scheduler.add_job(mailbox_poll, "interval", seconds=app.config.get("MELDPUNT_IMAP_SECONDS") or 60,
                          args=[app], id="mailbox_poll", max_instances=1, coalesce=True)
    scheduler.add_job(timer_tick, "interval", seconds=app.config["MELDPUNT_TICK_SECONDS"], args=[app],
                      id="timer_tick", max_instances=1, coalesce=True)
    scheduler.add_job(outbox_send, "interval", seconds=app.config["MELDPUNT_OUTBOX_SECONDS"], args=[app],
                      id="outbox_send", max_instances=1, coalesce=True)
    scheduler.add_job(privacy_anonymise, "cron", hour=3, minute=30, args=[app], id="privacy_anonymise",
                      max_instances=1, coalesce=True)
    scheduler.add_job(forget_used_form_tokens, "cron", minute=23, args=[app], id="forget_used_form_tokens",
                      max_instances=1, coalesce=True)
    from reports.scheduled import fortnightly_job, quarterly_job  # hourly: each sends what is due, once

    scheduler.add_job(fortnightly_job, "cron", minute=7, args=[app], id="fortnightly_reports", max_instances=1,
                      coalesce=True)
    scheduler.add_job(quarterly_job, "cron", minute=9, args=[app], id="quarterly_report", max_instances=1,
                      coalesce=True)


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """The in-process scheduler of `make run` (one process serves the web and runs the jobs)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
    app.extensions["meldpunt_scheduler"] = scheduler
    return scheduler


def run_worker(app: Flask) -> None:
    """`meldpunt worker`: run the jobs in the foreground until interrupted."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    log.info("worker started: timer tick every %ss, outbox every %ss", app.config["MELDPUNT_TICK_SECONDS"],
             app.config["MELDPUNT_OUTBOX_SECONDS"])
    timer_tick(app)  # catch up at once after a restart
    outbox_send(app)
    scheduler.start()
