"""`python -m benchmarks [--cases N] [--warmup N] [--no-postgres] [--postgres-url URL] [--profile]
[--serve-load [--serve-seconds S]] [--queues [--queue-cases N]] [--queues-only] [--timers [--timer-cases N]]
[--timers-only] [--location [--location-cases N]] [--location-only] [--http-load [--http-users N]
[--http-requests N] [--http-cases N] [--http-reuse]] [--http-load-only]`.

Measures in one run: bare SpiffWorkflow (no database), our engine on a fresh SQLite file, and our
engine on PostgreSQL in a dedicated schema when a server is reachable, each followed by sending the
mails its intake queued to a local SMTP server; prints rates, overhead ratios and PASS/FAIL against
the targets, and whether mail sending keeps up with intake. --serve-load then runs `meldpunt serve` (the
embedded mode) under API load and says whether its own sender keeps up (benchmarks/serve_load.py). With
--queues it then times the queue pages on N bulk-loaded cases in PostgreSQL (benchmarks/queues.py);
--queues-only runs just that. --timers times how the
scheduler tick finds due timers among N waiting cases (benchmarks/timers.py). --location times the nearby
query and the map view's first page on N cases spread over the city (benchmarks/nearby.py). --http-load runs gunicorn
and a worker on N bulk-loaded cases and measures staff, citizens and API clients over HTTP (benchmarks/http_load.py).
The exit code is 0 even
when a target fails: this reports.
"""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
from pathlib import Path
from typing import Optional

from .bare import run_bare
from .databases import drop_postgres_schema, postgres_base_url, redact, reset_postgres_schema, sqlite_url
from .engine_rates import run_engine
from .queues import run_queues
from .results import best_of, judge, peak_rss_mb, print_table, repetition_lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="timed cases per phase (default 1000)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed warm-up cases (default 50)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of the engine parts; the best of each side is judged (default 3)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL part")
    parser.add_argument("--postgres-url", help="PostgreSQL server (default: MELDPUNT_BENCH_POSTGRES_URL, "
                        "MELDPUNT_TEST_POSTGRES_URL, else postgres@127.0.0.1:5432/test)")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile the engine phases with cProfile (separate, untimed pass)")
    parser.add_argument("--profile-backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--queues", action="store_true",
                        help="afterwards, time the queue pages on bulk-loaded cases in PostgreSQL")
    parser.add_argument("--queue-cases", type=int, default=1_000_000,
                        help="cases to bulk-load for --queues (default 1000000)")
    parser.add_argument("--queue-reuse", action="store_true",
                        help="--queues: reuse the cases loaded by an earlier --queue-reuse run, and keep them")
    parser.add_argument("--queues-only", action="store_true",
                        help="only the queue benchmark: skip the engine parts (implies --queues)")
    parser.add_argument("--figures", action="store_true",
                        help="afterwards, time the quarterly report figures on bulk-loaded cases in PostgreSQL")
    parser.add_argument("--figures-only", action="store_true",
                        help="only the report figures benchmark (implies --figures; combine with --queues-only)")
    parser.add_argument("--figure-cases", type=int, default=1_000_000,
                        help="cases to bulk-load for --figures (default 1000000)")
    parser.add_argument("--figure-reuse", action="store_true",
                        help="--figures: reuse the cases loaded by an earlier --figure-reuse run, and keep them")
    parser.add_argument("--timers", action="store_true",
                        help="afterwards, time how the timer tick finds the due cases among bulk-loaded waiting cases")
    parser.add_argument("--timers-only", action="store_true",
                        help="only the timer tick benchmark (implies --timers; combine with the other -only flags)")
    parser.add_argument("--serve-load", action="store_true",
                        help="afterwards, run `meldpunt serve` on SQLite under API load: does its mail keep up?")
    parser.add_argument("--serve-seconds", type=float, default=20.0, help="length of the --serve-load run (default 20)")
    parser.add_argument("--timer-cases", type=int, default=100_000,
                        help="waiting cases (with a timer) for --timers (default 100000)")
    parser.add_argument("--location", action="store_true",
                        help="afterwards, time the nearby query and the queue map's first page on bulk-loaded cases "
                             "spread over the city in PostgreSQL")
    parser.add_argument("--location-only", action="store_true",
                        help="only the location benchmark (implies --location; combine with the other -only flags)")
    parser.add_argument("--location-cases", type=int, default=1_000_000,
                        help="cases to bulk-load for --location (default 1000000)")
    parser.add_argument("--http-load", action="store_true",
                        help="afterwards, run gunicorn and a worker on bulk-loaded cases in PostgreSQL under HTTP load")
    parser.add_argument("--http-load-only", action="store_true",
                        help="only the HTTP load benchmark (implies --http-load; combine with the other -only flags)")
    parser.add_argument("--http-cases", type=int, default=1_000_000,
                        help="cases to bulk-load for --http-load (default 1000000)")
    parser.add_argument("--http-users", type=int, default=6,
                        help="staff members without think time in the saturation phase (default 6)")
    parser.add_argument("--http-requests", type=int, default=3000,
                        help="staff requests in the saturation phase (default 3000; the think-time phase sends "
                             "a third of it, at least 300)")
    parser.add_argument("--http-reuse", action="store_true",
                        help="--http-load: reuse the database loaded by an earlier --http-reuse run, and keep it")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.warmup < 0:
        parser.error("--cases must be at least 1 and --warmup at least 0")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.http_cases < 1 or args.http_users < 1 or args.http_requests < 1:
        parser.error("--http-cases, --http-users and --http-requests must be at least 1")
    if args.queue_cases < 1 or args.figure_cases < 1 or args.timer_cases < 1 or args.location_cases < 1:
        parser.error("--queue-cases, --figure-cases, --timer-cases and --location-cases must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every part asked for and print the results; always returns 0."""
    args = parse_args(argv)
    if not (args.queues_only or args.figures_only or args.timers_only or args.location_only or args.http_load_only):
        run_engine_parts(args)
    if args.serve_load:
        from .serve_load import run_serve_load

        run_serve_load(args.serve_seconds)
    if args.queues or args.queues_only:
        if args.no_postgres:
            print("\nqueue pages: SKIPPED, --no-postgres given (the queue benchmark needs PostgreSQL)", flush=True)
        else:
            base, configured = postgres_base_url(args.postgres_url)
            run_queues(base, configured, args.queue_cases, reuse=args.queue_reuse)
    if args.figures or args.figures_only:
        if args.no_postgres:
            print("\nquarterly figures: SKIPPED, --no-postgres given (the benchmark needs PostgreSQL)", flush=True)
        else:
            from .report_figures import run_report_figures

            base, configured = postgres_base_url(args.postgres_url)
            run_report_figures(base, configured, args.figure_cases, reuse=args.figure_reuse)
    if args.timers or args.timers_only:
        if args.no_postgres:
            print("\ntimer tick: SKIPPED, --no-postgres given (the benchmark needs PostgreSQL)", flush=True)
        else:
            from .timers import run_timers

            base, configured = postgres_base_url(args.postgres_url)
            run_timers(base, configured, args.timer_cases)
    if args.location or args.location_only:
        if args.no_postgres:
            print("\nlocation: SKIPPED, --no-postgres given (the benchmark needs PostgreSQL)", flush=True)
        else:
            from .nearby import run_nearby

            base, configured = postgres_base_url(args.postgres_url)
            run_nearby(base, configured, args.location_cases)
    if args.http_load or args.http_load_only:
        if args.no_postgres:
            print("\nHTTP load: SKIPPED, --no-postgres given (the benchmark needs PostgreSQL)", flush=True)
        else:
            from .http_load import run_http_load

            base, configured = postgres_base_url(args.postgres_url)
            run_http_load(base, configured, args.http_cases, args.http_users, args.http_requests,
                          max(300, args.http_requests // 3), reuse=args.http_reuse)
    return 0


def run_engine_once(args: argparse.Namespace, rss: dict[str, float]) -> tuple[list, Optional[str], Optional[str]]:
    """One repetition: bare, then SQLite, then PostgreSQL (fresh databases); returns results, skip reason, URL."""
    results = []
    print(f"bare SpiffWorkflow, stored by reference: {args.cases} cases (+{args.warmup} warm-up) ...", flush=True)
    results += run_bare(args.cases, args.warmup, by_reference=True)
    gc.collect()
    print(f"bare SpiffWorkflow, spec embedded: {args.cases} cases (+{args.warmup} warm-up) ...", flush=True)
    results += run_bare(args.cases, args.warmup)
    rss.setdefault("bare", peak_rss_mb())  # peak RSS only grows: the first repetition tells the story
    gc.collect()

    with tempfile.TemporaryDirectory(prefix="meldpunt-bench-") as tmp:
        print(f"engine on SQLite ({Path(tmp) / 'bench.sqlite'}) ...", flush=True)
        results += run_engine(sqlite_url(Path(tmp)), "sqlite", args.cases, args.warmup, mail=True, floor=True)
    rss.setdefault("sqlite", peak_rss_mb())
    gc.collect()

    skipped, pg_url = None, None
    if args.no_postgres:
        skipped = "--no-postgres given"
    else:
        base, configured = postgres_base_url(args.postgres_url)
        pg_url, why = reset_postgres_schema(base)
        if pg_url is None:
            skipped = f"PostgreSQL not reachable at {redact(base)}: {why}"
            if configured:
                skipped += " (the URL was configured explicitly!)"
            print(f"postgresql: SKIPPED, {skipped}", flush=True)
        else:
            print(f"engine on PostgreSQL ({redact(pg_url)}) ...", flush=True)
            try:
                results += run_engine(pg_url, "postgresql", args.cases, args.warmup, mail=True, floor=True)
                rss.setdefault("postgresql", peak_rss_mb())
            finally:
                drop_postgres_schema(base)
    return results, skipped, pg_url


def run_engine_parts(args: argparse.Namespace) -> int:
    """Run the engine parts `--repeat` times, print the best of each and the summary line; always returns 0."""
    rss: dict[str, float] = {}
    load_at_start = os.getloadavg()[0]
    repetitions = []
    for number in range(1, args.repeat + 1):
        print(f"-- repetition {number} of {args.repeat}", flush=True)
        results, skipped, pg_url = run_engine_once(args, rss)
        repetitions.append(results)
    print_table(best_of(repetitions), judge(best_of(repetitions)), rss, skipped,
                (load_at_start, os.getloadavg()[0]), repetition_lines(repetitions))

    if args.profile:
        profile_cases = min(args.cases, 500)
        if args.profile_backend == "postgresql":
            if pg_url is None:
                print("\nprofile: PostgreSQL not available, nothing profiled")
                return 0
            base, _ = postgres_base_url(args.postgres_url)
            pg_url, _ = reset_postgres_schema(base)
        from .profiling import profile_engine

        try:
            profile_engine(pg_url if args.profile_backend == "postgresql" else None, args.profile_backend,
                           profile_cases, args.warmup)
        finally:
            if args.profile_backend == "postgresql":
                drop_postgres_schema(postgres_base_url(args.postgres_url)[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
