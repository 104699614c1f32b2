"""The signing key on a first start: processes racing on a fresh instance folder all get the same key, an empty
key is never used, and MELDPUNT_ENV=production refuses to start without MELDPUNT_SECRET_KEY."""
from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from web.config import Config

ROOT = Path(__file__).resolve().parents[1]
MELDPUNT = Path(sys.executable).with_name("meldpunt")
WORKERS = 8


def _start(folder: str, barrier, results) -> None:
    """What a gunicorn worker does first: read the configuration (and with it the key)."""
    barrier.wait()
    try:
        results.put(("key", Config(folder).SECRET_KEY))
    except Exception as err:  # reported to the test
        results.put(("error", f"{type(err).__name__}: {err}"))


def race(folder: Path) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=_start, args=(str(folder), barrier, results)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(60)
    return outcomes


def test_processes_racing_on_a_fresh_instance_folder_all_get_the_same_key(tmp_path, monkeypatch):
    monkeypatch.delenv("MELDPUNT_SECRET_KEY", raising=False)
    monkeypatch.delenv("MELDPUNT_ENV", raising=False)
    for attempt in range(15):  # each round a fresh folder: the race is at the first start
        folder = tmp_path / f"instance-{attempt}"
        outcomes = race(folder)
        errors = [text for kind, text in outcomes if kind == "error"]
        keys = {text for kind, text in outcomes if kind == "key"}
        assert not errors, errors
        assert len(keys) == 1, f"round {attempt}: {len(keys)} different keys from {WORKERS} processes"
        key = keys.pop()
        assert len(key) >= 32 and (folder / "secret_key").read_text().strip() == key
        assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
        assert sorted(p.name for p in folder.iterdir()) == ["secret_key"], "temporary files were left behind"


@pytest.mark.parametrize("content", ["", "   \n", "kort"])
def test_an_empty_or_unusable_key_file_is_an_error_not_a_key(tmp_path, monkeypatch, content):
    monkeypatch.delenv("MELDPUNT_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(RuntimeError, match="secret_key holds no usable key"):
        Config(str(tmp_path))


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_configured_key_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MELDPUNT_SECRET_KEY", value)
    with pytest.raises(RuntimeError, match="^MELDPUNT_SECRET_KEY is set but empty"):
        Config(str(tmp_path))
    assert not (tmp_path / "secret_key").exists(), "an empty setting must not fall back to a made-up key"


def run_meldpunt(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MELDPUNT_")}
    environment.update({"MELDPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}", **env})
    return subprocess.run([str(MELDPUNT), *args], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("db", "upgrade"), ("worker",)])
def test_production_mode_does_not_start_without_a_configured_key(tmp_path, command):
    done = run_meldpunt(tmp_path, *command, MELDPUNT_ENV="production")
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["Error: MELDPUNT_SECRET_KEY is not set: with MELDPUNT_ENV=production Meldpunt does not start "
                     "without a configured signing key"], done.stderr


def test_production_mode_starts_with_a_configured_key(tmp_path):
    done = run_meldpunt(tmp_path, "db", "upgrade", MELDPUNT_ENV="production",
                        MELDPUNT_SECRET_KEY="een-lange-willekeurige-sleutel-voor-productie")
    assert done.returncode == 0, done.stderr


def test_the_wsgi_entry_says_it_in_one_line_too(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MELDPUNT_")}
    environment.update({"MELDPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}", "MELDPUNT_ENV": "production"})
    done = subprocess.run([sys.executable, "-c", "import web.wsgi"], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        "Error: MELDPUNT_SECRET_KEY is not set: with MELDPUNT_ENV=production Meldpunt does not start without a "
        "configured signing key"]
