"""The sender on SQLite while the web app holds the one write lock: mail keeps going out, each mail once.

Under web load `meldpunt serve` held SQLite's write lock most of the time; the sender then waited in
SQLite's busy handler behind the web threads for every "sent" mark and sent 8 to 30 mails a second while
intake ran at 150. Now it sends the next mail while the lock is taken and records the marks together
(at most MAX_UNMARKED of them, the most a kill -9 can make it send again). Another connection holding
`BEGIN IMMEDIATE` plays the busy web app here; the SMTP server is real.
"""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select

from engine.db import db
from notifications.models import OutboxMessage
from notifications.sender import MAX_UNMARKED, send_due


class WriteLock:
    """SQLite's write lock, taken and given back by another connection (as the web process does)."""

    def __init__(self, url: str) -> None:
        self.connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None,
                                          check_same_thread=False)
        self.held = False
        self.finished = False  # given back for good: not taken again
        self.guard = threading.Lock()

    def take(self) -> None:
        with self.guard:
            if not self.held and not self.finished:
                self.connection.execute("BEGIN IMMEDIATE")
                self.held = True

    def give_back(self) -> None:
        with self.guard:
            self.finished = True
            if self.held:
                self.connection.execute("COMMIT")
                self.held = False


def hold_lock_while_receiving(smtp_server, lock: WriteLock, release_after: int, received_then: list[int]):
    """From the first message on, hold the write lock until `release_after` messages have arrived."""
    original = smtp_server.handler.handle_DATA

    async def handle_data(server, session, envelope):
        answer = await original(server, session, envelope)
        lock.take()
        if len(smtp_server.messages) >= release_after:
            received_then.append(len(smtp_server.messages))
            lock.give_back()
        return answer

    smtp_server.handler.handle_DATA = handle_data


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # PostgreSQL has row locks and no writer queue
def test_mail_keeps_going_out_while_the_web_app_holds_the_write_lock(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    for number in range(3):
        staff.meldkamer.file_melding(f"Straatlamp {number} brandt niet", email=f"melder{number}@voorbeeld.example")
    lock, received_then = WriteLock(app.config["SQLALCHEMY_DATABASE_URI"]), []
    hold_lock_while_receiving(smtp_server, lock, release_after=3, received_then=received_then)
    fell_back: list[int] = []

    def give_back_at_last() -> None:  # the old sender waited here for the lock after its first mail
        fell_back.append(len(smtp_server.messages))
        lock.give_back()

    fallback = threading.Timer(10, give_back_at_last)
    fallback.start()
    try:
        report = send_due()
    finally:
        fallback.cancel()
        lock.give_back()

    assert fell_back == [] and received_then == [3], "the three mails went out while the lock was held"
    assert report.sent == 3
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [f"melder{n}@voorbeeld.example" for n in range(3)]
    assert [row.status for row in outbox_rows()] == ["sent"] * 3
    assert send_due().sent == 0 and len(smtp_server.messages) == 3  # and none goes out again


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_no_more_than_max_unmarked_mails_go_out_unrecorded(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    total = MAX_UNMARKED + 3
    for number in range(total):
        staff.meldkamer.file_melding(f"Lamp {number} stuk", email=f"melder{number}@voorbeeld.example")
    lock, received_then = WriteLock(app.config["SQLALCHEMY_DATABASE_URI"]), []
    hold_lock_while_receiving(smtp_server, lock, release_after=total + 1, received_then=received_then)
    seen_when_released: list[int] = []

    def release() -> None:
        seen_when_released.append(len(smtp_server.messages))
        lock.give_back()

    timer = threading.Timer(3, release)  # the lock stays taken for 3 s: the sender must wait for it
    timer.start()
    try:
        report = send_due()
    finally:
        timer.cancel()
        lock.give_back()

    assert 1 <= seen_when_released[0] <= MAX_UNMARKED
    assert report.sent == total and len(smtp_server.messages) == total
    assert [row.status for row in outbox_rows()] == ["sent"] * total
