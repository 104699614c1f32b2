"""The quarterly figures on a big database: "the quarterly figures over 1,000,000 cases on PostgreSQL in
under 5 s" (issue 6).

In a dedicated schema (`meldpunt_bench_reports`, dropped afterwards unless --figure-reuse) it migrates and
seeds like the other benchmarks, bulk-loads N cases spread over three years with the queue benchmark's
loader (groups, categories, channels, deadlines, ~85% closed), and adds what the reports count and the
loader does not write: cases of the other kinds (~10% become mails of the info mailbox, ~5% registered
letters, without category, channel mail/brief, on their own process definition), the 'in behandeling'
status event of every case that was taken in handling,
reopen events (~4% of closed cases), feedback answers (~25%, three quarters satisfied, a few without a
choice) and contractor orders (~12% of handled cases, most done). Then it times `reports.bundle.gather`
for the last complete quarter - every figure of the quarterly report for that quarter and the one
before, the weekly series and the lead time per group - three times, and prints the SQL time per
statement of the last run. The document itself (charts, python-docx) is timed once, for information.
"""
from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

import psycopg
from sqlalchemy import event, func, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case

from .bulk_load import bulk_load, describe, libpq_url
from .databases import drop_postgres_schema, redact, reused_or_fresh_schema
from .engine_rates import prepared_app

SCHEMA = "meldpunt_bench_reports"
TARGET_SECONDS = 5.0
RUNS = 3

EXTRA_SQL = {
    "mail and post cases": """
        UPDATE cases SET kind = k.kind, category_id = NULL, channel = k.channel,
               definition_id = coalesce((SELECT id FROM process_definitions d WHERE d.key = k.process
                                         ORDER BY d.version DESC LIMIT 1), cases.definition_id)
        FROM (SELECT id, CASE WHEN u < 0.10 THEN 'mail' ELSE 'post' END AS kind,
                     CASE WHEN u < 0.10 THEN 'mail' ELSE 'brief' END AS channel,
                     CASE WHEN u < 0.10 THEN 'infomail' ELSE 'post' END AS process
              FROM (SELECT id, random() AS u FROM cases) AS r WHERE u < 0.15) AS k
        WHERE cases.id = k.id""",
    "status events 'in behandeling'": """
        INSERT INTO case_events (case_id, at, kind, actor, public, status, text, data)
        SELECT w.case_id, w.completed_at, 'status', 'Behandelaar', true, 'in_behandeling', 'In behandeling',
               json_build_object('from', 'toegewezen', 'to', 'in_behandeling')
        FROM work_items w JOIN cases c ON c.id = w.case_id
        WHERE w.task_name = 'take_in_handling' AND w.status = 'completed' AND c.status = 'afgesloten'""",
    "reopen events": """
        INSERT INTO case_events (case_id, at, kind, actor, public, status, text)
        SELECT id, least(now(), closed_at + make_interval(secs => 86400 * (1 + 9 * random()))), 'reopened',
               'Behandelaar', true, 'in_behandeling', 'Heropend na negatieve feedback'
        FROM cases WHERE status = 'afgesloten' AND random() < 0.04""",
    "feedback answers": """
        INSERT INTO case_events (case_id, at, kind, actor, public, text, data)
        SELECT id, least(now(), closed_at + make_interval(secs => 86400 * 5 * u2)), 'feedback', 'melder', false, NULL,
               json_build_object('satisfied', CASE WHEN u3 < 0.05 THEN NULL ELSE u3 < 0.78 END,
                                 'answer', CASE WHEN u3 < 0.3 THEN 'Snel opgelost, bedankt' END)
        FROM (SELECT id, closed_at, random() AS u1, random() AS u2, random() AS u3 FROM cases
              WHERE status = 'afgesloten') AS c
        WHERE u1 < 0.25""",
    "contractor orders": """
        INSERT INTO contractor_orders (case_id, contractor_id, instructions, status, created_at, reported_at)
        SELECT c.id, (SELECT id FROM handler_groups WHERE kind = 'external' ORDER BY id LIMIT 1),
               'Herstellen volgens bestek', o.status, o.created_at,
               CASE WHEN o.status IN ('done', 'refused')
                    THEN least(now(), o.created_at + make_interval(secs => 3600 * (4 + 236 * random()))) END
        FROM cases c
        CROSS JOIN LATERAL (SELECT c.updated_at - make_interval(secs => 86400 * 3 * random()) AS created_at,
                                   CASE WHEN c.status = 'afgesloten' THEN
                                        CASE WHEN random() < 0.93 THEN 'done' ELSE 'refused' END
                                        ELSE CASE WHEN random() < 0.5 THEN 'open' ELSE 'planned' END END AS status
                            ) AS o
        WHERE c.status IN ('afgesloten', 'in_behandeling') AND random() < 0.12""",
}


def add_report_events(url: str, log: Callable[[str], None] = print) -> None:
    """The events and orders the figures count that the queue loader does not write; then ANALYZE."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '256MB'")
        for label, sql in EXTRA_SQL.items():
            start = time.perf_counter()
            cur.execute(sql)
            log(f"  {label}: {cur.rowcount:,} rows in {time.perf_counter() - start:.1f}s")
        start = time.perf_counter()
        for table in ("case_events", "contractor_orders", "cases"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
        log(f"  VACUUM (ANALYZE) in {time.perf_counter() - start:.1f}s")


def run_report_figures(base_url: str, configured: bool, cases: int, reuse: bool = False) -> bool:
    """The whole benchmark; prints everything and returns True when the figures took under 5 s."""
    print(f"\nquarterly figures: {cases:,} bulk-loaded cases in PostgreSQL schema {SCHEMA} ...", flush=True)
    url, present = reused_or_fresh_schema(base_url, SCHEMA, "quarterly figures", configured, reuse, "--figure-reuse")
    if url is None:
        return True
    try:
        with prepared_app(url) as app:
            if not present:
                print(f"bulk load ({redact(url)}):", flush=True)
                stats = bulk_load(url, cases)
                print(f"  loaded {describe(stats)}", flush=True)
                add_report_events(url)
            figures_ok = measure(app)
            return measure_dashboard(app) and figures_ok
    finally:
        if not reuse:
            drop_postgres_schema(base_url, SCHEMA)


def measure(app) -> bool:
    """Time gather() for the last complete quarter RUNS times; print the SQL per statement of the last run."""
    from reports.bundle import gather
    from reports.periods import local_today, quarter_of
    from reports.quarterly import build_document, quarter_titles

    quarter = quarter_of(local_today(utcnow())).previous()
    with app.app_context():
        total = db.session.scalar(select(func.count(Case.id)))
        in_quarter = db.session.scalar(select(func.count(Case.id)).where(Case.created_at >= quarter.period.start,
                                                                         Case.created_at < quarter.period.end))
    print(f"\ntiming reports.bundle.gather({quarter}) over {total:,} cases ({in_quarter:,} created in {quarter}), "
          f"{RUNS} runs, each in a fresh app context:", flush=True)
    seconds, statements = [], []
    for run in range(RUNS):
        statements = []
        with app.app_context():
            engine = db.engine
            started: list[float] = []

            def before(_conn, _cursor, statement, *_args, started=started) -> None:
                started.append(time.perf_counter())

            def after(_conn, _cursor, statement, *_args, started=started, seen=statements) -> None:
                seen.append((time.perf_counter() - started.pop(), " ".join(statement.split())))

            event.listen(engine, "before_cursor_execute", before)
            event.listen(engine, "after_cursor_execute", after)
            try:
                start = time.perf_counter()
                report = gather(quarter.period, quarter.previous().period)
                seconds.append(time.perf_counter() - start)
            finally:
                event.remove(engine, "before_cursor_execute", before)
                event.remove(engine, "after_cursor_execute", after)
                db.session.remove()
        print(f"  run {run + 1}: {seconds[-1]:.2f}s ({len(statements)} statements, "
              f"{sum(s for s, _ in statements):.2f}s in SQL); created {report.current.created:,}, "
              f"closed {report.current.closed:,}, on time {report.current.on_time_share}; per kind "
              f"{', '.join(f'{k.key} {k.count:,}' for k in report.current.by_kind)}", flush=True)
    print("\nSQL of the last run, slowest first:")
    for spent, statement in sorted(statements, reverse=True)[:12]:
        print(f"  {1000 * spent:8.1f} ms  {statement[:150]}")
    with app.app_context():
        start = time.perf_counter()
        document = build_document(report, quarter_titles(quarter))
        print(f"\ncharts and Word document (information): {time.perf_counter() - start:.2f}s, {len(document):,} bytes")
        db.session.remove()
    worst = max(seconds)
    ok = worst < TARGET_SECONDS
    print(f"\nquarterly figures: {'PASS' if ok else 'FAIL'}: {worst:.2f}s (slowest of {RUNS} runs; "
          f"{min(seconds):.2f}s fastest) for {total:,} cases, target under {TARGET_SECONDS:.0f} s", flush=True)
    return ok


DASHBOARD_TARGET_MS = 500.0
COLD_RUNS, WARM_RUNS = 3, 20
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def percentiles(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank: always one of the values, never beyond the largest)."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rapportage_client(app):
    """A test client logged in through the login form as the benchmarks' rapportage user (made once)."""
    from werkzeug.security import generate_password_hash

    from handlers.models import User

    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username == "bench-rapportage")) is None:
            db.session.add(User(username="bench-rapportage", display_name="Bench", role="rapportage",
                                email="bench-rapportage@stad.example",
                                password_hash=generate_password_hash("bench-password-123")))
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    with app.app_context():
        token = CSRF.search(client.get("/werk/aanmelden").get_data(as_text=True)).group(1)
        response = client.post("/werk/aanmelden", data={"username": "bench-rapportage",
                                                        "password": "bench-password-123", "csrf_token": token})
        assert response.status_code == 302, response.status_code
        db.session.remove()
    return client


def measure_dashboard(app) -> bool:
    """The dashboard page (/werk/rapporten) as a rapportage user sees it, through the app with its login: cold (the
    cache emptied before each view) and warm (reports/dashboard_cache.py), and what the cache's check costs."""
    from reports.dashboard_cache import WINDOW, _overdue_since, fingerprint
    from reports.models import ReportCacheEntry

    client = rapportage_client(app)

    def call(method, *args, **kwargs):
        with app.app_context():
            try:
                return method(*args, **kwargs)
            finally:
                db.session.remove()

    def empty_cache() -> None:
        with app.app_context():
            db.session.execute(ReportCacheEntry.__table__.delete())
            db.session.commit()
            db.session.remove()

    def view(url: str) -> float:
        start = time.perf_counter()
        response = call(client.get, url)
        assert response.status_code == 200, response.status_code
        return 1000 * (time.perf_counter() - start)

    print("\ndashboard (/werk/rapporten, logged in, through the app in-process; machine shared with other "
          "helpers' runs):", flush=True)
    ok = True
    for label, url in (("this quarter (the default view)", "/werk/rapporten"),
                       ("previous quarter", "/werk/rapporten?snel=vorig-kwartaal")):
        cold = []
        for _ in range(COLD_RUNS):
            empty_cache()
            cold.append(view(url))
        warm = [view(url) for _ in range(WARM_RUNS)]
        cold_p50, cold_p95 = percentiles(cold)
        warm_p50, warm_p95 = percentiles(warm)
        passed = warm_p95 < DASHBOARD_TARGET_MS
        ok = ok and passed
        print(f"  {label}: cold p50 {cold_p50:.0f} ms / max {max(cold):.0f} ms ({COLD_RUNS} views); warm p50 "
              f"{warm_p50:.0f} ms / p95 {warm_p95:.0f} ms ({WARM_RUNS} views): {'PASS' if passed else 'FAIL'}, "
              f"target p95 < {DASHBOARD_TARGET_MS:.0f} ms", flush=True)
    with app.app_context():
        since = utcnow() - WINDOW
        checks, deadlines = [], []
        for _ in range(WARM_RUNS):
            start = time.perf_counter()
            fingerprint(since)
            checks.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            now = utcnow()
            _overdue_since(None, now - timedelta(hours=1), now)
            deadlines.append(1000 * (time.perf_counter() - start))
        db.session.remove()
    print(f"  the cache's check per view: fingerprint p50 {percentiles(checks)[0]:.1f} ms / p95 "
          f"{percentiles(checks)[1]:.1f} ms; catching up the overdue count of a running period over an hour "
          f"(all groups) p50 {percentiles(deadlines)[0]:.1f} ms", flush=True)
    return ok
