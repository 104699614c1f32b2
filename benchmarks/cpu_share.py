"""Where the CPU of a load phase went: the web workers, the `meldpunt worker`, PostgreSQL's backends for the
benchmark's database and the load generator itself (benchmarks/http_load.py).

Requests per second at saturation are CPU divided by CPU per request; on a shared 2-core machine the rate
moves with whatever else runs, the CPU a request costs much less. So the phase prints both: milliseconds of
CPU per request for each part, read from /proc (Linux) before and after, and the rate the machine's cores
would allow at that cost.
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> Optional[float]:
    """User plus system CPU seconds of process `pid` (None when it is gone or /proc cannot tell)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime, fields 14 and 15 of stat(5)


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers under its master)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def backends(libpq: str, database: str) -> list[int]:
    """The server processes working for `database` (client backends and parallel workers), but not this
    query's own."""
    with psycopg.connect(libpq, connect_timeout=5) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (database,)).fetchall()
    return [row[0] for row in rows]


@dataclass
class Snapshot:
    """CPU seconds per part and process at one moment."""

    parts: dict[str, dict[int, float]] = field(default_factory=dict)
    generator: float = 0.0


def snapshot(web_pid: int, worker_pid: int, libpq: str, database: str) -> Snapshot:
    shot = Snapshot()
    for part, pids in (("web workers", [web_pid, *children(web_pid)]), ("meldpunt worker", [worker_pid]),
                       ("PostgreSQL", backends(libpq, database))):
        shot.parts[part] = {pid: s for pid in pids if (s := cpu_seconds(pid)) is not None}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    shot.generator = usage.ru_utime + usage.ru_stime
    return shot


def per_request(before: Snapshot, after: Snapshot, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request for each part; a process that appeared in between counts from 0 (its
    start-up is part of the phase), one that ended is missed (counted up to the earlier snapshot: 0)."""
    shares = {}
    for part, now in after.parts.items():
        then = before.parts.get(part, {})
        shares[part] = sum(max(0.0, seconds - then.get(pid, 0.0)) for pid, seconds in now.items())
    shares["load generator"] = after.generator - before.generator
    return {part: seconds * 1000.0 / max(requests, 1) for part, seconds in shares.items()}


def describe(costs: dict[str, float], cpus: int) -> str:
    """One line: CPU per request per part, the total, and the rate the cores allow without the generator."""
    served = sum(ms for part, ms in costs.items() if part != "load generator")
    parts = ", ".join(f"{part} {ms:.1f}" for part, ms in costs.items())
    ceiling = cpus * 1000.0 / served if served else 0.0
    return (f"  CPU per request (ms): {parts}; served {served:.1f} ms, so at most {ceiling:.0f} requests/s "
            f"on {cpus} CPUs with nothing else running (the load generator's share included: "
            f"{cpus * 1000.0 / max(served + costs.get('load generator', 0.0), 1e-9):.0f}/s)")
