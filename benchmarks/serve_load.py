"""`meldpunt serve` under web load: does its own mail sender keep up with the meldingen coming in?

The embedded mode as `make run` starts it: one `meldpunt serve` on SQLite with the scheduler and the
outbox sender of its own, a local SMTP server (benchmarks/smtp_sink.py, a process of its own), and
CLIENTS threads creating meldingen over the staff API as fast as the server answers, for SECONDS.
Printed: meldingen created per second, receipt mails sent per second in the same time (counted in the
outbox, not at the server, so the drain after the load does not flatter it), and the backlog left.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from .mail_rates import smtp_sink

ROOT = Path(__file__).resolve().parents[1]
INTERVAL = 2  # MELDPUNT_OUTBOX_SECONDS of the server under load
BODY = json.dumps({"description": "Straatlamp brandt niet", "category": "straatlamp-defect", "channel": "telefoon",
                   "location": {"address": "Bruul 12, 2800 Mechelen"},
                   "reporter": {"email": "els@voorbeeld.example"}}).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _meldpunt(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-c", "from web.cli import main; main()", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def _wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("meldpunt serve ended at start-up")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("meldpunt serve did not start listening")


def _sent_count(database: Path) -> tuple[int, int]:
    with sqlite3.connect(database, timeout=30) as conn:
        sent = conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    return sent, pending


def run_serve_load(seconds: float = 20.0, clients: int = 6) -> None:
    """Run the scenario once and print its line."""
    print(f"\nmeldpunt serve under web load (SQLite, its own sender; {clients} API clients for {seconds:g} s) ...",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="meldpunt-serve-") as tmp, smtp_sink() as smtp_port:
        database = Path(tmp) / "serve.sqlite"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": f"sqlite:///{database}",
               "MELDPUNT_STORAGE_PATH": str(Path(tmp) / "files"), "MELDPUNT_SECRET_KEY": "bench-" + "x" * 26,
               "MELDPUNT_OUTBOX_SECONDS": str(INTERVAL), "MELDPUNT_SMTP_HOST": "127.0.0.1",
               "MELDPUNT_SMTP_PORT": str(smtp_port)}
        _meldpunt(env, "db", "upgrade")
        _meldpunt(env, "seed")
        token = _meldpunt(env, "user", "add", "bench", "--role", "meldkamer", "--token").split()[-1]
        port = _free_port()
        with (Path(tmp) / "serve.log").open("wb") as log:
            server = subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "serve", "--port",
                                       str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, server)
            made, errors = [0] * clients, [0] * clients
            stop = time.monotonic() + seconds

            def client(number: int) -> None:
                while time.monotonic() < stop:
                    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/meldingen", data=BODY, headers={
                        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            made[number] += response.status == 201
                    except OSError:
                        errors[number] += 1

            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            start = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - start
            sent, pending = _sent_count(database)
            drained = time.monotonic()
            while _sent_count(database)[1] and time.monotonic() - drained < 120:
                time.sleep(0.1)
            drain_seconds = time.monotonic() - drained
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(120)
    intake, mail = sum(made) / elapsed, sent / elapsed
    # Keeping up: what waits when the load stops goes out within one outbox interval (and a second's slack).
    verdict = "yes" if drain_seconds <= INTERVAL + 1 else "NO"
    print(f"  intake {intake:6.0f} meldingen/s ({sum(made)} in {elapsed:.1f} s, {sum(errors)} errors); "
          f"mail {mail:6.0f}/s sent meanwhile ({sent}); {pending} waiting when the load stopped, all sent "
          f"{drain_seconds:.1f} s later; mail keeps up with intake: {verdict}", flush=True)
