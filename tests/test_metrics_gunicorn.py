"""/metrics under gunicorn with several workers: with PROMETHEUS_MULTIPROC_DIR every scrape adds up the
request histograms of all workers, whichever worker answers the scrape (docs/production.md)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def test_every_scrape_counts_the_requests_of_every_worker(app, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "MELDPUNT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MELDPUNT_STORAGE_PATH": str(tmp_path / "files"), "MELDPUNT_SECRET_KEY": "test-secret-of-thirty-two-chars"}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                                   "web.wsgi:app"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:  # the workers boot (requests made meanwhile may be answered late, and count then)
            try:
                assert get(f"{base}/healthz") == (200, "ok\n")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(log.read_text()[-3000:]) from None
                time.sleep(0.5)
        for _ in range(40):  # enough that both workers answer some
            assert get(f"{base}/readyz") == (200, "ok\n")
        for _ in range(3):  # each scrape may be answered by either worker: each sees all 40
            status, text = get(f"{base}/metrics")
            assert status == 200
            counted = re.search(r'^meldpunt_http_request_duration_seconds_count\{endpoint="ops.readyz",'
                                r'method="GET"\} (\S+)$', text, re.M)
            assert counted and float(counted.group(1)) == 40, text[:3000]
            assert "meldpunt_cases" in text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    assert len(list(folder.glob("histogram_*.db"))) >= 1
