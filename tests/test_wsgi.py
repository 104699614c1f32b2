"""The production WSGI entry builds the app once and keeps start-up objects out of garbage collection."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gunicorn_entry_builds_the_app_and_freezes_start_up_objects(tmp_path):
    env = {**os.environ, "MELDPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite'}",
           "MELDPUNT_SECRET_KEY": "test-secret-of-thirty-two-chars"}
    probe = ("import gc; from web.wsgi import app; "
             "print(app.name, app.config['MELDPUNT_SCHEDULER'], gc.get_freeze_count() > 1000)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["web.app", "False", "True"]  # no scheduler in web workers
