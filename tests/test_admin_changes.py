"""The administration log (/werk/beheer/wijzigingen): every change an administrator makes, who and when."""
from __future__ import annotations

import logging

import pytest

from engine.db import db
from handlers.admin_changes import changes, record_change

from .helpers import Browser, with_password


def test_a_change_is_logged_and_shown_to_the_admin_per_area(app, staff, caplog):
    admin = staff.admin.user
    with caplog.at_level(logging.INFO, logger="meldpunt.admin"):
        record_change("category", "update", "sluikstort", actor=admin.username, user_id=admin.id,
                      detail="Termijn van 3 naar 2 werkdagen", data={"deadline_days": [3, 2]})
        record_change("process", "activate", "melding v1", actor=admin.username, user_id=admin.id)
        db.session.commit()
    assert any("category update sluikstort" in r.getMessage() for r in caplog.records)
    assert [c.subject for c in changes()] == ["melding v1", "sluikstort"]

    browser = Browser(app, admin.username, with_password(admin))
    page = browser.get("/werk/beheer/wijzigingen").get_data(as_text=True)
    assert "Termijn van 3 naar 2 werkdagen" in page and "melding v1" in page and "Categorieën" in page
    only = browser.get("/werk/beheer/wijzigingen?onderdeel=category").get_data(as_text=True)
    assert "sluikstort" in only and "melding v1" not in only
    everything = browser.get("/werk/beheer/wijzigingen?onderdeel=bestaat-niet").get_data(as_text=True)
    assert "sluikstort" in everything and "melding v1" in everything


def test_only_the_admin_reads_the_log(app, staff):
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    assert desk.get("/werk/beheer/wijzigingen").status_code == 403


def test_an_unknown_area_is_a_programming_error(app):
    with pytest.raises(ValueError):
        record_change("iets", "update", "x")
