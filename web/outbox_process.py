"""`meldpunt serve`'s mail sender, in a process of its own beside the web process.

In the web process the sender shared the GIL with waitress's eight threads: each of its SMTP round trips
and commits gave the GIL up and queued behind the busy request threads to get it back, and under web
load it sent 8 to 11 mails a second while intake ran at 70. A child process has its own interpreter, as
`meldpunt worker` has. It runs the outbox job every MELDPUNT_OUTBOX_SECONDS; the web process's scheduler
starts it again if it dies, and on SIGTERM/SIGINT the web process passes the stop on and waits for it to
finish the mail in flight (web/graceful_stop.py).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from typing import Any, Optional, cast

from engine.settings import Settings

log = logging.getLogger("web.worker")

STOP_TIMEOUT = 300  # seconds to wait for the child to finish its mail in flight (SMTP timeouts included)


def _sender_main(overrides: dict[str, Any]) -> None:
    """The child: send the outbox every interval until SIGTERM or SIGINT, then return after the mail in flight."""
    from notifications.stopping import stop_requested, wait_for_stop

    from .app import create_app
    from .graceful_stop import install_stop_handlers
    from .logs import configure_logging
    from .scheduler import outbox_send

    install_stop_handlers()
    app = create_app(overrides)
    configure_logging(Settings(app.config))  # as the web process did
    interval = float(Settings(app.config).outbox_seconds)
    log.info("outbox sender process %s started: every %gs", os.getpid(), interval)
    while not stop_requested():
        try:
            outbox_send(app)
        except Exception:  # a database hiccup must not end the sender; the next run tries again
            log.exception("outbox run failed")
        wait_for_stop(interval)
    log.info("outbox sender process %s stopped", os.getpid())


class OutboxProcess:
    """The sender child of one `meldpunt serve`; `ensure_running` is the web process's scheduler job."""

    def __init__(self, overrides: Optional[dict[str, Any]] = None) -> None:
        self.overrides = {**(overrides or {}), "MELDPUNT_SCHEDULER": False}
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections
        self.process: Optional[multiprocessing.process.BaseProcess] = None
        self.stopping = False
        # ensure_running runs as a scheduler job and from the main thread at start-up, stop() from the main
        # thread: without one lock a child being started looks dead (is_alive() is False until start()
        # returns), so a second child was started, or one was started after stop() had looked. A child
        # nobody stops sends on beside the next one.
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the child, or start it again when it died (logged); never after stop()."""
        with self._lock:
            if self.stopping:
                return
            if self.process is not None and self.process.is_alive():
                return
            if self.process is not None:
                log.error("outbox sender process %s ended (exit code %s); starting a new one", self.process.pid,
                          self.process.exitcode)
            process = self.context.Process(target=_sender_main, args=(self.overrides,), name="meldpunt-outbox")
            process.start()
            self.process = process

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask the child to stop after its mail in flight and wait for it; no child is started afterwards."""
        with self._lock:  # waits for a start in progress, so the child it starts is the one stopped here
            self.stopping = True
            process = self.process
        if process is None or not process.is_alive():
            return
        os.kill(cast(int, process.pid), signal.SIGTERM)  # a live process has a pid
        process.join(timeout)
        if process.is_alive():
            log.error("outbox sender process %s did not stop within %ss; killing it", process.pid, timeout)
            process.kill()
            process.join(10)
