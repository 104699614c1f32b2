"""What `meldpunt serve` writes to its log while it works: our lines, not SpiffWorkflow's step by step.

SpiffWorkflow logs every task state change at INFO: dozens of lines for each new melding, which buried
the lines an administrator looks for and cost the web process time under load.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_serve_logs_no_line_per_process_step(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite'}",
           "MELDPUNT_STORAGE_PATH": str(tmp_path / "files"), "MELDPUNT_SECRET_KEY": "test-secret-of-thirty-two-chars",
           "MELDPUNT_LOG_FORMAT": "json"}
    meldpunt = [sys.executable, "-c", "from web.cli import main; main()"]
    for args in (["db", "upgrade"], ["seed"]):
        subprocess.run(meldpunt + args, cwd=tmp_path, env=env, check=True, capture_output=True)
    token = subprocess.run(meldpunt + ["user", "add", "an", "--role", "meldkamer", "--token"], cwd=tmp_path,
                           env=env, check=True, capture_output=True, text=True).stdout.split()[-1]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(meldpunt + ["serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        body = json.dumps({"description": "Straatlamp brandt niet", "category": "straatlamp-defect",
                           "channel": "telefoon", "location": {"address": "Bruul 12"},
                           "reporter": {"email": "els@voorbeeld.example"}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/meldingen", data=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        deadline = time.monotonic() + 120  # a busy machine takes a while to import everything
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == 201
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    text = log.read_text()
    assert "Meldpunt on http://127.0.0.1" in text
    assert "spiff.task" not in text and "State changed" not in text, text[-2000:]
    # MELDPUNT_LOG_FORMAT=json: every log line is one JSON object; the request has its line
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    created = [line for line in lines if line.get("logger") == "meldpunt.request" and line["method"] == "POST"]
    assert [(c["path"], c["status"], c["endpoint"]) for c in created] == [("/api/v1/meldingen", 201,
                                                                            "api.create_melding")], text[-2000:]
    assert created[0]["request_id"] and created[0]["duration_ms"] > 0
