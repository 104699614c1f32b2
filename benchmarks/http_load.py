"""HTTP load on the production shape: gunicorn (3 sync workers) and a `meldpunt worker` on PostgreSQL with
1,000,000 bulk-loaded cases (issue #17, item 3).

The benchmark makes a PostgreSQL database of its own (`meldpunt_bench_http`, or the name in
$MELDPUNT_BENCH_HTTP_DATABASE), migrates and seeds it, adds staff with passwords and an API token, bulk-loads
the cases (benchmarks/bulk_load.py, meldingen with 10% mail and 3% post cases), starts gunicorn and the worker
(its mail goes to a local SMTP sink) and then runs two closed loops, each for a fixed number of requests, with
plain HTTP (http.client: one connection per request, as gunicorn's sync workers close them):

1. saturation: `--http-users` staff members without think time, the mix without the dashboard: their queue's
   page 1 and page 2, a case from it, a `?q=` search, and (meldkamer staff) completing a triage task with the
   case page's form on a melding that came in during the run;
2. 30 staff members with 2 s think time doing the same and now and then the dashboard, beside citizens
   sending the public form and opening their tracking page, and API clients creating meldingen at 20/s.

Printed per kind of request: count, errors, p50/p95/p99 and the throughput, against the issue's targets (mix
without the dashboard >= 100 req/s at saturation; with think time every staff page p95 < 150 ms, the
dashboard p95 < 500 ms, API create p95 < 100 ms at 20 creations/s; zero errors). Staff log in through the
login form with its CSRF token. The database is dropped afterwards unless --http-reuse kept it.
"""
from __future__ import annotations

import html
import http.client
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Optional
from urllib.parse import quote_plus, urlencode, urlsplit

import psycopg
from sqlalchemy.engine import make_url

from . import cpu_share
from .bulk_load import describe, libpq_url
from .databases import loaded_cases, redact

ROOT = Path(__file__).resolve().parents[1]
HTTP_DATABASE = "meldpunt_bench_http"
DATABASE_ENV = "MELDPUNT_BENCH_HTTP_DATABASE"  # another name for it, so that two people can run it on one server
PASSWORD = "bench-http-wachtwoord"
BIG_GROUP = "openbare-netheid"
WORKERS = 3
STAFF_PAGE_P95_MS = 150.0
DASHBOARD_P95_MS = 500.0
API_CREATE_P95_MS = 100.0
API_RATE = 20.0  # creations per second in the think-time phase
SATURATION_RPS = 100.0
THINK_SECONDS = 2.0
THINK_USERS = 30
DASHBOARD_EVERY = 4  # a staff member opens the dashboard once in this many rounds (think-time phase)
TRIAGE_PAGE = "case page (to triage)"  # the case page a meldkamer member opens to send its triage form
STAFF_KINDS = ("queue page 1", "queue page 2", "case page", "search ?q=", TRIAGE_PAGE, "complete task (POST)")
SEARCHES = ["glasbol", "Goossens", "reunie", "Bruul 12", "matra", "straatlamp", "notaris", "Lotte Peeters",
            "cafe Veemarkt", "afvalopha"]
API_BODY = ('{"description": "Straatlamp brandt niet meer sinds gisteren", "category": "straatlamp-defect", '
            '"channel": "telefoon", "location": {"address": "Bruul 12, 2800 Mechelen"}, '
            '"reporter": {"email": "els@voorbeeld.example"}}')
CITIZEN_FORM = {"categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen",
                "description": "De straatlamp aan paal 12 brandt al een week niet.", "name": "Els Peeters",
                "email": "els@voorbeeld.example", "phone": ""}

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEXT_CURSOR = re.compile(r"[?&;]na=(\d+)")
ROW_REFERENCE = re.compile(r'<tr data-reference="([^"]+)"')
FORM = re.compile(r'<form\b[^>]*\baction="([^"]*/taak/\d+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input\b[^>]*type="hidden"[^>]*>')
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
TRACKING = re.compile(r"/melden/ontvangen/([A-Za-z0-9_-]{22,})")


# -- pure helpers (tests/test_bench_http_load.py) ------------------------------------------------------------

def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of `samples` (0 when there are none)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100.0 * len(ordered)) - 1)]


def csrf_token(page: str) -> Optional[str]:
    """The CSRF token of the first form on the page."""
    match = CSRF.search(page)
    return html.unescape(match.group(1)) if match else None


def next_cursor(page: str) -> Optional[str]:
    """The `na` cursor of the queue page's "next" link (None on the last page)."""
    match = NEXT_CURSOR.search(page.replace("&amp;", "&"))
    return match.group(1) if match else None


def references(page: str) -> list[str]:
    """The case references listed on a queue page, in order."""
    return ROW_REFERENCE.findall(page)


def task_form(page: str, form_key_hint: str = "") -> Optional[tuple[str, dict[str, str]]]:
    """The first task form on a case page whose body mentions `form_key_hint`: (action, its hidden fields)."""
    for action, body in FORM.findall(page):
        if form_key_hint and form_key_hint not in body:
            continue
        hidden = {}
        for tag in HIDDEN.findall(body):
            attrs = dict(ATTR.findall(tag))
            if "name" in attrs:
                hidden[attrs["name"]] = html.unescape(attrs.get("value", ""))
        return html.unescape(action), hidden
    return None


@dataclass
class Sample:
    """One request: its kind, milliseconds, and whether it went as expected."""

    kind: str
    ms: float
    ok: bool


@dataclass
class Row:
    """One line of the printed table."""

    kind: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    per_second: float
    target_ms: Optional[float] = None

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return "info"
        passed = self.p95 < self.target_ms and not self.errors
        return ("PASS" if passed else "FAIL") + f" (p95 < {self.target_ms:.0f} ms)"


def summarise(samples: list[Sample], seconds: float, targets: dict[str, float]) -> list[Row]:
    """A row per kind of request (in order of first appearance) and one for all of them together."""
    kinds: dict[str, list[Sample]] = {}
    for sample in samples:
        kinds.setdefault(sample.kind, []).append(sample)
    rows = []
    for kind, group in [*kinds.items(), ("all", samples)]:
        ms = [s.ms for s in group]
        rows.append(Row(kind, len(group), sum(not s.ok for s in group), percentile(ms, 50), percentile(ms, 95),
                        percentile(ms, 99), len(group) / seconds if seconds > 0 else 0.0, targets.get(kind)))
    return rows


def format_table(title: str, rows: list[Row]) -> str:
    """The printed table of one phase."""
    lines = [title, f"  {'request':<24} {'n':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}"
                    f"  verdict"]
    for r in rows:
        lines.append(f"  {r.kind:<24} {r.count:>6} {r.errors:>6} {r.p50:8.1f} {r.p95:8.1f} {r.p99:8.1f} "
                     f"{r.per_second:7.1f}  {r.verdict}")
    return "\n".join(lines)


# -- HTTP --------------------------------------------------------------------------------------------------

class Client:
    """One browser: its cookies, one connection per request (gunicorn's sync workers close after each)."""

    def __init__(self, port: int, record: Callable[[Sample], None]) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.record = record

    def request(self, kind: Optional[str], method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[dict[str, str]] = None, expect: tuple[int, ...] = (200,)) -> tuple[int, str, dict]:
        """Send one request; record it under `kind` (None: not recorded); (status, text, headers)."""
        sent = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        status, text, got = 0, "", {}
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                status = response.status
                got = {k.lower(): v for k, v in response.getheaders()}
                for value in response.headers.get_all("Set-Cookie") or []:
                    cookie = SimpleCookie()
                    cookie.load(value)
                    for name, morsel in cookie.items():
                        self.cookies[name] = morsel.value
            finally:
                conn.close()
        except OSError as err:
            text = f"{type(err).__name__}: {err}"
        ms = 1000.0 * (time.perf_counter() - start)
        if kind is not None:
            self.record(Sample(kind, ms, status in expect))
        return status, text, got

    def get(self, kind: Optional[str], path: str, expect: tuple[int, ...] = (200,)) -> tuple[int, str, dict]:
        return self.request(kind, "GET", path, expect=expect)

    def post_form(self, kind: Optional[str], path: str, fields: dict[str, str],
                  expect: tuple[int, ...] = (302, 303)) -> tuple[int, str, dict]:
        body = urlencode(fields).encode()
        return self.request(kind, "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}, expect)

    def login(self, username: str, password: str) -> None:
        status, page, _ = self.get(None, "/werk/aanmelden")
        token = csrf_token(page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page: HTTP {status}, CSRF token {'found' if token else 'missing'}")
        status, _, headers = self.post_form(None, "/werk/aanmelden", {"username": username, "password": password,
                                                                       "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"login of {username}: HTTP {status}")


# -- the virtual users ---------------------------------------------------------------------------------------

@dataclass
class Shared:
    """What the virtual users share: the samples, fresh meldingen to triage, and the stop signal."""

    samples: list[Sample] = field(default_factory=list)
    fresh: deque = field(default_factory=deque)  # references of meldingen created during the run (triage them)
    lock: threading.Lock = field(default_factory=threading.Lock)
    budget: int = 0  # staff requests still to send in this phase
    stop: threading.Event = field(default_factory=threading.Event)
    failures: list[str] = field(default_factory=list)
    # every staff member logs in first, then all start at once: the logins' password hashing (tens of
    # milliseconds of CPU each, 30 at a time) is not what the phase times
    logged_in: Optional[threading.Barrier] = None

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)
            if not sample.ok and len(self.failures) < 10:
                self.failures.append(f"{sample.kind} after {sample.ms:.0f} ms")

    def take(self, count: int = 1) -> bool:
        """`count` staff requests from the budget (False: the phase is over)."""
        with self.lock:
            if self.budget < count:
                self.stop.set()
                return False
            self.budget -= count
            return True


def staff_user(port: int, username: str, queue: str, shared: Shared, think: float, dashboard_every: int,
               seed: int) -> None:
    """Log in, then rounds of: queue page 1, page 2, a case, a search, and for the meldkamer a triage and now and
    then the dashboard (the role that may see the figures of all groups)."""
    rng = random.Random(seed)
    client = Client(port, shared.record)
    try:
        client.login(username, PASSWORD)
    finally:
        if shared.logged_in is not None:
            shared.logged_in.wait()
    desk = queue == "/werk/meldkamer"
    rounds = 0

    def pause() -> None:
        if think:
            shared.stop.wait(rng.uniform(0.5 * think, 1.5 * think))

    if think:  # people do not all click at the same moment: each starts within one think time, not in a burst
        shared.stop.wait(rng.uniform(0.0, think))

    while not shared.stop.is_set():
        rounds += 1
        if not shared.take():
            return
        _, page, _ = client.get("queue page 1", queue)
        pause()
        cursor = next_cursor(page)
        if cursor and shared.take():
            client.get("queue page 2", f"{queue}?na={cursor}")
            pause()
        listed = references(page)
        if listed and shared.take():
            client.get("case page", f"/werk/dossier/{rng.choice(listed)}")
            pause()
        if shared.take():
            client.get("search ?q=", f"{queue}?q={quote_plus(rng.choice(SEARCHES))}")
            pause()
        if desk and shared.fresh and shared.take(2):  # the case page, then its triage form
            complete_triage(client, shared)
            pause()
        # behandelaars may not see reports; staggered over the first rounds (not all desk staff in round 1), so a
        # short run still opens it
        if desk and dashboard_every and rounds % dashboard_every == (seed + 1) % dashboard_every:
            client.get("dashboard", "/werk/rapporten")
            pause()


def warm_dashboard(port: int, username: str) -> float:
    """Open the dashboard once as `username` (a meldkamer member), not timed as a sample; its seconds."""
    client = Client(port, lambda sample: None)
    client.login(username, PASSWORD)
    start = time.perf_counter()
    status, _, _ = client.get(None, "/werk/rapporten")
    if status != 200:
        raise RuntimeError(f"dashboard warm-up: HTTP {status}")
    return time.perf_counter() - start


def complete_triage(client: Client, shared: Shared) -> None:
    """Open a fresh melding's case page and send its triage form: dispatch to the big group. Both are requests of
    the phase, timed and counted (until 2026-12-07 the page was neither, while its CPU was in the phase's)."""
    try:
        reference = shared.fresh.popleft()
    except IndexError:
        return
    status, page, _ = client.get(TRIAGE_PAGE, f"/werk/dossier/{reference}")
    form = task_form(page, "decision") if status == 200 else None
    if form is None:
        client.record(Sample("complete task (POST)", 0.0, False))
        return
    action, hidden = form
    client.post_form("complete task (POST)", action,
                     {**hidden, "decision": "dispatch", "group": BIG_GROUP, "note": "Benchmark"})


def api_creator(port: int, token: str, shared: Shared, rate: float, count: int) -> None:
    """Create `count` meldingen over the API at `rate` per second (paced, not closed-loop), in a few threads."""
    interval = 1.0 / rate
    start = time.perf_counter()
    slots = iter(range(count))
    slot_lock = threading.Lock()

    def one() -> None:
        client = Client(port, shared.record)
        while True:
            with slot_lock:
                n = next(slots, None)
            if n is None:
                return
            delay = start + n * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, text, _ = client.request("API create", "POST", "/api/v1/meldingen", API_BODY.encode(), {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"}, expect=(201,))
            match = re.search(r'"reference":\s*"([^"]+)"', text)
            if status == 201 and match:
                shared.fresh.append(match.group(1))

    threads = [threading.Thread(target=one, daemon=True) for _ in range(16)]  # enough to keep the pace
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def citizen(port: int, shared: Shared, think: float, seed: int) -> None:
    """Send the public form and open the tracking page, with think time, until the staff are done."""
    rng = random.Random(seed)
    while not shared.stop.is_set():
        client = Client(port, shared.record)  # a new visitor each time
        status, page, headers = client.get("citizen form (GET)", "/melden?categorie=straatlamp-defect",
                                           expect=(302, 303))
        if status in (302, 303):  # to the form's URL with its one-time token
            location = urlsplit(headers.get("location", ""))
            status, page, _ = client.get("citizen form (GET)", f"{location.path}?{location.query}")
        token = csrf_token(page)
        form_token = re.search(r'name="form_token"[^>]*value="([^"]*)"', page)
        shared.stop.wait(rng.uniform(0.5 * think, 1.5 * think))
        if token is None:
            continue
        fields = {**CITIZEN_FORM, "csrf_token": token, "form_token": html.unescape(form_token.group(1)) if form_token
                  else ""}
        status, _, headers = client.post_form("citizen form (POST)", "/melden", fields, expect=(303,))
        tracking = TRACKING.search(headers.get("location", ""))
        if tracking:
            shared.stop.wait(rng.uniform(0.5 * think, 1.5 * think))
            client.get("tracking page", f"/volg/{tracking.group(1)}")
        shared.stop.wait(rng.uniform(0.5 * think, 1.5 * think))


def run_phase(port: int, users: list[tuple[str, str]], requests: int, think: float, dashboard_every: int,
              api: Optional[tuple[str, float]] = None, citizens: int = 0,
              fresh: Optional[deque] = None,
              at_start: Optional[Callable[[], None]] = None) -> tuple[list[Sample], float, list[str]]:
    """One closed loop until `requests` staff requests were sent; (samples, seconds, first failures).
    `at_start` is called once the staff are logged in, as the clock starts."""
    shared = Shared(budget=requests, logged_in=threading.Barrier(len(users) + 1))
    if fresh is not None:
        shared.fresh = fresh
    staff = [threading.Thread(target=staff_user, args=(port, name, queue, shared, think, dashboard_every, n),
                              daemon=True) for n, (name, queue) in enumerate(users)]
    for thread in staff:
        thread.start()
    shared.logged_in.wait()  # the staff are logged in (not timed); from here on, everything is
    if at_start is not None:
        at_start()
    threads = staff + [threading.Thread(target=citizen, args=(port, shared, think, 1000 + n), daemon=True)
                       for n in range(citizens)]
    start = time.perf_counter()
    api_thread = None
    for thread in threads[len(staff):]:
        thread.start()
    if api is not None:
        token, rate = api
        # as many creations as the staff phase will roughly last (requests over users, with think time)
        expected = requests / max(len(users), 1) * (think + 0.05)
        api_thread = threading.Thread(target=api_creator, args=(port, token, shared, rate, int(expected * rate)),
                                      daemon=True)
        api_thread.start()
    for thread in threads:
        thread.join()
    if api_thread is not None:
        api_thread.join()
    return shared.samples, time.perf_counter() - start, shared.failures


# -- set-up ------------------------------------------------------------------------------------------------

def database_url(base_url: str, name: str) -> str:
    """The SQLAlchemy URL of database `name` on the server of `base_url` (options such as search_path dropped)."""
    url = make_url(base_url).set(database=name)
    return url.set(query={k: v for k, v in url.query.items() if k != "options"}).render_as_string(hide_password=False)


def http_database(environ: Optional[dict] = None) -> str:
    """The benchmark's database name: $MELDPUNT_BENCH_HTTP_DATABASE when set, else HTTP_DATABASE."""
    name = (os.environ if environ is None else environ).get(DATABASE_ENV, "").strip()
    if name and not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"{DATABASE_ENV}={name!r}: lower-case letters, digits and _ only")
    return name or HTTP_DATABASE


def recreate_database(base_url: str, name: str) -> None:
    with psycopg.connect(libpq_url(base_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# docs/production.md, "PostgreSQL settings", for a 2-core machine: the ones a database can carry (shared_buffers
# and the autovacuum settings need the server's configuration, which the benchmark leaves as it finds it)
DATABASE_SETTINGS = {"max_parallel_workers_per_gather": "0", "random_page_cost": "1.1", "jit": "off",
                     "work_mem": "16MB", "effective_cache_size": "4GB"}


def apply_database_settings(base_url: str, name: str) -> str:
    """Set DATABASE_SETTINGS on the benchmark's database (new connections get them); returns them as one line."""
    with psycopg.connect(libpq_url(base_url), autocommit=True, connect_timeout=5) as conn:
        for key, value in DATABASE_SETTINGS.items():
            conn.execute(f"ALTER DATABASE \"{name}\" SET {key} = '{value}'")
    return ", ".join(f"{key} = {value}" for key, value in DATABASE_SETTINGS.items())


def drop_database(base_url: str, name: str) -> None:
    try:
        with psycopg.connect(libpq_url(base_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as err:
        print(f"note: could not drop the benchmark database {name}: {err}")


def staff_names(count: int) -> list[tuple[str, str, str, str]]:
    """(username, display name, role, group key) of the staff who log in: a third meldkamer, the rest in the big
    group; the API user is separate."""
    names = []
    for n in range(1, count + 1):
        if n % 3 == 1:
            names.append((f"http.meldkamer.{n}", f"Meldkamer {n}", "meldkamer", "meldkamer"))
        else:
            names.append((f"http.netheid.{n}", f"Netheid {n}", "behandelaar", BIG_GROUP))
    return names


def prepare(url: str, cases: int, staff: int) -> str:
    """Migrate, seed, add staff and an API user, bulk-load; returns the API token (a new one on every run)."""
    from sqlalchemy import select

    from engine.db import db
    from handlers.groups import group_by_key
    from handlers.models import User
    from web.auth import set_password

    from .bulk_load import bulk_load
    from .engine_rates import prepared_app
    from .queues import MAIL_SHARE, POST_SHARE, create_staff

    with prepared_app(url) as app, app.app_context():
        if db.session.scalar(select(User.id).where(User.username == "bench.meldkamer")) is None:
            create_staff()
        for username, name, role, group_key in staff_names(staff):
            if db.session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            user = User(username=username, display_name=name, role=role, email=f"{username}@bench.example")
            set_password(user, PASSWORD)
            group = group_by_key(group_key)
            user.groups.append(group)
            db.session.add(user)
        api = db.session.scalar(select(User).where(User.username == "http.api"))
        if api is None:
            api = User(username="http.api", display_name="API-koppeling", role="meldkamer", email="api@bench.example")
            db.session.add(api)
        token = api.issue_api_token()
        db.session.commit()
        if loaded_cases(url) < cases:
            print(f"bulk load ({redact(url)}):", flush=True)
            stats = bulk_load(url, cases, mail_share=MAIL_SHARE, post_share=POST_SHARE)
            print(f"  loaded {describe(stats)}", flush=True)
    return token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn ended at start-up (see its log)")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start listening")


@contextmanager
def production_shape(url: str, smtp_port: int, directory: Path) -> Iterator[tuple[int, int, int]]:
    """gunicorn with WORKERS sync workers and one `meldpunt worker` on `url`; yields the HTTP port and the
    process ids of gunicorn's master and of the worker."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": url,
           "MELDPUNT_STORAGE_PATH": str(directory / "files"), "MELDPUNT_SECRET_KEY": "bench-http-" + "x" * 24,
           "MELDPUNT_BASE_URL": "http://127.0.0.1", "MELDPUNT_SMTP_HOST": "127.0.0.1",
           "MELDPUNT_SMTP_PORT": str(smtp_port), "MELDPUNT_REPORT_RATE": "1000000/60",
           "MELDPUNT_LOG_LEVEL": "WARNING"}
    port = _free_port()
    bindir = Path(sys.executable).parent
    with (directory / "gunicorn.log").open("wb") as web_log, (directory / "worker.log").open("wb") as worker_log:
        web = subprocess.Popen([str(bindir / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
                                "--timeout", "120", "web.wsgi:app"], cwd=ROOT, env=env, stdout=web_log,
                               stderr=subprocess.STDOUT)
        worker = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "worker"], cwd=ROOT,
                                  env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, web)
        yield port, web.pid, worker.pid
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def run_http_load(base_url: str, configured: bool, cases: int, users: int = 6, requests: int = 3000,
                  think_requests: int = 900, reuse: bool = False) -> None:
    """The whole benchmark; prints the tables."""
    from .mail_rates import smtp_sink

    database = http_database()
    url = database_url(base_url, database)
    print(f"\nHTTP load: gunicorn ({WORKERS} sync workers) + meldpunt worker on PostgreSQL database {database} "
          f"with {cases:,} bulk-loaded cases ...", flush=True)
    try:
        if not (reuse and loaded_cases(url) >= cases):
            recreate_database(base_url, database)
    except psycopg.Error as err:
        note = " (the URL was configured explicitly!)" if configured else ""
        print(f"HTTP load: SKIPPED, PostgreSQL not reachable at {redact(base_url)}: {err}{note}", flush=True)
        return
    try:
        token = prepare(url, cases, max(users, THINK_USERS))
        settings = apply_database_settings(base_url, database)
        print(f"  database settings (docs/production.md for 2 cores): {settings}", flush=True)
        staff = staff_names(max(users, THINK_USERS))
        queues = [(name, "/werk/meldkamer" if group == "meldkamer" else f"/werk/wachtrij/{group}")
                  for name, _, _, group in staff]
        with tempfile.TemporaryDirectory(prefix="meldpunt-http-") as tmp, smtp_sink() as smtp_port, \
                production_shape(url, smtp_port, Path(tmp)) as (port, web_pid, worker_pid):
            fresh: deque = deque()
            # meldingen to triage in the saturation phase, made before it (not timed there)
            warm = Shared()
            api_creator(port, token, warm, 50.0, max(50, requests // 10))
            fresh.extend(warm.fresh)
            load_before = os.getloadavg()[0]
            print(f"  warm-up: {len(fresh)} meldingen created over the API to triage; load average {load_before:.2f}",
                  flush=True)
            before: list[cpu_share.Snapshot] = []

            def cpu_at_start() -> None:
                before.append(cpu_share.snapshot(web_pid, worker_pid, libpq_url(url), database))
            samples, seconds, failures = run_phase(port, queues[:users], requests, 0.0, 0, fresh=fresh,
                                                   at_start=cpu_at_start)
            costs = cpu_share.per_request(before[0], cpu_share.snapshot(web_pid, worker_pid, libpq_url(url),
                                                                     database), len(samples))
            rows = summarise(samples, seconds, {})
            total = rows[-1]
            print(format_table(f"\nsaturation: {users} staff members, no think time, {len(samples)} requests in "
                               f"{seconds:.1f} s (load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} "
                               f"after, {os.cpu_count()} CPUs)", rows), flush=True)
            verdict = "PASS" if total.per_second >= SATURATION_RPS and not total.errors else "FAIL"
            print(f"  {verdict}: {total.per_second:.1f} requests/s for the mix without the dashboard (target >= "
                  f"{SATURATION_RPS:.0f}), {total.errors} errors"
                  f"{'; first: ' + ', '.join(failures) if failures else ''}",
                  flush=True)
            print(cpu_share.describe(costs, os.cpu_count() or 1), flush=True)

            seconds = warm_dashboard(port, staff[0][0])
            print(f"  dashboard opened once before the phase (not timed: {seconds:.1f} s; a city's dashboard was "
                  f"seen before, and from then on the worker's dashboard_refresh job keeps it current)", flush=True)
            load_before = os.getloadavg()[0]
            samples, seconds, failures = run_phase(port, queues[:THINK_USERS], think_requests, THINK_SECONDS,
                                                   DASHBOARD_EVERY, api=(token, API_RATE), citizens=2, fresh=fresh)
            targets = {kind: STAFF_PAGE_P95_MS for kind in STAFF_KINDS}
            targets.update({"dashboard": DASHBOARD_P95_MS, "API create": API_CREATE_P95_MS})
            rows = summarise(samples, seconds, targets)
            api_row = next((r for r in rows if r.kind == "API create"), None)
            print(format_table(f"\n{THINK_USERS} staff members with {THINK_SECONDS:g} s think time, 2 citizens, API "
                               f"creations paced at {API_RATE:g}/s: {len(samples)} requests in {seconds:.1f} s (load "
                               f"average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after)", rows), flush=True)
            judged = [r for r in rows if r.target_ms is not None]
            errors = rows[-1].errors
            ok = all(r.verdict.startswith("PASS") for r in judged) and not errors
            print(f"  {'PASS' if ok else 'FAIL'}: staff pages p95 < {STAFF_PAGE_P95_MS:.0f} ms, dashboard < "
                  f"{DASHBOARD_P95_MS:.0f} ms, API create < {API_CREATE_P95_MS:.0f} ms at "
                  f"{api_row.per_second if api_row else 0:.1f} creations/s (target {API_RATE:g}/s); {errors} errors"
                  f"{'; first: ' + ', '.join(failures) if failures else ''}", flush=True)
    finally:
        if not reuse:
            drop_database(base_url, database)
