"""Mail delivery under faults, with real processes and a real SMTP server: a sender stopped or killed
mid-batch, and a mail server that goes away and comes back."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from notifications.models import OutboxMessage
from notifications.sender import send_due
from reports.scheduled import fortnightly_job
from web.scheduler import outbox_send, start_background_scheduler

from .helpers import Browser, with_password
from .smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]
LEASE_SECONDS = 3  # MELDPUNT_SMTP_CLAIM_SECONDS for the processes started here
STARTUP = 180  # seconds a started process may take to import everything and send its first mails


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    db.session.commit()  # end the read transaction: the sender process writes to the same database
    return found


def file_meldingen(staff, count: int) -> None:
    for number in range(count):
        staff.meldkamer.file_melding(f"Straatlamp {number} brandt niet", email=f"melder{number}@voorbeeld.example")
    db.session.commit()


def wait_until(predicate, timeout: float, what: str, process: subprocess.Popen | None = None,
               log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    tail += "".join(f"\n#{r.id} {r.status} attempts={r.attempts} next={r.next_attempt_at} {r.last_error}"
                    for r in rows())
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    """A test that fails half-way still ends the processes it started."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: serve's sender child goes with it
            process.wait(10)


class SenderProcess:
    """`meldpunt worker` or `meldpunt serve` in a process of its own, on the test's database and SMTP server."""

    def __init__(self, app, smtp, tmp_path: Path, command: str) -> None:
        self.log = tmp_path / f"{command}-{time.monotonic_ns()}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "MELDPUNT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "MELDPUNT_STORAGE_PATH": str(tmp_path / "files"),
               "MELDPUNT_SECRET_KEY": "test-secret-of-thirty-two-chars",
               "MELDPUNT_BASE_URL": "https://meldpunt.stad.example",
               "MELDPUNT_SMTP_HOST": smtp.host, "MELDPUNT_SMTP_PORT": str(smtp.port), "MELDPUNT_SMTP_TIMEOUT": "10",
               "MELDPUNT_OUTBOX_SECONDS": "1", "MELDPUNT_TICK_SECONDS": "3600",
               "MELDPUNT_SMTP_CLAIM_SECONDS": str(LEASE_SECONDS)}
        args = [sys.executable, "-c", "from web.cli import main; main()", command]
        if command == "serve":
            args += ["--host", "127.0.0.1", "--port", str(free_port())]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        _started.append(self.process)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"the sender did not stop within {timeout} s\n{self.output()[-3000:]}") from None


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_stopped_sender_finishes_the_mail_in_flight_and_no_mail_is_sent_twice(app, staff, smtp_server, tmp_path,
                                                                                   command):
    file_meldingen(staff, 6)
    smtp_server.delay = 0.6  # a slow server: each mail takes more than half a second
    sender = SenderProcess(app, smtp_server, tmp_path, command)
    # STARTUP: on a loaded 2-core machine `serve` and its spawned sender child took 62 s to send a first mail
    wait_until(lambda: len(smtp_server.messages) >= 2, STARTUP, "two mails to arrive", sender.process, sender.log)

    assert sender.stop(signal.SIGTERM) == 0, sender.output()[-3000:]

    received = smtp_server.message_ids()
    assert 2 <= len(received) < 6, "it stopped in the middle of the batch"
    sent = [r for r in rows() if r.status == "sent"]
    assert sorted(r.message_id for r in sent) == sorted(received), "the mail in flight was recorded as sent"
    waiting = [r for r in rows() if r.status == "pending"]
    assert len(waiting) == 6 - len(received)
    assert all(r.attempts == 0 and r.next_attempt_at <= utcnow() for r in waiting), \
        "what it had not sent yet is handed back at once, not held for the lease"
    assert "stopping" in sender.output()

    # Both processes run the hourly report jobs too: a run at hh:07 queues the fortnightly reports to the
    # staff (CI once counted 8 mails where it expected 6). Queue them here, so every run has them.
    assert fortnightly_job(app) >= 1
    smtp_server.delay = 0
    again = SenderProcess(app, smtp_server, tmp_path, command)
    wait_until(lambda: all(r.status == "sent" for r in rows()), STARTUP, "every mail sent", again.process, again.log)
    time.sleep(LEASE_SECONDS + 1.5)  # past the lease: nothing held back comes out a second time
    assert again.stop(signal.SIGINT) == 0

    ids = smtp_server.message_ids()
    queued = rows()
    assert len(queued) > 6 and len(ids) == len(queued) and len(set(ids)) == len(ids), ids
    assert sorted(ids) == sorted(r.message_id for r in queued), "every queued mail sent once"
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages if m.rcpt_tos[0].startswith("melder")) == \
        [f"melder{n}@voorbeeld.example" for n in range(6)], "each receipt exactly once"


def test_a_killed_sender_sends_only_the_mail_in_flight_again_with_the_same_message_id(app, staff, smtp_server,
                                                                                        tmp_path):
    """SIGKILL between the server's 250 and the commit: the one window left. That mail goes out again after
    the lease, as the same message (same Message-ID); the rest of the batch goes out once."""
    file_meldingen(staff, 4)
    smtp_server.delay = 1.5
    sender = SenderProcess(app, smtp_server, tmp_path, "worker")
    wait_until(lambda: len(smtp_server.messages) >= 1, 60, "the first mail to arrive", sender.process, sender.log)
    sender.process.kill()  # the server has the mail; its 250 never reaches the dead sender
    sender.process.wait(10)
    in_flight = smtp_server.message_ids()[0]
    assert [r.status for r in rows() if r.message_id == in_flight] == ["pending"]

    smtp_server.delay = 0
    started = time.monotonic()
    again = SenderProcess(app, smtp_server, tmp_path, "worker")
    wait_until(lambda: all(r.status == "sent" for r in rows()), LEASE_SECONDS + 30, "every mail sent",
               again.process, again.log)
    assert again.stop() == 0

    ids = smtp_server.message_ids()
    assert ids.count(in_flight) == 2, "the mail in flight is sent again, as the same message"
    assert len(ids) == 5 and len(set(ids)) == 4, "every other mail exactly once"
    assert time.monotonic() - started < LEASE_SECONDS + 30


def sender_state():
    from notifications.models import SenderState

    db.session.expire_all()
    return db.session.get(SenderState, "smtp")


def test_an_smtp_outage_charges_no_mail_and_all_mail_goes_out_within_one_interval_of_the_return(
        app, staff, smtp_server, caplog):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_OUTBOX_SECONDS"] = 30
    caplog.set_level(logging.INFO, logger="notifications.sender")
    with freeze_time(utcnow(), tick=True) as clock:
        file_meldingen(staff, 3)
        smtp_server.stop()
        for _ in range(39):  # six and a half hours of outbox runs, one every ten minutes
            outbox_send(app)
            clock.tick(timedelta(minutes=10))
        staff.meldkamer.file_melding("Nog een lamp", email="laat@voorbeeld.example")  # mail keeps being queued
        outbox_send(app)

        waiting = rows()
        assert [r.status for r in waiting] == ["pending"] * 4, [r.last_error for r in waiting]
        assert all(r.attempts == 0 for r in waiting), "an outage is the server's problem, not the mails'"
        state = sender_state()
        assert state.outage_since is not None and state.consecutive_failures == 40 and state.outages_total == 1
        assert "cannot connect" in state.last_error
        starts = [r for r in caplog.records if "unreachable, sending paused" in r.getMessage()]
        assert len(starts) == 1 and starts[0].levelno == logging.WARNING

        assert send_due().stopped.startswith(f"SMTP server 127.0.0.1:{smtp_server.port} unreachable since"), \
            "within the wait no connection is tried"
        assert sender_state().consecutive_failures == 40

        page = admin_page(app, "/werk/beheer/uitgaand")
        assert "SMTP-server onbereikbaar sinds" in page and "40 mislukte verbindingen" in page

        smtp_server.start()
        clock.tick(timedelta(seconds=30))  # one outbox interval
        outbox_send(app)

    assert len(smtp_server.messages) == 4 and all(r.status == "sent" and r.attempts == 1 for r in rows())
    ends = [r for r in caplog.records if "reachable again after" in r.getMessage()]
    assert len(ends) == 1 and "40 failed connections" in ends[0].getMessage()
    state = sender_state()
    assert state.outage_since is None and state.consecutive_failures == 0 and state.last_success_at is not None
    assert "SMTP-server onbereikbaar" not in admin_page(app, "/werk/beheer/uitgaand")


def test_a_two_minute_outage_delays_mail_by_at_most_one_interval(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_OUTBOX_SECONDS"] = 30
    with freeze_time(utcnow(), tick=True) as clock:
        smtp_server.stop()
        for _ in range(4):  # two minutes of runs every 30 seconds, a melding coming in before each
            staff.meldkamer.file_melding(email=f"melder{_}@voorbeeld.example")
            outbox_send(app)
            clock.tick(timedelta(seconds=30))
        smtp_server.start()
        outbox_send(app)  # the first run after the server's return

    assert len(smtp_server.messages) == 4
    assert all(r.status == "sent" and r.attempts == 1 for r in rows())


def test_421_and_a_dropped_session_are_outages_not_attempts(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_SMTP_MAX_ATTEMPTS"] = 2
    with freeze_time(utcnow(), tick=True) as clock:
        staff.meldkamer.file_melding()
        smtp_server.refuse["melder@voorbeeld.example"] = "421 4.3.2 Service shutting down"
        for _ in range(3):
            report = send_due()
            assert report.stopped and "421" in report.stopped and report.failed == 0
            clock.tick(timedelta(minutes=1))
        assert [(r.status, r.attempts) for r in rows()] == [("pending", 0)]
        del smtp_server.refuse["melder@voorbeeld.example"]

        assert send_due().sent == 1
    assert [(r.status, r.attempts) for r in rows()] == [("sent", 1)]


def admin_page(app, path: str) -> str:
    from handlers.models import User

    user = db.session.scalar(select(User).where(User.username == "root"))  # the admin of tests/helpers.Staff
    return Browser(app, "root", with_password(user)).get(path).get_data(as_text=True)


def test_an_outbox_run_that_starts_late_in_a_busy_web_process_still_sends(app, staff, smtp_server):
    """`meldpunt serve` runs the sender in its scheduler's threads beside the web threads; when they keep the
    process busy the scheduler wakes late, and a late run must still send, not be skipped as missed."""
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_OUTBOX_SECONDS"] = 30
    staff.meldkamer.file_melding()
    db.session.commit()
    with freeze_time(utcnow(), tick=True) as clock:
        scheduler = start_background_scheduler(app)
        try:
            clock.tick(timedelta(seconds=45))  # the run due after 30 s starts 15 s late
            scheduler.wakeup()
            wait_until(lambda: len(smtp_server.messages) == 1, 10, "the late run to send the mail")
        finally:
            scheduler.shutdown(wait=True)
    assert [r.status for r in rows()] == ["sent"]


def test_serve_sends_mail_from_a_process_of_its_own_and_starts_it_again_when_it_dies(app, staff, smtp_server,
                                                                                      tmp_path):
    """The web threads of `meldpunt serve` cannot starve a sender that has its own interpreter; and a sender
    that dies (killed, out of memory) does not leave the mails waiting for good."""
    import re

    serve = SenderProcess(app, smtp_server, tmp_path, "serve")
    started = re.compile(r"outbox sender process (\d+) started")
    wait_until(lambda: started.search(serve.output()), 60, "the sender process", serve.process, serve.log)
    first = int(started.search(serve.output()).group(1))
    assert first != serve.process.pid
    os.kill(first, signal.SIGKILL)

    file_meldingen(staff, 2)

    wait_until(lambda: len(smtp_server.messages) == 2, 60, "the mails, from a new sender process", serve.process,
               serve.log)
    assert f"outbox sender process {first} ended" in serve.output()
    assert serve.stop() == 0
    assert [r.status for r in rows()] == ["sent", "sent"]
