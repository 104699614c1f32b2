"""`python -m benchmarks.fault_drill [sqlite|postgresql] [MAILS] [KILL_AFTER_SECONDS]`: a fault drill.

Two `meldpunt worker` processes send MAILS receipt mails to a local SMTP server (benchmarks/smtp_sink.py);
after KILL_AFTER_SECONDS one of them is killed with SIGKILL mid-batch and started again. When the outbox is
empty and the claim lease (10 s here) has passed, both stop (SIGTERM) and the drill prints how many
messages the server received and how many of those it had seen before (same Message-ID): what a crash
costs in duplicates. PostgreSQL: a schema of its own on MELDPUNT_TEST_POSTGRES_URL (default
postgres@127.0.0.1:5432/test).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from .databases import postgres_base_url
from .mail_rates import smtp_sink

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "meldpunt_fault_drill"
LEASE_SECONDS = 10
FILL = """
from web.app import create_app
from intake.meldingen import register_melding
app = create_app()
with app.app_context():
    for i in range({n}):
        register_melding(description=f"Lamp {{i}} brandt niet", channel="telefoon", category="straatlamp-defect",
                         location={{"address": "Bruul 12"}}, reporter={{"email": f"melder{{i}}@voorbeeld.example"}})
"""


def _database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'drill.sqlite'}"
    base, _configured = postgres_base_url(None)
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}"


def _outbox(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
    engine.dispose()
    return counts


def main(argv: list[str]) -> int:
    backend = argv[1] if len(argv) > 1 else "postgresql"
    mails = int(argv[2]) if len(argv) > 2 else 3000
    kill_after = float(argv[3]) if len(argv) > 3 else 4.0
    with tempfile.TemporaryDirectory(prefix="meldpunt-drill-") as tmp_name:
        tmp = Path(tmp_name)
        url = _database(backend, tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": url,
               "MELDPUNT_SECRET_KEY": "fault-drill-" + "x" * 24, "MELDPUNT_STORAGE_PATH": str(tmp / "files"),
               "MELDPUNT_OUTBOX_SECONDS": "1", "MELDPUNT_TICK_SECONDS": "3600",
               "MELDPUNT_SMTP_CLAIM_SECONDS": str(LEASE_SECONDS)}
        cli = [sys.executable, "-c", "from web.cli import main; main()"]
        for args in (["db", "upgrade"], ["seed"]):
            subprocess.run(cli + args, cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", FILL.format(n=mails)], cwd=ROOT, env=env, check=True)
        received: list[tuple[int, int]] = []
        with smtp_sink(received) as port:
            env.update({"MELDPUNT_SMTP_HOST": "127.0.0.1", "MELDPUNT_SMTP_PORT": str(port)})

            def worker(name: str) -> subprocess.Popen:
                with (tmp / f"{name}.log").open("wb") as log:
                    return subprocess.Popen(cli + ["worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

            first, second = worker("a"), worker("b")
            time.sleep(kill_after)
            sent_before_kill = _outbox(url).get("sent", 0)
            first.kill()
            first.wait()
            print(f"{backend}: worker a killed (SIGKILL) after {kill_after:g} s, {sent_before_kill} of {mails} sent")
            time.sleep(1)
            first = worker("a2")
            started = time.monotonic()
            while _outbox(url).get("pending", 0) and time.monotonic() - started < 600:
                time.sleep(1)
            time.sleep(LEASE_SECONDS + 2)  # past the lease: what the killed worker held has come out by now
            for process in (first, second):
                process.send_signal(signal.SIGTERM)
                process.wait(60)
            counts = _outbox(url)
    total, again = received[0]
    print(f"{backend}: outbox {counts}; the server received {total} messages, {again} of them a second time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
