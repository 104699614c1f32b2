"""APScheduler jobs: the timer tick, sending the outbox, reading letters' scans and the periodic chores.

The database column `next_timer_at` is the source of truth; the scheduler keeps no state of its own,
so a restart or a second worker re-arms nothing and loses nothing. The jobs run in the scheduler's
thread pool; a run that starts late (a busy web process holding the GIL) still runs (no misfire
grace limit), and a job still running when the next run is due is not started twice (max_instances 1).
On SIGTERM or SIGINT (web/graceful_stop.py) the loops finish what they hold and the process exits.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from engine import timers
from engine.db import db
from engine.settings import Settings
from notifications.sender import send_due
from notifications.stopping import stop_requested, wait_for_stop

from .logs import logged_job

log = logging.getLogger(__name__)


def timer_tick(app: Flask) -> int:
    """Fire due timers until none are left due (in batches), inside an app context."""
    total = 0
    with app.app_context():
        try:
            while not stop_requested():
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
    """Send due outbox mails until none are left due (or the server is unusable, or the process stops)."""
    with app.app_context():
        try:
            total = send_due().sent
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


def letter_ocr(app: Flask) -> int:
    """Read the text of registered letters' scans (handlers/letter_ocr.py), one at a time."""
    from handlers.letter_ocr import read_due_letters

    with app.app_context():
        try:
            read = read_due_letters()
        finally:
            db.session.remove()
    if read:
        log.info("letters: the text of %d scan(s) read", read)
    return read


def mailbox_poll(app: Flask) -> int:
    """Read the info mailbox (MELDPUNT_IMAP_*) and take in its new messages."""
    from intake.mailbox import poll

    with app.app_context():
        try:
            report = poll()
        finally:
            db.session.remove()
    return len(report.results)


def dashboard_refresh(app: Flask) -> int:
    """Recompute the dashboard figures viewed lately whose data changed (reports/dashboard_cache.py), so the
    page rarely has to; each entry claimed first, so two workers never compute the same one."""
    from reports.dashboard_cache import refresh_viewed

    max_age = Settings(app.config).dashboard_max_age
    if not max_age:  # always exact: every view computes what it shows
        return 0
    with app.app_context():
        try:
            done = refresh_viewed(max_age=timedelta(seconds=max_age))
        finally:
            db.session.remove()
    if done:
        log.info("dashboard: %d entr%s refreshed", done, "y" if done == 1 else "ies")
    return done


def _add_jobs(scheduler, app: Flask) -> None:
    # misfire_grace_time=None: APScheduler's default (1 s) silently skips a run that starts late, which a
    # busy `meldpunt serve` makes happen; coalesce makes the late runs one. Every run logs one line (web/logs.py).
    def every(job, job_id: str, seconds: int, args: list, logged: bool = True) -> None:
        scheduler.add_job(logged_job(job_id, job) if logged else job, "interval", seconds=seconds, args=args,
                          id=job_id, max_instances=1, coalesce=True, misfire_grace_time=None)

    def hourly(job, job_id: str, **when: int) -> None:
        scheduler.add_job(logged_job(job_id, job), "cron", args=[app], id=job_id, max_instances=1, coalesce=True,
                          **when)

    configured = Settings(app.config)
    if configured.imap_host:
        every(mailbox_poll, "mailbox_poll", configured.imap_seconds, [app])
    every(timer_tick, "timer_tick", configured.tick_seconds, [app])
    every(letter_ocr, "letter_ocr", configured.ocr_seconds, [app])
    sender = app.extensions.get("meldpunt_outbox_process")
    if sender is not None:  # `meldpunt serve`: the sender runs in a child process (web/outbox_process.py)
        # a look whether the child lives, not work: no line per run (a restart is logged as an error)
        every(sender.ensure_running, "outbox_process", configured.outbox_seconds, [], logged=False)
    else:
        every(outbox_send, "outbox_send", configured.outbox_seconds, [app])
    if configured.dashboard_max_age:  # 0: the page is always exact, nothing to keep fresh
        from reports.dashboard_cache import REFRESH_SECONDS

        every(dashboard_refresh, "dashboard_refresh", REFRESH_SECONDS, [app])
    hourly(privacy_anonymise, "privacy_anonymise", hour=3, minute=30)  # daily
    hourly(forget_used_form_tokens, "forget_used_form_tokens", minute=23)
    from reports.scheduled import fortnightly_job, quarterly_job  # hourly: each sends what is due, once

    hourly(fortnightly_job, "fortnightly_reports", minute=7)
    hourly(quarterly_job, "quarterly_report", minute=9)


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """The in-process scheduler of `make run` (one process serves the web and runs the jobs).

    With MELDPUNT_OUTBOX_PROCESS (set by `meldpunt serve`) the outbox is sent by a child process instead
    of a thread of this one, so web load cannot starve it (web/outbox_process.py)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    if app.config.get("MELDPUNT_OUTBOX_PROCESS") and "meldpunt_outbox_process" not in app.extensions:
        from .outbox_process import OutboxProcess

        app.extensions["meldpunt_outbox_process"] = OutboxProcess()
    _add_jobs(scheduler, app)
    sender = app.extensions.get("meldpunt_outbox_process")
    if sender is not None:  # before the scheduler runs its job that does the same
        sender.ensure_running()
    scheduler.start()
    app.extensions["meldpunt_scheduler"] = scheduler
    return scheduler


def run_worker(app: Flask) -> None:
    """`meldpunt worker`: run the jobs until SIGTERM or SIGINT, then let the running ones finish and return."""
    from .graceful_stop import install_stop_handlers

    install_stop_handlers()
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    log.info("worker started: timer tick every %ss, outbox every %ss", Settings(app.config).tick_seconds,
             Settings(app.config).outbox_seconds)
    timer_tick(app)  # catch up at once after a restart
    outbox_send(app)
    if not stop_requested():
        scheduler.start()
    while not wait_for_stop(1.0):
        pass
    stop_scheduler(scheduler)


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Wait for the running jobs (each finishes what it holds, the stop flag being up), then shut down."""
    if scheduler.running:
        log.info("stopping: waiting for the running jobs to finish")
        scheduler.shutdown(wait=True)
    log.info("stopped")
