"""The first line's contact page (/werk/contact) in real Chromium during a call: find the caller as you type and see
their earlier melding, register a melding by phone (receipt mail over SMTP), a question answered at once, a warm
handover that lands in the group's queue, the whole registration with the keyboard only, and a draft that survives
a session timing out mid-call."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.contact_models import Contact
from notifications.sender import send_due

from .live_server import chromium, lamp_melding, live_app, login

OOD = "onderhoud-openbaar-domein"
ANSWER = "Dat kan online via het e-loket, of hier aan de balie. Tot straks!"


def _contact_page(page, base: str) -> None:
    page.get_by_role("link", name="Contact registreren").click()
    expect(page.locator("#q")).to_be_focused()  # the search box has the focus: the caller talks first


def _flash(page) -> str:
    notice = page.locator("p.flash[role=status]").first
    expect(notice).to_be_visible()
    return notice.inner_text()


def test_phone_call_finds_the_caller_shows_their_melding_and_registers_a_new_melding(tmp_path, smtp_server):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        app.config.update(smtp_server.config())
        earlier = lamp_melding(app)  # Els reported the street light before
        page = browser.new_context().new_page()
        login(page, base, "eva.onthaal")
        _contact_page(page, base)

        page.locator("#q").press_sequentially("els@voorbeeld")
        person = page.locator("#results section.person")
        expect(person).to_have_count(1)
        expect(person.locator("h3")).to_have_text("Els")
        expect(person.locator("li.found-case")).to_contain_text(f"{earlier} Ontvangen · Straatlamp kapot · Bruul 12")
        person.get_by_role("link", name="Kies als beller").click()
        expect(page.locator("#chosen-name")).to_have_text("Els · els@voorbeeld.example")
        expect(page.locator("#question")).to_be_focused()
        expect(page.locator("#name")).to_be_hidden()  # a chosen caller needs no new data

        page.fill("#question", "Grote put in het fietspad aan de Bruul")
        page.select_option("#topic", "fietspad")
        page.get_by_label("Melding gemaakt").check()
        expect(page.locator("#melding_description")).to_have_value("Grote put in het fietspad aan de Bruul")
        expect(page.locator("#melding_category")).to_have_value("fietspad")  # the topic is a category
        expect(page.locator("#answer")).to_be_hidden()
        page.fill("#melding_address", "Bruul 3, 2800 Mechelen")
        page.get_by_role("button", name="Contact registreren").click()

        notice = _flash(page)
        match = re.search(r"melding (M\d{4}-\d{6}) gemaakt", notice)
        assert match, notice
        reference = match.group(1)
        expect(page.locator(".contact-recent")).to_contain_text("Grote put in het fietspad aan de Bruul")
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert (case.channel, case.category.key, case.address, case.reporter.email) == (
                "telefoon", "fietspad", "Bruul 3, 2800 Mechelen", "els@voorbeeld.example")
            earlier_reporter = db.session.scalar(select(Case.reporter_id).where(Case.reference == earlier))
            assert case.reporter_id == earlier_reporter  # one citizen, one history
            report = send_due()
            db.session.remove()
        assert report.sent >= 1, report
        receipts = [m for m in smtp_server.messages
                    if "els@voorbeeld.example" in m.rcpt_tos and reference in m.part("text/plain")]
        assert len(receipts) == 1

        # The next call of Els: both meldingen and the contact are in her history
        page.locator("#q").fill("els@voorbeeld")
        expect(page.locator("#results li.found-case")).to_have_count(2)
        expect(page.locator("#results li.found-contact")).to_contain_text("Grote put in het fietspad")


def test_a_question_answered_at_once(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        page = browser.new_context().new_page()
        login(page, base, "an.meldkamer")
        _contact_page(page, base)
        page.locator("#q").press_sequentially("Jan Claes")
        expect(page.locator("#no-results")).to_be_visible()
        page.select_option("#channel", "balie")
        page.fill("#name", "Jan Claes")
        page.fill("#phone", "015 20 30 40")
        page.fill("#question", "Openingsuren van het containerpark")
        page.select_option("#topic", "afval")
        page.fill("#answer", "Dinsdag tot zaterdag van 9 tot 17 uur.")
        page.get_by_role("button", name="Contact registreren").click()
        assert "Contact geregistreerd: meteen beantwoord." in _flash(page)
        expect(page.locator("#question")).to_have_value("")  # a fresh form for the next call
        expect(page.locator("#draft-restored")).to_be_hidden()
        expect(page.locator(".contact-recent")).to_contain_text("Openingsuren van het containerpark")
        with app.app_context():
            contact = db.session.scalar(select(Contact))
            assert (contact.channel, contact.outcome, contact.topic_key, contact.case_id, contact.taken_by_name) == (
                "balie", "answered", "afval", None, "An Peeters")
            assert contact.reporter.phone == "015 20 30 40"
            db.session.remove()

        page.locator("#q").fill("015/20.30.40")  # found again by the digits of the number
        expect(page.locator("#results section.person h3")).to_have_text("Jan Claes")
        expect(page.locator("#results li.found-contact")).to_contain_text("Meteen beantwoord")


def test_a_warm_handover_lands_in_the_groups_queue(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        eva = browser.new_context().new_page()
        login(eva, base, "eva.onthaal")
        _contact_page(eva, base)
        eva.fill("#name", "Mia Jacobs")
        eva.fill("#phone", "0499 11 22 33")
        eva.fill("#question", "Tak van de kastanje hangt boven het speelplein")
        eva.select_option("#topic", "boom-gevaarlijk")
        eva.get_by_label("Overgedragen aan een dienst").check()
        eva.select_option("#group", OOD)
        eva.fill("#handover_note", "Mevrouw is ongerust; graag vandaag terugbellen.")
        eva.get_by_role("button", name="Contact registreren").click()
        notice = _flash(eva)
        match = re.search(r"overgedragen aan Onderhoud openbaar domein \((C\d{4}-\d{6})\)", notice)
        assert match, notice
        reference = match.group(1)

        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}/werk/wachtrij/{OOD}")
        row = bart.locator(f"tr[data-reference='{reference}']")
        expect(row).to_be_visible()
        row.get_by_role("link", name="Overzicht").click()
        timeline = bart.locator("#timeline")
        expect(timeline).to_contain_text("Mevrouw is ongerust; graag vandaag terugbellen.")
        expect(timeline).to_contain_text("Eva Wouters")  # who took the call
        expect(bart.locator("body")).to_contain_text("Mia Jacobs")


def _tab_to(page, selector: str, most: int = 12) -> None:
    """Press Tab until the element has the focus (keyboard only; fails when it is not reachable)."""
    for _ in range(most):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    assert page.evaluate("s => document.activeElement === document.querySelector(s)", selector), selector


def test_the_whole_registration_with_the_keyboard_only(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        earlier = lamp_melding(app)
        page = browser.new_context().new_page()
        login(page, base, "eva.onthaal")
        page.goto(f"{base}/werk/contact")
        expect(page.locator("#q")).to_be_focused()
        keys = page.keyboard
        keys.type("els@voor")
        expect(page.locator("#results section.person")).to_have_count(1)
        keys.press("Tab")
        expect(page.locator("#results a.choose")).to_be_focused()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), "the focus must be visible"
        keys.press("Enter")
        expect(page.locator("#question")).to_be_focused()
        keys.type("Lamp aan paal 12 brandt nog altijd niet")
        keys.press("Tab")
        expect(page.locator("#topic")).to_be_focused()
        keys.type("Andere")  # type-ahead in the closed select: "Andere vraag"
        expect(page.locator("#topic")).to_have_value("andere")
        keys.press("Tab")
        expect(page.locator("#outcome-answered")).to_be_focused()
        for _ in range(3):
            keys.press("ArrowDown")  # answered -> melding -> handover -> existing case
        expect(page.locator("#outcome-existing_case")).to_be_checked()
        _tab_to(page, "#case")
        keys.type(earlier)
        keys.press("Tab")
        expect(page.locator("#case_note")).to_be_focused()
        keys.type("Nu ook de lamp aan paal 13.")
        keys.press("Control+Enter")
        assert f"toegevoegd aan dossier {earlier}" in _flash(page)
        with app.app_context():
            contact = db.session.scalar(select(Contact))
            assert (contact.outcome, contact.case.reference, contact.note, contact.reporter.email) == (
                "existing_case", earlier, "Nu ook de lamp aan paal 13.", "els@voorbeeld.example")
            db.session.remove()

        # Enter in a one-line field sends as well; the mistake comes back tied to its field, with the focus there
        page.goto(f"{base}/werk/contact")
        expect(page.locator("#q")).to_be_focused()
        _tab_to(page, "#question", most=20)
        keys.type("Waar is het containerpark?")
        keys.press("Enter")
        error = page.locator("#err-topic")
        expect(error).to_contain_text("Kies een onderwerp")
        expect(page.locator("#topic")).to_have_attribute("aria-describedby", "err-topic")
        expect(page.locator("#topic")).to_be_focused()  # the first field to correct
        expect(page.locator("#question")).to_have_value("Waar is het containerpark?")


def _log_in_again_and_find_the_draft(page, app, base: str) -> None:
    expect(page.locator("input[name=username]")).to_be_visible()  # the session ended: log in again
    expect(page.locator("p.flash").first).to_contain_text("meld je opnieuw aan")
    with app.app_context():
        assert db.session.scalar(select(Contact)) is None  # nothing registered without a session
        db.session.remove()
    page.fill("input[name=username]", "eva.onthaal")
    page.fill("input[name=password]", "meldpunt-demo")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/werk/contact")  # back to the page, with the draft
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Mia Jacobs")
    expect(page.locator("#question")).to_have_value("Parkeerkaart voor bewoners aanvragen")
    expect(page.locator("#answer")).to_have_value(re.compile(r"^Dat kan online via het e-loket, of hier aan de "
                                                             r"balie\."))


def test_the_draft_survives_a_session_that_times_out_mid_call(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        page = browser.new_context().new_page()
        login(page, base, "eva.onthaal")
        _contact_page(page, base)
        page.fill("#name", "Mia Jacobs")
        page.fill("#question", "Parkeerkaart voor bewoners aanvragen")
        page.select_option("#topic", "parkeren")
        page.fill("#answer", "Dat kan online via het e-loket.")

        page.reload()  # the draft is kept in this browser
        expect(page.locator("#draft-restored")).to_be_visible()
        expect(page.locator("#question")).to_have_value("Parkeerkaart voor bewoners aanvragen")
        expect(page.locator("#topic")).to_have_value("parkeren")

        lifetime = app.permanent_session_lifetime
        app.permanent_session_lifetime = timedelta(seconds=1)
        page.fill("#answer", "Dat kan online via het e-loket, of hier aan de balie.")
        page.wait_for_timeout(2500)  # idle longer than the session may be: the server ends it
        page.get_by_role("button", name="Contact registreren").click()
        expect(page.locator("input[name=username]")).to_be_visible()
        app.permanent_session_lifetime = lifetime
        _log_in_again_and_find_the_draft(page, app, base)
        page.fill("#answer", ANSWER)

        page.context.clear_cookies()  # the browser dropped the expired cookie (and the CSRF secret with it)
        page.get_by_role("button", name="Contact registreren").click()
        _log_in_again_and_find_the_draft(page, app, base)
        expect(page.locator("#answer")).to_have_value(ANSWER)
        page.get_by_role("button", name="Contact registreren").click()
        assert "Contact geregistreerd: meteen beantwoord." in _flash(page)
        page.reload()  # saved: the draft is gone
        expect(page.locator("#question")).to_have_value("")
        expect(page.locator("#draft-restored")).to_be_hidden()
        with app.app_context():
            contact = db.session.scalar(select(Contact))
            assert (contact.reporter.name, contact.answer) == ("Mia Jacobs", ANSWER)
            db.session.remove()
