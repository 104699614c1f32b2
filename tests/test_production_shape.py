"""The production shape on this machine (issue #17, docs/production.md "What the production test proves").

gunicorn with 3 sync workers serves `web.wsgi:app`, two `meldpunt worker` processes run the jobs, all of them on
one PostgreSQL schema of this test's own; files go to a local S3 server (moto), mail over SMTP to aiosmtpd, the
info mailbox is a real Dovecot read over IMAP, the rate limits are counted in Redis. A scripted day runs from six
client threads at once, over real HTTP: meldingen over the API (a staff token) and over the public form with a
photo (its CSRF and one-time form token taken from the page), the meldkamer dispatches, handlers take them in and
close them (some referred, some asked: the reporter answers by mail into the info mailbox, or not, and the reaction
timer fires), a contractor reports through the portal link of the order mail, mails in the info mailbox become
cases that the onthaal answers or closes, and the postkamer registers letters with a scan through the web form.

In the middle one of the two workers is killed with SIGKILL while it is sending mail (the SMTP server holds
its answer to DATA a moment, so the kill falls in the known window: the server has the message, the worker
has not yet recorded it as sent) and is started again.

Then it checks what a city would check:
- every case reached its expected end state, none has a process error on its timeline;
- every outbox row was sent, and the SMTP server received exactly the outbox's Message-IDs, each once. The one
  exception is the documented window of a SIGKILL (README, *Outbox*): a mail the server had accepted but the
  killed worker had not yet marked as sent goes out again after the claim lease, with the same Message-ID. The
  test lets through a second copy only of a mail that the server had received before the kill and whose row
  was not "sent" at the kill, at most one such mail (a worker sends one mail at a time), and says so;
- every file (photos, mail attachments and originals, letter scans) is in the bucket with the size and sha256
  its row holds, the bucket holds nothing else, and the local files folder stays empty;
- /readyz answers 200 and /metrics (with the token) shows the outbox backlog and the timer lag at 0;
- the public form's rate limit is one budget for the three web processes: the form sent once more is refused;
- every process stops cleanly on SIGTERM, and the worker started after the kill did jobs.

Run with -s to see the figures: `MELDPUNT_TEST_POSTGRES_URL=... pytest -s -n 0 tests/test_production_shape.py`.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

import pytest
import redis
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import create_engine, select, text
from werkzeug.security import generate_password_hash

from engine import deploy
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from handlers.categories import forget_categories
from handlers.groups import forget_group_ids, group_by_key
from handlers.models import User
from handlers.post_models import LetterText
from handlers.routing import forget_rules
from handlers.seed import seed_reference_data
from notifications.models import OutboxMessage
from web.app import create_app
from web.config import normalise_db_url

from .production_shape import BIN, ROOT, Http, Shape, smtp_connections, wait_for
from .services import POSTGRES_URL, require
from .smtp_server import free_port
from .test_mail_mailbox import reply_to
from .test_post_support import pdf_bytes

pytestmark = [pytest.mark.slow, pytest.mark.postgres]  # and imap, through the dovecot fixture

METRICS_TOKEN = "metrics-token-of-the-production-test"
REDIS_URL = "redis://127.0.0.1:6379/0"
FORMS = 12  # meldingen through the public form, all from 127.0.0.1: the form's rate limit is exactly this
PASSWORD = "postkamer-wachtwoord-1"
INFO = "info@stad.example"
REACTION_WINDOW_SECONDS = 20


def photo(seed: int) -> bytes:
    """A small real JPEG, different per melding (the form re-encodes it; the row keeps the clean copy's sha256)."""
    out = io.BytesIO()
    Image.new("RGB", (48, 32), ((seed * 37) % 256, (seed * 91) % 256, 120)).save(out, "JPEG")
    return out.getvalue()


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (seed % 256, 10, 200)).save(out, "PNG")
    return out.getvalue()


def forget_caches() -> None:
    deploy.forget_cached_specs()
    forget_group_ids()
    forget_rules()
    forget_categories()


def schema_url(schema: str) -> str:
    url = normalise_db_url(POSTGRES_URL)
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def set_schema(schema: str, create: bool) -> None:
    engine = create_engine(normalise_db_url(POSTGRES_URL))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


@dataclass
class Installation:
    """The database (a schema of its own), seeded as `meldpunt seed` does, and the staff with their tokens."""

    url: str
    app: object
    tokens: dict[str, str] = field(default_factory=dict)

    def query(self, work):
        """Run `work()` in an app context of the test's own (any thread): the observer, never the actor."""
        with self.app.app_context():
            try:
                return work()
            finally:
                db.session.remove()


@pytest.fixture
def installation(tmp_path):
    require("postgres")
    schema = f"meldpunt_prod_{os.getpid()}_{secrets.token_hex(3)}"
    set_schema(schema, create=True)
    url = schema_url(schema)
    forget_caches()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "unused-files")})
    tokens = {}
    with app.app_context():
        upgrade()
        seed_reference_data()
        deploy.deploy_builtin()
        staff = {"an": ("meldkamer", None), "bart": ("behandelaar", "onderhoud-openbaar-domein"),
                 "dina": ("behandelaar", "openbare-netheid"), "eva": ("onthaal", "onthaal")}
        for name, (role, group) in staff.items():
            user = User(username=name, display_name=name.title(), role=role, email=f"{name}@stad.example")
            if group:
                user.groups.append(group_by_key(group))
            if name == "eva":
                user.password_hash = generate_password_hash(PASSWORD)
            db.session.add(user)
            tokens[name] = user.issue_api_token()
        db.session.commit()
        db.session.remove()
    try:
        yield Installation(url, app, tokens)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        forget_caches()
        set_schema(schema, create=False)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis (the rate limits), removed afterwards."""
    prefix = f"meldpunt-prodshape:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


# ------------------------------------------------------------------------------------------ the scripted day


@dataclass
class Day:
    """What the clients do, each story over real HTTP against gunicorn."""

    shape: Shape
    inst: Installation
    dovecot: object
    expected: dict[str, str] = field(default_factory=dict)  # reference -> end status
    story: dict[str, str] = field(default_factory=dict)  # reference -> what happened to it (meldingen)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api(self, user: str) -> Http:
        return Http(self.shape.base, self.inst.tokens[user])

    def expect(self, reference: str, status: str, story: str = "") -> None:
        with self.lock:
            self.expected[reference] = status
            if story:
                self.story[reference] = story

    # -- the staff API

    def case(self, user: str, reference: str) -> dict:
        response = self.api(user).get(f"/api/v1/cases/{reference}")
        assert response.status == 200, response.text[:300]
        return response.json()

    def complete(self, user: str, reference: str, task: str, form: dict | None = None) -> dict:
        case = wait_for(f"task {task} on {reference}",
                        lambda: (c := self.case(user, reference)) and any(w["task"] == task for w in c["work_items"])
                        and c)
        item = next(w for w in case["work_items"] if w["task"] == task)
        response = self.api(user).post(f"/api/v1/work-items/{item['id']}/complete", json_body=form or {})
        assert response.status == 200, f"{reference} {task}: {response.status} {response.text[:300]}"
        return response.json()

    def file_by_api(self, number: int, category: str) -> str:
        body = {"description": f"Melding {number} van de dag: het probleem is er nog altijd", "channel": "telefoon",
                "category": category, "location": {"address": "Bruul 12, 2800 Mechelen"},
                "reporter": {"name": f"Melder {number}", "email": f"melder{number}@voorbeeld.example"}}
        response = self.api("an").post("/api/v1/meldingen", json_body=body)
        assert response.status == 201, response.text[:300]
        return response.json()["reference"]

    def file_by_form(self, number: int) -> str:
        citizen = Http(self.shape.base)
        sent = citizen.submit("/melden?categorie=straatlamp-defect", "description", fields={
            "categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen",
            "description": f"De straatlamp aan paal {number} brandt al een week niet.", "name": f"Burger {number}",
            "email": f"burger{number}@voorbeeld.example", "phone": ""},
            files={"photos": [(f"paal{number}.jpg", photo(number), "image/jpeg")]})
        assert sent.status == 303, f"{sent.status} {sent.text[:500]}"
        confirmation = citizen.follow(sent)
        found = re.search(r"\bM\d{4}-\d{6}\b", confirmation.text)
        assert confirmation.status == 200 and found, confirmation.text[:500]
        return found.group(0)

    # -- people outside the city: reporters and contractors

    def sent_mail(self, template: str, reference: str) -> OutboxMessage:
        def probe():
            rows = self.inst.query(lambda: list(db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.template == template, OutboxMessage.status == "sent"))))
            return next((r for r in rows if r.data.get("reference") == reference), None)
        return wait_for(f"the '{template}' mail of {reference} to go out", probe)

    def reporter_replies(self, reference: str, number: int) -> None:
        question = self.sent_mail("informatie_gevraagd", reference)
        self.dovecot.append(reply_to(reference, f"melder{number}@voorbeeld.example", question.message_id))

    def contractor_reports_done(self, reference: str) -> None:
        order = self.sent_mail("aannemer_opdracht", reference)
        contractor = Http(self.shape.base)
        path = urlsplit(order.data["portal_url"]).path
        sent = contractor.submit(path, "photos", fields={"result": "done", "note": "Lamp vervangen"},
                                files={"photos": [("klaar.jpg", photo(len(path)), "image/jpeg")]})
        assert sent.status == 303, f"{sent.status} {sent.text[:500]}"

    def wait_status(self, user: str, reference: str, status: str, task: str | None = None) -> None:
        wait_for(f"{reference} to be {status}", lambda: (c := self.case(user, reference))["status"] == status
                 and (task is None or any(w["task"] == task for w in c["work_items"])))

    # -- the stories

    def melding(self, number: int, how: str) -> None:
        category, group_user = ("straatlamp-defect", "bart") if number % 4 else ("sluikstort", "dina")
        if how == "contractor":
            category, group_user = "straatlamp-defect", "bart"
        ref = self.file_by_form(number) if how == "form" else self.file_by_api(number, category)
        if how == "form":
            category, group_user = "straatlamp-defect", "bart"
        if how == "refer":
            self.complete("an", ref, "triage", {"decision": "refer", "public_text": "Dit is voor de politie."})
            self.expect(ref, "doorverwezen", how)
            return
        self.complete("an", ref, "triage", {"decision": "dispatch"})
        self.complete(group_user, ref, "take_in_handling")
        if how in ("ask_answered", "ask_silent"):
            self.complete(group_user, ref, "handle", {"action": "request_info", "question": "Welk paalnummer?"})
            if how == "ask_answered":
                self.reporter_replies(ref, number)
                wait_for(f"the answer to reach {ref}", lambda: any(
                    e["kind"] == "mail_received" for e in self.case(group_user, ref)["timeline"]))
            # the answer comes in through the mailbox, or the reaction timer fires in a worker
            self.wait_status(group_user, ref, "in_behandeling", "handle")
        elif how == "contractor":
            self.complete(group_user, ref, "handle", {"action": "order_contractor",
                                                      "contractor": "aannemer-verlichting",
                                                      "instructions": "Lamp vervangen"})
            self.contractor_reports_done(ref)
            self.wait_status(group_user, ref, "in_behandeling", "handle")
        self.complete(group_user, ref, "handle", {"action": "close", "public_text": "Hersteld."})
        self.expect(ref, "afgesloten", how)

    def infomail(self, number: int) -> None:
        subject = f"Vraag {number} over het containerpark"
        message = EmailMessage()
        message["From"] = f"Burger {number} <vraag{number}@voorbeeld.example>"
        message["To"] = INFO
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="voorbeeld.example")
        message["Date"] = format_datetime(utcnow())
        message.set_content(f"Dag,\n\nWanneer is het containerpark open? (vraag {number})\n\nGroeten")
        if number % 2 == 0:
            message.add_attachment(png(number), maintype="image", subtype="png", filename=f"foto{number}.png")
        self.dovecot.append(message.as_bytes())

        def probe():
            rows = self.inst.query(lambda: list(db.session.execute(
                select(Case.reference, Case.description).where(Case.kind == "mail"))))
            return next((r for r, d in rows if f"(vraag {number})" in (d or "")), None)
        ref = wait_for(f"the mail '{subject}' to become a case", probe)
        if number % 2 == 0:
            self.complete("eva", ref, "triage", {"decision": "answer", "answer_text": "Van 9 tot 16 uur."})
            self.expect(ref, "beantwoord")
        else:
            self.complete("eva", ref, "triage", {"decision": "no_answer", "reason": "Dubbel verstuurd"})
            self.expect(ref, "afgesloten")

    def letter(self, number: int, kind: str) -> None:
        postkamer = Http(self.shape.base)
        login = postkamer.submit("/werk/aanmelden", "password", fields={"username": "eva", "password": PASSWORD})
        assert login.status == 302, login.text[:300]
        subject = f"Brief {number}: vraag over de straatverlichting"
        sent = postkamer.submit("/werk/post/nieuw", "scan", fields={
            "sender_name": f"Briefschrijver {number}", "sender_address": "Bruul 12\n2800 Mechelen",
            "sender_email": f"brief{number}@voorbeeld.example", "received_on": time.strftime("%Y-%m-%d"),
            "written_on": time.strftime("%Y-%m-%d"), "subject": subject, "kind": kind, "registered_mail": "",
            "group": "onderhoud-openbaar-domein", "deadline_days": "", "deadline_unit": ""},
            files={"scan": [(f"brief{number}.pdf", pdf_bytes(1), "application/pdf")]})
        assert sent.status == 302, f"{sent.status} {sent.text[:500]}"
        ref = self.inst.query(lambda: db.session.scalar(
            select(Case.reference).where(Case.kind == "post", Case.description.contains(f"Brief {number}:"))))
        assert ref, f"no post case for {subject}"
        self.expect(ref, "afgesloten" if kind == "ter_info" else "toegewezen")


# ---------------------------------------------------------------------------------------------- the checks


@dataclass
class KillRecord:
    pid: int = 0
    at_received: int = 0  # messages the SMTP server had when the worker died
    window: set[str] = field(default_factory=set)  # received before the kill, not marked sent at the kill
    restarted: int = 0  # the worker started in its place
    killed_at: float = 0.0  # time.time() of the kill
    error: BaseException | None = None  # what went wrong in the killer's thread


def kill_a_sending_worker(day: Day, smtp_server, record: KillRecord) -> None:
    """Wait until mail is going out, then SIGKILL the worker that holds the SMTP connection just after the server
    took a message (the server holds its answer for a moment), and start a new worker in its place."""
    try:
        _kill_a_sending_worker(day, smtp_server, record)
    except BaseException as err:  # the test's thread reports it
        record.error = err


def _kill_a_sending_worker(day: Day, smtp_server, record: KillRecord) -> None:
    shape, inst = day.shape, day.inst
    # Not while a worker reads a letter's scan: that claim's lease is the OCR time limit plus two minutes, longer
    # than this test (a dead reader's letter taken over after its lease: tests/test_letter_ocr.py).
    wait_for("mail to go out, and the letters read", lambda: len(smtp_server.messages) >= 15 and inst.query(
        lambda: db.session.scalars(select(LetterText.status)).all() == ["done", "done"]), timeout=120, every=0.2)
    smtp_server.delay = 0.5  # the answer to DATA waits: the message is in, the sender has no "250" yet
    last_mail = [len(smtp_server.messages), time.monotonic()]
    try:
        def sending_worker():
            count = len(smtp_server.messages)
            time.sleep(0.02)
            if len(smtp_server.messages) != count:
                last_mail[:] = [len(smtp_server.messages), time.monotonic()]
                return next((p for p in shape.alive_workers() if smtp_connections(p.pid, smtp_server.port)), None)
            if time.monotonic() - last_mail[1] > 3:  # the day's mail is out (a slow machine): make some more
                last_mail[1] = time.monotonic()
                day.expect(day.file_by_api(900 + len(day.expected), "straatlamp-defect"), "ontvangen", "extra")
            return None
        victim = wait_for("a worker in the middle of sending", sending_worker, timeout=120, every=0.01)
        record.pid = victim.pid
        shape.kill_worker(victim)
        record.killed_at = time.time()
        record.at_received = len(smtp_server.messages)
    finally:
        smtp_server.delay = 0
    received = set(smtp_server.message_ids()[:record.at_received])
    sent = inst.query(lambda: set(db.session.scalars(
        select(OutboxMessage.message_id).where(OutboxMessage.status == "sent"))))
    record.window = received - sent
    time.sleep(1)
    record.restarted = shape.start_worker().pid


def metric(text_: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text_, re.M)
    assert found, f"no {name} in /metrics"
    return float(found.group(1))


def test_a_day_in_production_shape_with_a_worker_killed_while_it_sends(installation, tmp_path, s3_server, s3_bucket,
                                                                       smtp_server, dovecot, redis_prefix):
    began = time.monotonic()
    files_folder = tmp_path / "files"
    files_folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": installation.url,
           "MELDPUNT_SECRET_KEY": "production-shape-secret-of-32-chars", "MELDPUNT_ENV": "production",
           "MELDPUNT_STORAGE_PATH": str(files_folder), **s3_server.config(s3_bucket, MELDPUNT_S3_PREFIX="stad/"),
           **{k: str(v) for k, v in smtp_server.config().items()},
           **{k: str(v) for k, v in dovecot.config().items()},
           "MELDPUNT_INFO_ADDRESS": INFO, "MELDPUNT_IMAP_SECONDS": "1", "MELDPUNT_TICK_SECONDS": "1",
           "MELDPUNT_OUTBOX_SECONDS": "1", "MELDPUNT_OCR_SECONDS": "2", "MELDPUNT_SMTP_TIMEOUT": "3",
           "MELDPUNT_SMTP_CLAIM_SECONDS": "15", "MELDPUNT_REACTION_WINDOW": f"PT{REACTION_WINDOW_SECONDS}S",
           "MELDPUNT_REPORT_RATE": f"{FORMS}/3600", "MELDPUNT_PUBLIC_POST_RATE": "1000/60",
           "MELDPUNT_REDIS_URL": REDIS_URL, "MELDPUNT_REDIS_PREFIX": redis_prefix,
           "MELDPUNT_METRICS_TOKEN": METRICS_TOKEN, "MELDPUNT_LOG_FORMAT": "json", "MELDPUNT_LOG_LEVEL": "info"}
    for unset in ("MELDPUNT_SCHEDULER", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(unset, None)
    port = free_port()
    env["MELDPUNT_BASE_URL"] = f"http://127.0.0.1:{port}"
    shape = Shape(env, tmp_path)
    shape.start_web(port)
    shape.start_worker()
    shape.start_worker()
    record = KillRecord()
    try:
        shape.wait_ready()
        assert all(p.poll() is None for p in shape.workers), shape.log_tail("worker-1.log")
        started = time.monotonic()
        day = Day(shape, installation, dovecot)
        kinds = ["close", "close", "refer", "ask_answered", "ask_silent", "contractor"]
        stories = [(day.melding, n, kinds[n % len(kinds)]) for n in range(1, 31)]
        stories += [(day.melding, n, "form") for n in range(31, 31 + FORMS)]
        stories += [(day.infomail, n) for n in range(1, 5)]
        stories = [(day.letter, 1, "vraag"), (day.letter, 2, "ter_info"), *stories]
        killer = threading.Thread(target=kill_a_sending_worker, args=(day, smtp_server, record))
        killer.start()
        with ThreadPoolExecutor(max_workers=6) as clients:
            for future in [clients.submit(*story) for story in stories]:
                future.result()
        killer.join(180)
        if record.error is not None:
            raise record.error
        assert record.pid, "no worker was killed while sending: the fault was not exercised"
        day_seconds = time.monotonic() - started

        # Quiet: no mail waiting (the killed worker's claimed mails after their lease), no timer due.
        client = Http(shape.base, METRICS_TOKEN)

        def quiet():
            scraped = client.get("/metrics")
            assert scraped.status == 200, scraped.text[:300]
            return (metric(scraped.text, "meldpunt_outbox_pending") == 0
                    and metric(scraped.text, "meldpunt_timer_lag_seconds") == 0 and scraped.text)
        scraped = wait_for("the outbox backlog and the timer lag at 0", quiet, timeout=90, every=1)
        assert metric(scraped, "meldpunt_outbox_failed") == 0
        assert metric(scraped, "meldpunt_outbox_oldest_pending_seconds") == 0
        ready = Http(shape.base).get("/readyz")
        assert (ready.status, ready.text) == (200, "ok\n")
        settled = time.monotonic() - started

        # -- the form's rate limit is one budget for the three web processes (counted in Redis): the next is refused
        refused = Http(shape.base).submit("/melden?categorie=straatlamp-defect", "description", fields={
            "categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen", "phone": "",
            "description": "Nog een melding van dezelfde aansluiting.", "email": "nog1@voorbeeld.example"})
        assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0, refused.text[:300]
        assert list(redis.Redis.from_url(REDIS_URL).scan_iter(match=redis_prefix + "*"))
        assert installation.query(lambda: db.session.execute(text("SELECT count(*) FROM rate_limits")).scalar()) == 0

        # -- every case at its end state, no process error
        def cases():
            rows = db.session.execute(select(Case.id, Case.reference, Case.kind, Case.status)).all()
            errors = db.session.execute(select(Case.reference, CaseEvent.note)
                                        .join(CaseEvent, CaseEvent.case_id == Case.id)
                                        .where(CaseEvent.kind == "error")).all()
            return rows, errors
        rows, errors = installation.query(cases)
        assert errors == []
        events = Counter(installation.query(lambda: list(db.session.execute(
            select(Case.reference, CaseEvent.kind).join(CaseEvent, CaseEvent.case_id == Case.id)
            .where(CaseEvent.kind.in_(["no_reaction", "mail_received"]))))))
        late = 0  # answers the intake took in after the reaction timer had fired
        for ref, story in day.story.items():
            fired = events[(ref, "no_reaction")]
            if story == "ask_silent":
                assert fired == 1, ref  # the reaction timer fired in a worker, once
            elif story == "ask_answered":  # the answer wins, unless it was taken in after the window: then once
                assert fired <= 1, ref
                late += fired
            else:
                assert fired == 0, (ref, story)
            assert events[(ref, "mail_received")] == (1 if story == "ask_answered" else 0), (ref, story)
        infomails = [ref for ref in day.expected if ref.startswith("I")]
        assert len(infomails) == 4 and all(events[(ref, "mail_received")] == 1 for ref in infomails)
        by_reference = {r.reference: r for r in rows}
        assert {ref: by_reference[ref].status for ref in day.expected} == day.expected
        # nothing more: no case twice, no stray case (the killer may have filed a few to have mail going out)
        assert len(rows) == len(day.expected) >= len(stories)

        # -- every mail exactly once, except the one in flight at the kill, which may come twice
        outbox = installation.query(lambda: list(db.session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.message_id, OutboxMessage.template))))
        assert [r for r in outbox if r.status != "sent"] == []
        received = Counter(smtp_server.message_ids())
        stored = Counter(r.message_id for r in outbox)
        assert max(stored.values()) == 1, "two outbox rows with one Message-ID"
        assert set(received) == set(stored), (set(received) ^ set(stored))
        recipients = {r.message_id: r.recipient for r in installation.query(lambda: list(db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.recipient))))}
        assert [m for m in smtp_server.messages
                if m.rcpt_tos != [recipients[str(m.message["Message-ID"])]]] == []  # each to its own recipient
        twice = {mid for mid, n in received.items() if n > 1}
        assert twice <= record.window and len(twice) <= 1 and max(received.values()) <= 2, (twice, record.window)

        # -- every file in the bucket with its checksum, nothing else there, nothing in the local folder
        files = installation.query(lambda: list(db.session.execute(
            select(CaseFile.storage_key, CaseFile.size, CaseFile.sha256, CaseFile.content_type))))
        objects = s3_server.objects(s3_bucket)
        named = {f"stad/{f.storage_key}" for f in files}
        assert named <= set(objects)  # no row without its file
        # A file is written before the transaction that names it commits: the killed worker may have left the
        # files of the mail it was taking in at that moment (each in the bucket whole, no row names it). Nothing
        # else may be there: a failed or lost transaction removes what it wrote.
        listing = s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])
        unnamed = {item["Key"]: item["LastModified"].timestamp() for item in listing if item["Key"] not in named}
        assert all(written <= record.killed_at + 1 for written in unnamed.values()), (unnamed, record.killed_at)
        assert len(unnamed) <= 4, unnamed  # one mail's original and attachments at most
        for row in files:
            content = objects[f"stad/{row.storage_key}"]
            assert (len(content), hashlib.sha256(content).hexdigest()) == (row.size, row.sha256), row.storage_key
        assert list(files_folder.rglob("*")) == []
        kinds_of_files = Counter(row.content_type for row in files)
        assert kinds_of_files["image/jpeg"] >= 12 and kinds_of_files["application/pdf"] >= 2
        assert kinds_of_files["image/png"] >= 2

        took = time.monotonic() - began
        print(f"\nproduction shape: {len(rows)} cases ({Counter(r.kind for r in rows)}), "
              f"ends {dict(Counter(r.status for r in rows))}; {len(outbox)} mails in the outbox, "
              f"{sum(received.values())} received by SMTP, sent twice after the kill: {len(twice)} "
              f"(window at the kill: {len(record.window)}); {len(files)} files in the bucket "
              f"({dict(kinds_of_files)}), left without a row by the killed worker: {len(unnamed)}; "
              f"worker {record.pid} killed after {record.at_received} mails; answers later than the timer: {late}; "
              f"the day {day_seconds:.1f} s, quiet after {settled:.1f} s, test {took:.1f} s in all "
              f"(6 client threads, 3 gunicorn workers, 2 meldpunt workers; the machine is shared)")
    except BaseException:
        for name, content in shape.logs().items():
            print(f"---- {name}\n{content[-3000:]}")
        raise
    finally:
        stopped = shape.stop()
    assert stopped == {name: 0 for name in stopped}, stopped  # SIGTERM: every process ends cleanly
    restarted = [json.loads(line) for line in shape.logs()[f"worker-{shape.started}.log"].splitlines()
                 if line.startswith("{")]
    assert any(line.get("logger") == "meldpunt.job" and line.get("outcome") == "ok" for line in restarted)
    assert not [line for line in shape.logs()["gunicorn.log"].splitlines() if '"level": "ERROR"' in line]


@pytest.mark.parametrize("wrong, named", [
    ({"MELDPUNT_S3_BUCKET": "bestaat-niet"}, "bucket 'bestaat-niet' does not exist (MELDPUNT_S3_BUCKET)"),
    ({"MELDPUNT_S3_SECRET_KEY": "fout-geheim"}, "check MELDPUNT_S3_ACCESS_KEY and MELDPUNT_S3_SECRET_KEY"),
])
def test_meldpunt_check_names_a_wrong_bucket_or_credentials_in_one_line(installation, tmp_path, s3_server,
                                                                        s3_bucket, wrong, named):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MELDPUNT_DATABASE_URL": installation.url,
           "MELDPUNT_SECRET_KEY": "production-shape-secret-of-32-chars",
           "MELDPUNT_STORAGE_PATH": str(tmp_path / "files"), **s3_server.config(s3_bucket), **wrong}
    for unset in ("MELDPUNT_SMTP_HOST", "MELDPUNT_IMAP_HOST", "MELDPUNT_REDIS_URL"):
        env.pop(unset, None)
    done = subprocess.run([str(BIN / "meldpunt"), "check"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    problems = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(problems) == 1 and "storage" in problems[0] and named in problems[0], done.stderr
    assert "ok: database" in done.stdout
    assert s3_server.objects(s3_bucket) == {}  # the check wrote nothing
    good = {**env, **s3_server.config(s3_bucket)}
    done = subprocess.run([str(BIN / "meldpunt"), "check"], env=good, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "ok: storage" in done.stdout, done.stdout + done.stderr
