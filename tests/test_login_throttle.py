"""Login throttling as staff and an attacker meet it: five wrong passwords lock an account for a quarter of an
hour (the right password too), twenty failures from one connection block it, unknown names answer the same,
the admin sees and lifts locks, and every lock is in the security log."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from freezegun import freeze_time

from engine.clock import utcnow
from web.app import create_app

from .helpers import Browser, with_password

LOCKED = "Te veel mislukte aanmeldpogingen voor deze gebruikersnaam."
BLOCKED = "Te veel mislukte aanmeldpogingen vanaf deze verbinding."
WRONG = "Onbekende gebruiker of fout wachtwoord."


class Visitor:
    """Someone at the login page, from one IP address."""

    def __init__(self, app, ip: str = "203.0.113.7") -> None:
        self.app = app
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = ip

    def log_in(self, username: str, password: str):
        with self.app.app_context():
            page = self.client.get("/werk/aanmelden")
        with self.app.app_context():
            return self.client.post("/werk/aanmelden", data={"username": username, "password": password,
                                                             "csrf_token": Browser.token(page)})

    def logged_in(self) -> bool:
        with self.app.app_context():
            return self.client.get("/werk/").status_code == 302 and \
                "/werk/aanmelden" not in self.client.get("/werk/").headers["Location"]


def message(response) -> str:
    match = re.search(r'<p class="errors" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    return match.group(1) if match else ""


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(app, staff):
    password = with_password(staff.ood.user)
    visitor = Visitor(app)
    answers = [visitor.log_in(staff.ood.user.username, f"fout-{i}") for i in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert message(answers[0]) == WRONG and LOCKED in message(answers[4])
    assert "over 15 minuten" in message(answers[4]) and "ontgrendelen" in message(answers[4])
    right = visitor.log_in(staff.ood.user.username, password)
    assert right.status_code == 429 and LOCKED in message(right)
    assert 800 < int(right.headers["Retry-After"]) <= 900
    assert not visitor.logged_in()
    elsewhere = Visitor(app, ip="198.51.100.20")  # the lock is on the account, not on the connection
    assert elsewhere.log_in(staff.ood.user.username, password).status_code == 429


def test_an_unknown_username_gets_exactly_the_same_answers(app, staff):
    with_password(staff.ood.user)
    real, unknown = Visitor(app, "203.0.113.1"), Visitor(app, "203.0.113.2")
    with freeze_time(utcnow()):  # the two answers at the same moment: a slow machine must not make Retry-After differ
        for i in range(6):
            a = real.log_in(staff.ood.user.username, f"fout-{i}")
            b = unknown.log_in("niet.bestaand", f"fout-{i}")
            assert (a.status_code, message(a)) == (b.status_code, message(b))
            assert a.headers.get("Retry-After") == b.headers.get("Retry-After")


def test_the_lock_lifts_by_itself_after_a_quarter_of_an_hour(app, staff):
    password = with_password(staff.ood.user)
    visitor = Visitor(app)
    with freeze_time(utcnow()) as clock:
        for i in range(5):
            visitor.log_in(staff.ood.user.username, f"fout-{i}")
        clock.tick(timedelta(minutes=14))
        assert visitor.log_in(staff.ood.user.username, password).status_code == 429
        clock.tick(timedelta(minutes=1, seconds=1))
        assert visitor.log_in(staff.ood.user.username, password).status_code == 302
        assert visitor.logged_in()


def test_a_correct_login_clears_the_count_of_wrong_passwords(app, staff):
    password = with_password(staff.ood.user)
    visitor = Visitor(app)
    for i in range(4):
        visitor.log_in(staff.ood.user.username, f"fout-{i}")
    assert visitor.log_in(staff.ood.user.username, password).status_code == 302
    for i in range(4):
        assert visitor.log_in(staff.ood.user.username, f"fout-{i}").status_code == 401
    assert visitor.log_in(staff.ood.user.username, password).status_code == 302


def test_twenty_failures_from_one_connection_block_it_for_every_account(app, staff, caplog):
    password = with_password(staff.ood.user)
    attacker = Visitor(app, "192.0.2.66")
    answers = [attacker.log_in(f"gok{i}", "wachtwoord") for i in range(20)]  # one try per name: no account locks
    assert [a.status_code for a in answers[:19]] == [401] * 19
    assert answers[19].status_code == 429 and BLOCKED in message(answers[19])
    refused = attacker.log_in(staff.ood.user.username, password)
    assert refused.status_code == 429 and BLOCKED in message(refused) and "over 15 minuten" in message(refused)
    colleague = Visitor(app, "192.0.2.67")  # another connection is not affected
    assert colleague.log_in(staff.ood.user.username, password).status_code == 302


def test_the_admin_sees_the_lock_in_the_security_log_and_lifts_it(app, staff, caplog):
    password = with_password(staff.ood.user)
    visitor = Visitor(app, "203.0.113.99")
    with caplog.at_level(logging.INFO, logger="meldpunt.security"):
        for i in range(5):
            visitor.log_in(staff.ood.user.username, f"fout-{i}")
    assert any("login_locked" in r.getMessage() and "203.0.113.99" in r.getMessage() for r in caplog.records)
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    users = admin.get("/werk/beheer/gebruikers").get_data(as_text=True)
    assert "Vergrendelde accounts" in users and f'data-username="{staff.ood.user.username}"' in users
    assert "Ontgrendelen" in users
    log = admin.get("/werk/beheer/beveiliging").get_data(as_text=True)
    assert "Account vergrendeld na te veel foute wachtwoorden" in log and "203.0.113.99" in log
    assert staff.ood.user.username in log

    response = admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}/ontgrendelen", page="/werk/beheer/gebruikers")
    assert response.status_code == 302
    assert "Vergrendelde accounts" not in admin.get("/werk/beheer/gebruikers").get_data(as_text=True)
    assert visitor.log_in(staff.ood.user.username, password).status_code == 302
    log = admin.get("/werk/beheer/beveiliging").get_data(as_text=True)
    assert "Account ontgrendeld" in log and staff.admin.user.username in log


def test_the_lock_holds_in_every_process(app, staff):
    """Two app instances on one database are what two gunicorn workers see."""
    password = with_password(staff.ood.user)
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "SECRET_KEY": app.config["SECRET_KEY"]})
    first, second = Visitor(app, "203.0.113.5"), Visitor(other, "203.0.113.6")
    for i in range(3):
        assert first.log_in(staff.ood.user.username, f"fout-{i}").status_code == 401
    assert second.log_in(staff.ood.user.username, "fout-3").status_code == 401
    assert second.log_in(staff.ood.user.username, "fout-4").status_code == 429
    assert first.log_in(staff.ood.user.username, password).status_code == 429
    with other.app_context():
        from engine.db import db

        db.engine.dispose()
