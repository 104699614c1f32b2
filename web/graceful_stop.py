"""SIGTERM and SIGINT for `meldpunt worker` and `meldpunt serve`: stop without losing or repeating a mail.

The handler only raises the stop flag (notifications/stopping.py); the sender sees it before its next
mail, records the one in flight and hands back the rest of its batch, and the process exits once the
running jobs have returned. `serve` also ends waitress's loop (waitress finishes the requests in
progress on KeyboardInterrupt). A second signal while stopping is only logged: the mail in flight is
still finished, as is the point; SIGKILL remains for a process that must go now.
"""
from __future__ import annotations

import logging
import signal

from notifications.stopping import request_stop, stop_requested

log = logging.getLogger("web.worker")


def install_stop_handlers(interrupt_main: bool = False) -> None:
    """Handle SIGTERM and SIGINT in this (main) thread; `interrupt_main` also raises KeyboardInterrupt once."""

    def handler(signum: int, _frame) -> None:
        name = signal.Signals(signum).name
        if stop_requested():
            log.warning("%s again: still stopping, finishing the mail in flight", name)
            return
        log.warning("%s received: stopping after the mail in flight (no new mails are taken)", name)
        request_stop()
        if interrupt_main:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
