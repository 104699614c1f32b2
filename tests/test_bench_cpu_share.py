"""The HTTP load benchmark's CPU accounting (benchmarks/cpu_share.py): what each part of the production shape
spent per request, read from /proc."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.cpu_share import Snapshot, children, cpu_seconds, describe, per_request


def test_a_process_that_burns_cpu_shows_it():
    before = cpu_seconds(os.getpid())
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.25


def test_a_child_is_found_under_its_parent_and_a_gone_process_has_no_cpu():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in children(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert cpu_seconds(child.pid) is None


def test_costs_per_request_count_new_processes_from_zero_and_name_the_ceiling():
    before = Snapshot(parts={"web workers": {1: 10.0, 2: 5.0}, "PostgreSQL": {7: 1.0}}, generator=2.0)
    after = Snapshot(parts={"web workers": {1: 11.0, 2: 6.0, 3: 0.5}, "PostgreSQL": {7: 2.0}}, generator=2.5)
    costs = per_request(before, after, 100)
    assert costs == {"web workers": 25.0, "PostgreSQL": 10.0, "load generator": 5.0}
    line = describe(costs, 2)
    assert "served 35.0 ms" in line and "at most 57 requests/s on 2 CPUs" in line and "50/s" in line
