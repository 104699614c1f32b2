"""`meldpunt serve`'s sender child (web/outbox_process.py): one child at a time, none after stop().

`ensure_running` runs as a scheduler job and from the main thread at start-up, `stop` from the main thread
when serve ends. A child being started is not alive yet until its start() returns; these tests hold a real
child's start() half-way (a hook on the spawn context) and call the other method meanwhile, the
interleaving that left a second sender running beside the first.
"""
from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from web.outbox_process import OutboxProcess

SPAWN = multiprocessing.get_context("spawn")


class HeldStart:
    """A spawn context whose processes sleep (instead of sending mail) and whose first start() waits for
    `release` before the child exists, as a slow spawn on a busy machine takes its time."""

    def __init__(self) -> None:
        self.started: list[multiprocessing.process.BaseProcess] = []
        self.calls = 0
        self.in_start = threading.Event()
        self.release = threading.Event()

    def Process(self, target, args, name):  # noqa: N802 (the multiprocessing context's spelling)
        return HeldProcess(self, SPAWN.Process(target=time.sleep, args=(60,), name=name))


class HeldProcess:
    """A real spawned process; the first one's start() returns only once the test releases it."""

    def __init__(self, context: HeldStart, process: multiprocessing.process.BaseProcess) -> None:
        self.context, self.real = context, process

    def start(self) -> None:
        self.context.calls += 1
        if self.context.calls == 1:  # spawning is slow on a busy machine: not alive yet meanwhile
            self.context.in_start.set()
            self.context.release.wait(30)
        self.real.start()
        self.context.started.append(self.real)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.fixture()
def sender():
    process = OutboxProcess()
    held = HeldStart()
    process.context = held
    yield process, held
    held.release.set()
    for child in held.started:
        if child.is_alive():
            child.kill()
        child.join(10)


def test_the_scheduler_job_and_the_start_up_call_start_one_child_between_them(sender):
    outbox, held = sender
    first = threading.Thread(target=outbox.ensure_running)  # start-up, from the main thread
    first.start()
    assert held.in_start.wait(30)
    second = threading.Thread(target=outbox.ensure_running)  # the interval job, while the child starts
    second.start()
    time.sleep(0.5)
    held.release.set()
    first.join(30)
    second.join(30)

    assert len(held.started) == 1, "a second sender child was started beside the first"
    assert outbox.process.real is held.started[0] and outbox.process.is_alive()
    outbox.stop(timeout=10)
    assert not held.started[0].is_alive()


def test_stop_while_a_child_is_being_started_stops_that_child_and_no_new_one_starts(sender):
    outbox, held = sender
    starting = threading.Thread(target=outbox.ensure_running)  # the job restarting the sender ...
    starting.start()
    assert held.in_start.wait(30)
    stopping = threading.Thread(target=outbox.stop, kwargs={"timeout": 10})  # ... as serve ends
    stopping.start()
    time.sleep(0.5)
    held.release.set()
    starting.join(30)
    stopping.join(30)

    assert [child.is_alive() for child in held.started] == [False], "a sender child outlived serve's stop"
    outbox.ensure_running()  # the job once more, after the stop
    assert len(held.started) == 1
