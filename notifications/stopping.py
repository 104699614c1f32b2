"""A process-wide stop flag: after SIGTERM or SIGINT the sender finishes the mail in flight and takes no new one.

`meldpunt worker` and `meldpunt serve` install the handlers (web/graceful_stop.py); the sender and the
scheduler's loops ask `stop_requested()` between mails and batches. Killing a process outright (SIGKILL,
a power cut) skips all of this: see notifications/sender.py for the window that leaves.
"""
from __future__ import annotations

import threading

_stop = threading.Event()


def request_stop() -> None:
    """Ask every loop in this process to finish what it holds and take nothing new."""
    _stop.set()


def stop_requested() -> bool:
    """Whether this process is stopping."""
    return _stop.is_set()


def wait_for_stop(timeout: float) -> bool:
    """Sleep until a stop is requested or `timeout` seconds passed; True when stopping."""
    return _stop.wait(timeout)


def clear_stop() -> None:
    """Forget an earlier stop request (for tests that run the sender again in the same process)."""
    _stop.clear()
