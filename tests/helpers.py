"""Test helpers named after what staff do through the API."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import event

from engine.db import db
from handlers.groups import group_by_key
from handlers.models import User


@dataclass
class Actor:
    """A staff member with an API token, acting through the test client."""

    client: Any
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, json: Any = None, **kw):
        return self.client.post(url, json=json, headers=self.headers, **kw)

    def file_melding(self, description: str = "Straatlamp brandt niet", category: Optional[str] = "straatlamp-defect",
                     email: Optional[str] = "melder@voorbeeld.example", **extra) -> dict:
        body = {"description": description, "channel": "telefoon", "category": category,
                "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"name": "Els Melder",
                                                                                  "email": email}}
        body.update(extra)
        response = self.post("/api/v1/meldingen", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def case(self, reference: str) -> dict:
        response = self.get(f"/api/v1/cases/{reference}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def open_item(self, reference: str, task: str) -> dict:
        items = [i for i in self.case(reference)["work_items"] if i["task"] == task]
        assert items, f"no open '{task}' on {reference}: {self.case(reference)['work_items']}"
        return items[0]

    def complete(self, reference: str, task: str, form: Optional[dict] = None, expect: int = 200):
        item = self.open_item(reference, task)
        response = self.post(f"/api/v1/work-items/{item['id']}/complete", json=form or {})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def send_message(self, reference: str, name: str, payload: dict, expect: int = 200):
        response = self.post(f"/api/v1/cases/{reference}/messages", json={"name": name, "payload": payload})
        assert response.status_code == expect, response.get_json()
        return response.get_json()


@dataclass
class Staff:
    meldkamer: Actor
    ood: Actor
    ood_lead: Actor
    netheid: Actor
    admin: Actor

    @classmethod
    def create(cls, client) -> Staff:
        specs = {"meldkamer": ("an", "meldkamer", None), "ood": ("bart", "behandelaar", "onderhoud-openbaar-domein"),
                 "ood_lead": ("chris", "groepsverantwoordelijke", "onderhoud-openbaar-domein"),
                 "netheid": ("dina", "behandelaar", "openbare-netheid"), "admin": ("root", "admin", None)}
        actors = {}
        for attr, (name, role, group) in specs.items():
            user = User(username=name, display_name=name.title(), role=role, email=f"{name}@stad.example")
            if group:
                user.groups.append(group_by_key(group))
            db.session.add(user)
            token = user.issue_api_token()
            actors[attr] = (user, token)
        db.session.commit()
        return cls(**{attr: Actor(client, user, token) for attr, (user, token) in actors.items()})


def timeline_kinds(case: dict) -> list[str]:
    return [e["kind"] for e in case["timeline"]]


def public_texts(case: dict) -> list[str]:
    return [e["text"] for e in case["timeline"] if e["public"] and e["text"]]


CSRF = __import__("re").compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A logged-in staff member using the web pages through the test client (forms with CSRF tokens)."""

    def __init__(self, app, username: str, password: str) -> None:
        self.app = app
        self.client = app.test_client()
        page = self.get("/werk/aanmelden")
        response = self._call(self.client.post, "/werk/aanmelden", data={
            "username": username, "password": password, "csrf_token": self.token(page)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def _call(self, method, *args, **kwargs):
        # A fresh app context per request, as in production: the test's own context would otherwise
        # share `g` (and Flask-Login's cached user) between requests.
        with self.app.app_context():
            return method(*args, **kwargs)

    @staticmethod
    def token(response) -> str:
        return CSRF.search(response.get_data(as_text=True)).group(1)

    def get(self, url: str):
        return self._call(self.client.get, url)

    def post(self, url: str, data: dict | None = None, page: str | None = None):
        """Submit a form; the CSRF token comes from `page` (default: the form's own URL)."""
        source = self.get(page or url)
        return self._call(self.client.post, url, data={**(data or {}), "csrf_token": self.token(source)})


def with_password(user: User, password: str = "correct-horse-battery") -> str:
    from werkzeug.security import generate_password_hash

    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return password


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (whitespace folded), as a list filled as they go."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def sqlite_statements() -> Iterator[list[str]]:
    """On SQLite: every statement the session's connection runs while the block runs (whitespace folded, values
    filled in), those the engine sends through the driver itself (engine/raw_rows.py) included."""
    sent: list[str] = []
    driver = db.session.connection().connection.driver_connection
    driver.set_trace_callback(lambda statement: sent.append(" ".join(statement.split())))
    try:
        yield sent
    finally:
        driver.set_trace_callback(None)


@contextmanager
def postgres_round_trips() -> Iterator[list[str]]:
    """On PostgreSQL: the exchanges the session's connection waits for while the block runs, one entry per
    ReadyForQuery the server sends (each ends a Sync or a simple Query of the client), naming the client's first
    message of that exchange ("Query", "Parse", "Bind", "Sync"), read from libpq's trace of the connection."""
    import ctypes
    import tempfile

    from psycopg import pq

    pgconn = db.session.connection().connection.driver_connection.pgconn
    exchanges: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield exchanges
        finally:
            pgconn.untrace()
            ctypes.CDLL(None).fflush(None)  # libpq writes through a C stream of its own
            trace.seek(0)
            first = None
            for line in trace:
                fields = line.split("\t")
                if len(fields) < 3 or fields[0] not in ("F", "B"):
                    continue  # the rest of a message's text that went over more lines (SQL with newlines)
                direction, kind = fields[0], fields[2]
                if direction == "F" and first is None:
                    first = kind.strip()
                elif direction == "B" and kind.strip() == "ReadyForQuery":
                    exchanges.append(first or "?")
                    first = None
