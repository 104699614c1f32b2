"""The staff start page (/werk/) for users without a queue: the rapportage role is sent on to the dashboard."""
from __future__ import annotations

import re

from engine.db import db
from handlers.models import User

from .helpers import Browser, with_password


def _login(app, username: str, role: str) -> Browser:
    user = User(username=username, display_name=username.title(), role=role, email=f"{username}@stad.example")
    db.session.add(user)
    db.session.commit()
    return Browser(app, username, with_password(user))


def test_a_rapportage_user_finds_the_dashboard_link_instead_of_no_group(app):
    browser = _login(app, "rita", "rapportage")
    page = browser.get("/werk/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "geen lid van een behandelaarsgroep" not in html
    main = html[html.index("<h1>"):]
    assert re.search(r'<a href="/werk/rapporten">Naar het dashboard</a>', main)
    assert browser.get("/werk/rapporten").status_code == 200  # the link leads somewhere she may go

    browser.post("/werk/taal/en", page="/werk/")
    assert "Go to the dashboard</a>" in browser.get("/werk/").get_data(as_text=True)


def test_a_handler_without_a_group_is_still_told_to_ask_the_administrator(app):
    html = _login(app, "zonder", "behandelaar").get("/werk/").get_data(as_text=True)
    assert "Je bent nog geen lid van een behandelaarsgroep" in html
    assert "Naar het dashboard" not in html
