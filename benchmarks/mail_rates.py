"""Mail sending measured beside intake: the outbox rows the intake phase queued, sent to a local SMTP server.

The server (benchmarks/smtp_sink.py, aiosmtpd) runs in a process of its own, so it does not compete with
the sender for this interpreter's GIL; it accepts about 1,000 messages a second on this machine, more
than the sender reaches, so the figure is the sender's. What is timed is `send_due()` as the worker's
outbox job runs it: claim in batches, render, one SMTP connection, one commit per mail sent.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from engine.db import db
from notifications.models import OutboxMessage
from notifications.sender import send_due

from .results import PhaseResult

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_sink(counts: list[tuple[int, int]] | None = None) -> Iterator[int]:
    """Run benchmarks/smtp_sink.py on a free port; yields the port. At the end it checks that nothing came
    twice, or, with `counts`, appends (messages received, of which seen before) for the caller to judge."""
    port = _free_port()
    sink = subprocess.Popen([sys.executable, "-m", "benchmarks.smtp_sink", str(port)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        yield port
    finally:
        sink.stdin.close()
        received = sink.stdout.readline().split()
        sink.wait(10)
        if counts is not None and len(received) == 2:
            counts.append((int(received[0]), int(received[1])))
        elif len(received) == 2 and received[1] != "0":
            raise RuntimeError(f"the SMTP sink received {received[1]} message(s) twice")


def time_mail(app: Flask, backend: str) -> PhaseResult:
    """Send every pending outbox row once; the rate of mails accepted by the server."""
    pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == "pending"))
    db.session.remove()
    with smtp_sink() as port:
        app.config.update({"MELDPUNT_SMTP_HOST": "127.0.0.1", "MELDPUNT_SMTP_PORT": port,
                           "MELDPUNT_SMTP_STARTTLS": False})
        start, cpu = time.perf_counter(), time.process_time()
        report = send_due()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    db.session.remove()
    if report.sent != pending or report.failed or report.stopped:
        raise RuntimeError(f"mail benchmark: {pending} pending, {report}")
    return PhaseResult(backend, "mail", report.sent, seconds, 0.0, cpu_seconds)
