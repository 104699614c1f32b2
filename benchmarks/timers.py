"""The timer tick on a big database: "with 100,000 waiting cases, one scheduler tick finds the due ones in
under 100 ms" (../shared/design/architecture.md).

In a dedicated PostgreSQL schema (`meldpunt_bench_timers`, dropped afterwards) it migrates and seeds like
the other benchmarks and bulk-loads cases with the queue benchmark's loader (benchmarks/bulk_load.py),
enough that about N of them are open; the closed ones (~85%) keep no timer. Then it gives exactly N open
cases a realistic `next_timer_at`: ~70% an SLA deadline over the coming six weeks, ~30% a reminder within
the coming week, and a few hundred (0.3%) due in the last ten minutes. It times `engine.timers.due_case_ids`,
the query the tick (web/scheduler.py timer_tick -> engine.timers.tick) runs to find the due cases: with the
tick's batch limit (200, judged against the target) and with a limit that returns every due case. Each
found set is checked against the ids the load made due. The same SELECT through the raw driver is the
"bare" comparison; EXPLAIN (ANALYZE, BUFFERS) shows the plan.

SQLite is not measured: the bulk loader generates its rows on the PostgreSQL server (generate_series).
"""
from __future__ import annotations

import gc
import math
import os
import time
from datetime import datetime

import psycopg
from flask import Flask
from sqlalchemy import event

from engine.clock import utcnow
from engine.db import db
from engine.timers import due_case_ids

from .bulk_load import bulk_load, describe, libpq_url
from .databases import drop_postgres_schema, fresh_schema_or_skip, redact
from .engine_rates import prepared_app

SCHEMA = "meldpunt_bench_timers"
TARGET_MS = 100.0
TICK_LIMIT = 200  # web/scheduler.py timer_tick: timers.tick(limit=200) per batch
RUNS, WARMUP = 50, 5
OPEN_SHARE = 0.14  # the loader leaves roughly this share of its cases open (checked, topped up if short)
DUE_SHARE = 0.003

# Gives `n` open cases a timer: %(due)s of them due in the last ten minutes, the rest in the future.
TIMERS_SQL = """
WITH chosen AS (
    SELECT id FROM cases WHERE NOT completed ORDER BY status = 'ontvangen', id DESC LIMIT %(n)s
), picked AS (
    SELECT id, row_number() OVER (ORDER BY random()) AS k FROM chosen
)
UPDATE cases c
SET next_timer_at = CASE
        WHEN p.k <= %(due)s THEN %(now)s::timestamptz - make_interval(secs => 1 + random() * 599)
        WHEN random() < 0.7 THEN %(now)s::timestamptz + make_interval(secs => 600 + random() * 42 * 86400)
        ELSE %(now)s::timestamptz + make_interval(secs => 600 + random() * 7 * 86400) END
FROM picked p WHERE c.id = p.id
RETURNING c.id, c.next_timer_at <= %(now)s::timestamptz
"""

# Reopens the newest closed cases when the loader left fewer than `n` open (status only: the timer query
# reads `next_timer_at` and `completed`, nothing else).
TOP_UP_SQL = """
UPDATE cases SET completed = false, status = 'in_behandeling', closed_at = NULL
WHERE id IN (SELECT id FROM cases WHERE completed ORDER BY id DESC LIMIT %(missing)s)
"""


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100.0 * len(ordered)) - 1)]


def set_timers(url: str, waiting: int, now: datetime) -> tuple[set[int], int]:
    """Give `waiting` open cases a timer (topping up open cases if needed); (due ids, cases in the table)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE NOT completed), count(*), "
                    "count(*) FILTER (WHERE completed AND next_timer_at IS NOT NULL) FROM cases")
        open_cases, total, closed_with_timer = cur.fetchone()
        if closed_with_timer:
            raise RuntimeError(f"{closed_with_timer} closed cases have a timer: the load is not realistic")
        if open_cases < waiting:
            cur.execute(TOP_UP_SQL, {"missing": waiting - open_cases})
            print(f"  the load left {open_cases:,} cases open: reopened the {waiting - open_cases:,} newest "
                  f"closed ones", flush=True)
        cur.execute("UPDATE cases SET next_timer_at = NULL WHERE next_timer_at IS NOT NULL")
        due = max(1, round(waiting * DUE_SHARE))
        cur.execute(TIMERS_SQL, {"n": waiting, "due": due, "now": now})
        rows = cur.fetchall()
        cur.execute("VACUUM (ANALYZE) cases")
    due_ids = {case_id for case_id, is_due in rows if is_due}
    print(f"  timers: {len(rows):,} waiting cases ({len(due_ids):,} due now, the rest over the coming six "
          f"weeks), {total - len(rows):,} cases without a timer", flush=True)
    return due_ids, total


def run_timers(base_url: str, configured: bool, waiting: int) -> bool:
    """The whole timer benchmark; prints everything and returns True when the tick's query passed."""
    print(f"\ntimer tick: {waiting:,} waiting cases in PostgreSQL schema {SCHEMA} (PostgreSQL only: the bulk "
          f"loader does not support SQLite) ...", flush=True)
    url = fresh_schema_or_skip(base_url, SCHEMA, "timer tick", configured)
    if url is None:
        return True
    try:
        with prepared_app(url) as app:
            print(f"bulk load ({redact(url)}):", flush=True)
            stats = bulk_load(url, max(waiting, math.ceil(waiting / OPEN_SHARE)))
            print(f"  loaded {describe(stats)}", flush=True)
            now = utcnow()
            due_ids, total = set_timers(url, waiting, now)
            return measure(app, url, now, due_ids, waiting, total)
    finally:
        drop_postgres_schema(base_url, SCHEMA)


def _time(fn, runs: int = RUNS, warmup: int = WARMUP) -> list[float]:
    for _ in range(warmup):
        fn()
    gc.collect()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(1000.0 * (time.perf_counter() - start))
    return samples


def _captured(app: Flask, now: datetime, limit: int) -> tuple[str, dict]:
    """The one SELECT due_case_ids() sends, with its parameters."""
    seen: list[tuple[str, dict]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            due_case_ids(now, limit)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
            db.session.remove()
    if len(seen) != 1:
        raise RuntimeError(f"expected one statement from due_case_ids(), saw {len(seen)}")
    return seen[0]


def measure(app: Flask, url: str, now: datetime, due_ids: set[int], waiting: int, total: int) -> bool:
    """Time due_case_ids() (and the bare SELECT), check what it finds, print the plan; True when it passed."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM cases WHERE next_timer_at IS NOT NULL AND NOT completed "
                    "ORDER BY next_timer_at, id")
        in_order = [row[0] for row in cur.fetchall() if row[0] in due_ids]
    everything = len(due_ids) + 1000
    lines, failures = [], []
    for label, limit, expected in ((f"due_case_ids(now, limit={TICK_LIMIT})  (the tick's batch)", TICK_LIMIT,
                                    in_order[:TICK_LIMIT]),
                                   (f"due_case_ids(now, limit={everything})  (every due case)", everything,
                                    in_order)):
        found: list[list[int]] = []

        def call(limit=limit, found=found) -> None:
            with app.app_context():
                found.append(due_case_ids(now, limit))
                db.session.remove()

        samples = _time(call)
        for ids in found:
            if sorted(ids) != sorted(expected) or len(ids) != len(set(ids)):
                failures.append(f"{label}: found {len(ids)} cases, expected exactly {len(expected)} "
                                f"(missing {len(set(expected) - set(ids))}, extra {len(set(ids) - set(expected))})")
                break
        statement, parameters = _captured(app, now, limit)
        with psycopg.connect(libpq_url(url), autocommit=True) as conn, conn.cursor() as cur:
            bare = _time(lambda cur=cur, sql=statement, params=parameters: cur.execute(sql, params).fetchall())
            plan = [row[0] for row in cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
        lines.append((label, len(found[-1]), samples, bare, statement, plan, limit == TICK_LIMIT))

    print(f"\ntimer tick: the query that finds the due cases, {RUNS} runs after {WARMUP} warm-up, each in a "
          f"fresh app context; bare = the same SELECT through psycopg on one connection")
    print(f"  {'what':<55} {'found':>5} {'p50 ms':>7} {'p95 ms':>7} {'bare p50':>8} {'bare p95':>8}  verdict")
    for label, rows, samples, bare, _statement, _plan, judged in lines:
        verdict = ("PASS" if pct(samples, 95) < TARGET_MS else "FAIL") + f" (p95 < {TARGET_MS:.0f} ms)" \
            if judged else "info"
        print(f"  {label:<55} {rows:>5} {pct(samples, 50):7.2f} {pct(samples, 95):7.2f} {pct(bare, 50):8.2f} "
              f"{pct(bare, 95):8.2f}  {verdict}", flush=True)
    label, _rows, _samples, _bare, statement, plan, _judged = lines[-1]
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of {label}:\n  {' '.join(statement.split())}")
    for line in plan:
        print(f"  | {line}")

    if failures:
        for failure in failures:
            print(f"\n!!! timer tick: WRONG RESULT: {failure}", flush=True)
        raise AssertionError("due_case_ids() did not find exactly the due cases: " + "; ".join(failures))
    print(f"  checked: every run found exactly the due cases ({len(due_ids):,} due of {waiting:,} waiting)")
    tick = lines[0][2]
    ok = pct(tick, 95) < TARGET_MS
    print(f"\ntimer tick: {'PASS' if ok else 'FAIL'}: finding the due cases takes {pct(tick, 50):.1f} ms p50, "
          f"{pct(tick, 95):.1f} ms p95 with {waiting:,} waiting cases ({total:,} in the table), target under "
          f"{TARGET_MS:.0f} ms; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    return ok
