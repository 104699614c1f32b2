"""When the database cannot be reached, every part of the site says so plainly and comes back by itself.

PostgreSQL goes away mid-run behind a TCP proxy the test cuts (pooled connections die, new ones are
refused) or has its backends killed with pg_terminate_backend; SQLite's file is taken away (unreadable) or
held locked by another writer. The API answers 503 in its error shape with Retry-After, Open311 in the
GeoReport error format, pages with a Dutch 503 page (the public form with what was typed), never an
HTML 500; the first request after the database is back works.
"""
from __future__ import annotations

import html
import os
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, exc, text

from engine.db import db
from engine.models import CaseEvent
from engine.new_case_row import reserve_case_id
from engine.raw_rows import insert_rows
from web.app import create_app

from .helpers import CSRF, Browser, with_password
from .tcp_proxy import TcpProxy
from .test_public_form import VALID, csrf_token

OUTAGE_TEXT = "De databank is even niet bereikbaar"


class Served:
    """A second app on the test's database that the test can cut off: `down()` and `up()`."""

    def __init__(self, app, database_url: str, tmp_path) -> None:
        self.backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]
        self.proxy = None
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        options = {}
        if self.backend == "postgresql":
            self.proxy = TcpProxy("127.0.0.1", 5432).start()
            url = url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{self.proxy.port}/")
            url += "&application_name=meldpunt_outage_test"
            url = url.replace("options=", "options=-clock_timeout%3D300%20", 1)  # wait for a lock, not forever
            options = {"pool_size": 5, "max_overflow": 5, "connect_args": {"connect_timeout": 3}}
        else:
            self.path = url.split("sqlite:///", 1)[1]
            options = {"connect_args": {"timeout": 0.3, "check_same_thread": False}}
        self.url = url
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": options,
                               "MELDPUNT_BASE_URL": "https://meldpunt.stad.example",
                               "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
        self.client = self.app.test_client()

    def down(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        else:  # the file is gone and a directory stands in its place: SQLite cannot open it
            with self.app.app_context():
                db.engine.dispose()
            os.rename(self.path, self.path + ".away")
            os.mkdir(self.path)

    def up(self) -> None:
        if self.proxy is not None:
            self.proxy.start()
        else:
            os.rmdir(self.path)
            os.rename(self.path + ".away", self.path)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        elif os.path.isdir(self.path):
            self.up()
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def served(app, database_urls, tmp_path):
    served = Served(app, "", tmp_path)
    yield served
    served.close()


def _assert_api_503(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"] == "ServiceUnavailable"
    assert "database" in body["message"]
    assert response.headers["Retry-After"].isdigit()


def _assert_page_503(response) -> str:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    assert OUTAGE_TEXT in page
    assert response.headers["Retry-After"].isdigit()
    return page


def test_the_api_answers_503_json_while_the_database_is_away_and_works_when_it_is_back(staff, served):
    reference = staff.meldkamer.file_melding()["reference"]
    headers = staff.meldkamer.headers
    body = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
            "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}
    assert served.client.get(f"/api/v1/cases/{reference}", headers=headers).status_code == 200
    served.down()
    _assert_api_503(served.client.get(f"/api/v1/cases/{reference}", headers=headers))
    _assert_api_503(served.client.post("/api/v1/meldingen", json=body, headers=headers))
    _assert_api_503(served.client.get("/api/v1/work-items?group=meldkamer", headers=headers))
    served.up()
    assert served.client.get(f"/api/v1/cases/{reference}", headers=headers).status_code == 200
    assert served.client.post("/api/v1/meldingen", json=body, headers=headers).status_code == 201


def test_open311_answers_503_in_its_error_format(served):
    assert served.client.get("/open311/v2/services.json").status_code == 200
    served.down()
    for fmt in ("json", "xml"):
        response = served.client.get(f"/open311/v2/services.{fmt}")
        assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
        assert b"503" in response.get_data() and (b"<errors>" in response.get_data()) == (fmt == "xml")
    served.up()
    assert served.client.get("/open311/v2/services.xml").status_code == 200


def test_public_pages_answer_a_dutch_503_and_the_form_keeps_what_was_typed(staff, served):
    tracking = staff.meldkamer.file_melding()["tracking_url"].rsplit("/", 1)[-1]
    client = served.client
    token = csrf_token(client)  # the form was opened while the database was there
    served.down()
    _assert_page_503(client.get(f"/volg/{tracking}"))
    _assert_page_503(client.get("/melden?categorie=straatlamp-defect"))
    typed = {**VALID, "description": "De lamp aan paal 12 in de Ieperstraat brandt niet.", "csrf_token": token}
    page = _assert_page_503(client.post("/melden", data=typed, content_type="multipart/form-data"))
    assert "De lamp aan paal 12 in de Ieperstraat brandt niet." in page  # given back to send again
    assert 'value="els@voorbeeld.example"' in page and 'value="Bruul 12, 2800 Mechelen"' in page
    served.up()
    assert client.get(f"/volg/{tracking}").status_code == 200
    response = client.post("/melden", data={**typed, "csrf_token": csrf_token(client)},
                           content_type="multipart/form-data")
    assert response.status_code == 303


def test_staff_pages_answer_a_dutch_503_and_work_again_after(staff, served):
    browser = Browser(served.app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    assert browser.get("/werk/meldkamer").status_code == 200
    anonymous = served.app.test_client()
    token = CSRF.search(anonymous.get("/werk/aanmelden").get_data(as_text=True)).group(1)
    served.down()
    _assert_page_503(browser.get("/werk/meldkamer"))
    _assert_page_503(anonymous.post("/werk/aanmelden", data={"username": "an", "password": "x",
                                                              "csrf_token": token}))
    served.up()
    assert browser.get("/werk/meldkamer").status_code == 200


def _sqlite_writer_lock(path: str):
    holder = sqlite3.connect(path, timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@contextmanager
def held_write_lock(served):
    """Another writer holds the database: SQLite's write lock, or an exclusive lock on PostgreSQL's cases table."""
    if served.backend == "sqlite":
        holder = _sqlite_writer_lock(served.path)
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
    else:
        engine = create_engine(served.url.replace(f":{served.proxy.port}/", ":5432/"))
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE"))
            yield
            conn.rollback()
        engine.dispose()


def test_a_locked_database_answers_503_not_500(staff, served):
    headers = staff.meldkamer.headers
    body = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
            "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}
    assert served.client.post("/api/v1/meldingen", json=body, headers=headers).status_code == 201
    with held_write_lock(served):
        _assert_api_503(served.client.post("/api/v1/meldingen", json=body, headers=headers))
    assert served.client.post("/api/v1/meldingen", json=body, headers=headers).status_code == 201


def _terminate(app_name_or_pid) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with engine.begin() as conn:
        if isinstance(app_name_or_pid, int):
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": app_name_or_pid})
        else:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"),
                         {"n": app_name_or_pid})
    engine.dispose()


def test_killed_backends_give_one_503_and_the_pool_recovers(staff, served):
    """PostgreSQL: every pooled connection is killed while the app is idle. SQLite, which has no server to
    lose: a writer holds the file past the app's lock timeout."""
    headers = staff.meldkamer.headers
    body = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
            "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}
    for _ in range(2):
        assert served.client.post("/api/v1/meldingen", json=body, headers=headers).status_code == 201
    if served.backend == "postgresql":
        _terminate("meldpunt_outage_test")
        _assert_api_503(served.client.post("/api/v1/meldingen", json=body, headers=headers))
    else:
        holder = _sqlite_writer_lock(served.path)
        _assert_api_503(served.client.post("/api/v1/meldingen", json=body, headers=headers))
        holder.rollback()
        holder.close()
    # every later request works: the dead connections were dropped from the pool, not handed out again
    for _ in range(3):
        assert served.client.post("/api/v1/meldingen", json=body, headers=headers).status_code == 201
        assert served.client.get("/api/v1/work-items?group=meldkamer", headers=headers).status_code == 200


@contextmanager
def _connection_lost(app):
    """The session's connection is broken under it: its backend killed (PostgreSQL) or the file held by
    another writer (SQLite, which has no server to lose: the driver's error is 'database is locked')."""
    db.session.execute(text("SELECT 1"))
    if db.engine.dialect.name == "postgresql":
        _terminate(db.session.execute(text("SELECT pg_backend_pid()")).scalar())
        yield
    else:
        db.session.rollback()
        path = app.config["SQLALCHEMY_DATABASE_URI"].split("sqlite:///", 1)[1]
        holder = _sqlite_writer_lock(path)
        db.session.connection().connection.driver_connection.execute("PRAGMA busy_timeout = 100")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
            db.session.connection().connection.driver_connection.execute("PRAGMA busy_timeout = 30000")


@pytest.mark.parametrize("raw_write", ["reserve_case_id", "insert_rows"])
def test_driver_errors_of_the_raw_write_path_are_sqlalchemys_and_invalidate_the_connection(app, raw_write):
    def write():
        if raw_write == "reserve_case_id":
            reserve_case_id("els@voorbeeld.example")
        else:
            insert_rows(db.session, [(CaseEvent.__table__, [{"case_id": 1, "kind": "note", "actor": "x",
                                                             "public": False}])])

    with _connection_lost(app):
        with pytest.raises(exc.OperationalError) as raised:
            write()
    assert raised.value.connection_invalidated == (db.engine.dialect.name == "postgresql")
    db.session.rollback()  # the request's error handler does this; it must not raise either
    db.session.remove()
    assert reserve_case_id()[0] > 0  # a fresh connection: the dead one is not handed out again
    db.session.rollback()


def test_a_session_that_cannot_close_after_a_request_has_its_connection_dropped(app, monkeypatch):
    """The request's teardown: when closing the session fails, its connection is invalidated, not left
    checked out in an unknown state, and the next request starts on a fresh one."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from web.outage import _safe_teardown

    db.session.execute(text("SELECT 1"))  # the session holds a connection, as during a request
    invalidated = []
    event.listen(db.engine, "invalidate", lambda *args: invalidated.append(args))

    def refuse(self):
        raise exc.OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(Session, "close", refuse)
    _safe_teardown(None)
    monkeypatch.undo()
    assert len(invalidated) == 1
    assert db.session.execute(text("SELECT 1")).scalar() == 1
    db.session.rollback()
