"""What the people who run Meldpunt rely on: /healthz, /readyz, /metrics, and a log without personal data."""
from __future__ import annotations

import json
import logging
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, WorkItem
from intake.mailbox import record_poll
from web.app import create_app
from web.config import normalise_db_url
from web.logs import JsonFormatter, logged_job
from web.scheduler import timer_tick

from .conftest import _postgres_schema, _schema_url
from .services import POSTGRES_URL
from .test_public_form import VALID, post

SECRET = "metrics-token-of-the-test"


def other_app(database_url: str, tmp_path, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(database_url), "TESTING": True,
                       "MELDPUNT_STORAGE_PATH": str(tmp_path / "other-files"), **config})


def series(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus' text format (labels in any order)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if found == labels:
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} {labels} in:\n{text}")


def test_healthz_answers_without_the_database_and_readyz_says_the_database_is_unreachable(app, tmp_path):
    url = ("postgresql://postgres@127.0.0.1:1/geen" if db.engine.dialect.name == "postgresql"
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'meldpunt.sqlite'}")
    broken = other_app(url, tmp_path).test_client()

    health = broken.get("/healthz")
    assert health.status_code == 200 and health.get_data(as_text=True) == "ok\n"

    ready = broken.get("/readyz")
    lines = ready.get_data(as_text=True).splitlines()
    assert ready.status_code == 503
    assert len(lines) == 1 and lines[0].startswith("database not reachable: "), lines


def test_readyz_is_ok_on_a_migrated_database_with_a_writable_storage_folder(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_data(as_text=True)
    assert ready.get_data(as_text=True) == "ok\n"


@pytest.fixture()
def empty_database(app, tmp_path):
    """A database that was never migrated, on the test's backend."""
    if db.engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    schema = f"meldpunt_empty_{os.getpid()}"
    _postgres_schema(POSTGRES_URL, schema, create=True)
    yield _schema_url(POSTGRES_URL, schema)
    _postgres_schema(POSTGRES_URL, schema, create=False)


def test_readyz_names_an_old_schema_and_an_unwritable_storage_folder_one_line_each(empty_database, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    unready = other_app(empty_database, tmp_path, MELDPUNT_STORAGE_PATH=str(blocked / "files")).test_client()

    ready = unready.get("/readyz")
    lines = ready.get_data(as_text=True).splitlines()
    assert ready.status_code == 503
    assert len(lines) == 2, lines
    assert lines[0].startswith("database schema is at revision none (an empty database), this code needs ")
    assert lines[0].endswith("run `meldpunt db upgrade`")
    assert lines[1].startswith("storage not writable: ") and "a-file" in lines[1]


def test_readyz_checks_the_bucket_when_the_files_live_in_s3(app, database_urls, tmp_path, s3_server, s3_bucket):
    url = database_urls[db.engine.dialect.name]
    ready = other_app(url, tmp_path, **s3_server.config(s3_bucket)).test_client().get("/readyz")
    assert ready.status_code == 200, ready.get_data(as_text=True)
    missing = other_app(url, tmp_path, **s3_server.config("no-such-bucket")).test_client().get("/readyz")
    assert missing.status_code == 503
    assert missing.get_data(as_text=True).startswith("storage not writable: ")
    assert "no-such-bucket" in missing.get_data(as_text=True)


def test_metrics_show_the_work_the_outbox_timers_and_the_mailbox(app, client, staff):
    first = staff.meldkamer.file_melding("Straatlamp 1 brandt niet", email="een@voorbeeld.example")
    staff.meldkamer.file_melding("Straatlamp 2 brandt niet", email="twee@voorbeeld.example")
    late = utcnow() - timedelta(hours=2)
    db.session.execute(update(WorkItem).where(WorkItem.case.has(Case.reference == first["reference"]))
                       .values(due_at=late))
    db.session.execute(update(Case).where(Case.reference == first["reference"]).values(next_timer_at=late))
    db.session.commit()
    record_poll(None)

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert series(text, "meldpunt_cases", status="ontvangen") == 2
    assert series(text, "meldpunt_work_items_open", group="meldkamer") == 2
    assert series(text, "meldpunt_work_items_overdue", group="meldkamer") == 1
    assert series(text, "meldpunt_outbox_pending") == 2  # the two receipts: no SMTP server configured
    assert series(text, "meldpunt_outbox_oldest_pending_seconds") >= 0
    assert series(text, "meldpunt_outbox_failed") == 0
    assert 7100 < series(text, "meldpunt_timer_lag_seconds") < 7300
    assert series(text, "meldpunt_smtp_unreachable") == 0
    assert 0 <= series(text, "meldpunt_mailbox_poll_age_seconds") < 60
    assert series(text, "meldpunt_http_request_duration_seconds_count", method="POST",
                  endpoint="api.create_melding") >= 2

    timer_tick(app)  # the due timer fires: no lag left
    assert series(client.get("/metrics").get_data(as_text=True), "meldpunt_timer_lag_seconds") == 0


def test_without_a_token_metrics_answer_only_a_direct_request_from_this_machine(app, client, tmp_path):
    assert client.get("/metrics").status_code == 200  # the test client connects from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert refused.status_code == 403
    assert "MELDPUNT_METRICS_TOKEN" in refused.get_data(as_text=True)
    # a proxy on this machine passes visitors on from 127.0.0.1: what it forwards is not local
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", headers={"X-Real-IP": "127.0.0.1"}).status_code == 403

    proxied = other_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                        MELDPUNT_TRUSTED_PROXIES="127.0.0.1").test_client()
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_with_a_token_metrics_want_it_from_anywhere(app, client):
    app.config["MELDPUNT_METRICS_TOKEN"] = SECRET
    for headers in ({}, {"Authorization": "Bearer verkeerd"}, {"Authorization": f"Basic {SECRET}"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    allowed = client.get("/metrics", headers={"Authorization": f"Bearer {SECRET}"},
                         environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert allowed.status_code == 200 and "meldpunt_cases" in allowed.get_data(as_text=True)


@pytest.fixture()
def log_lines(caplog):
    """Every log record of the test as the JSON log would write it."""
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    return lambda: [formatter.format(record) for record in caplog.records]


def test_the_log_has_a_line_per_request_with_its_id_and_no_personal_data(app, client, log_lines):
    person = {**VALID, "name": "Griet Vandersmissen", "email": "griet.vandersmissen@voorbeeld.example",
              "phone": "0471 23 45 67", "description": "Losliggende tegel voor het huis van Griet, nummer 12."}
    sent = post(client, person)
    assert sent.status_code in (302, 303), sent.get_data(as_text=True)[:500]
    token = db.session.scalar(select(Case.tracking_token))
    tracked = client.get(f"/volg/{token}?taal=nl", headers={"X-Request-ID": "lb-4711"})
    assert tracked.status_code == 200 and tracked.headers["X-Request-ID"] == "lb-4711"
    client.get(f"/volg/{token}/foto/niet-bestaand")
    client.get(f"/feedback/{token}x/extra/deel")  # no such page: its path is still not logged
    invented = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", invented.headers["X-Request-ID"]), "a new id, not the caller's junk"

    lines = log_lines()
    logged = "\n".join(lines)
    for secret in (token, person["name"], "Vandersmissen", person["email"], "0471", "23 45 67", "Losliggende",
                   "taal=nl"):
        assert secret not in logged, f"{secret!r} is in the log"
    requests = [json.loads(line) for line in lines if json.loads(line)["logger"] == "meldpunt.request"]
    tracking = [r for r in requests if r["request_id"] == "lb-4711"]
    assert tracking == [{**tracking[0], "message": "request", "method": "GET", "path": "/volg/<token>",
                         "status": 200, "endpoint": "public.track"}]
    assert tracking[0]["duration_ms"] >= 0
    assert {"/melden", "/volg/<token>/foto/<photo>", "/feedback/<token>", "/healthz"} <= {r["path"] for r in requests}
    assert all(set(r) >= {"time", "level", "method", "path", "status", "duration_ms", "request_id"}
               for r in requests)


def test_a_job_writes_one_line_per_run(app, log_lines):
    assert logged_job("timer_tick", timer_tick)(app) == 0
    jobs = [json.loads(line) for line in log_lines() if '"meldpunt.job"' in line]
    assert len(jobs) == 1
    assert jobs[0]["job"] == "timer_tick" and jobs[0]["outcome"] == "ok" and jobs[0]["result"] == 0

    def broken(_app):
        raise RuntimeError("stuk")

    with pytest.raises(RuntimeError):
        logged_job("kapot", broken)(app)
    failed = [json.loads(line) for line in log_lines() if '"kapot"' in line]
    assert [(f["outcome"], f["error"], f["level"]) for f in failed] == [("error", "RuntimeError", "ERROR")]
