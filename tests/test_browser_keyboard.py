"""The report form with the keyboard alone, in real Chromium (Debian's, via Playwright).

A citizen who cannot use a mouse goes from the start page to the confirmation with Tab, typing, the arrow keys,
Space and Enter only: searches the category, chooses it, passes the map without being caught in it (it has a
name, and Enter puts the pin in its centre), picks an address suggestion, types the description and e-mail,
sends, and follows the tracking link. Every control on the form, and on the staff's queue and case page, is
reached by Tab.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case

from .keyboard import active, settle, tab_to, unreachable_by_tab
from .live_server import chromium, lamp_melding, live_app, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESCRIPTION = "De straatlamp aan paal 12 brandt al een week niet."


def test_a_citizen_reports_with_the_keyboard_alone(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{base}/melden")
        settle(page)

        tab_to(page, "#zoek")
        page.keyboard.type("lamp kapot")
        page.keyboard.press("Enter")
        expect(page.locator("#results")).to_be_visible()
        tab_to(page, "#results input[type=radio]")  # the group of choices is one stop; the arrows choose
        for _ in range(10):
            if page.evaluate("document.activeElement.closest('label').textContent").startswith("Straatlamp kapot"):
                break
            page.keyboard.press("ArrowDown")
        assert page.get_by_label("Straatlamp kapot").is_checked()
        tab_to(page, "#results button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.locator("#chosen-category")).to_have_text("Straatlamp kapot")
        settle(page)

        # The map: a named region the keyboard passes through; Enter puts the pin in its centre.
        expect(page.locator("#report-map.leaflet-container")).to_be_visible()
        tab_to(page, "#report-map")
        assert page.locator("#report-map").get_attribute("aria-label") == "Kaart: duid de plaats van het probleem aan"
        page.keyboard.press("Enter")
        expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
        expect(page.locator("#lat")).not_to_have_value("")
        # Tab goes on out of the map (past its zoom buttons, the pin and the credits): no trap.
        tab_to(page, "#use-my-location", max_tabs=15)

        # The address: typed, a suggestion chosen with the arrow key and Enter.
        tab_to(page, "#address")
        page.keyboard.press("Control+A")
        page.keyboard.type("Bruul 12")
        suggestion = page.locator("#address-suggestions button").first
        expect(suggestion).to_be_visible()
        page.keyboard.press("ArrowDown")
        assert active(page)["what"].startswith("button")
        page.keyboard.press("Enter")
        expect(page.locator("#address")).to_have_value("Bruul 12, 2800 Mechelen")
        assert active(page)["id"] == "address"

        tab_to(page, "#description")
        page.keyboard.type(DESCRIPTION)
        tab_to(page, "#email")
        page.keyboard.type("els@voorbeeld.example")
        tab_to(page, "#name")
        page.keyboard.type("Els Peeters")
        tab_to(page, "#send")
        page.keyboard.press("Enter")

        expect(page.locator("h1")).to_have_text("Bedankt voor uw melding")
        reference = page.locator("#reference").inner_text().strip()
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert case.description == DESCRIPTION and case.category.key == "straatlamp-defect"
            assert case.reporter.email == "els@voorbeeld.example" and case.lat is not None
            db.session.remove()

        tab_to(page, "#tracking-link")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text(f"Melding {reference}")


def test_every_control_of_the_form_is_reached_by_tab(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{base}/melden?categorie=straatlamp-defect")
        settle(page)
        assert unreachable_by_tab(page) == []
        page.keyboard.press("Shift+Tab")  # and back out of the form's end without being stuck
        assert active(page) is not None


def test_the_staff_queue_and_case_page_work_by_keyboard(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        reference = lamp_melding(app)
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        login(desk, base, "an.meldkamer")
        desk.goto(f"{base}/werk/meldkamer")
        settle(desk)
        assert unreachable_by_tab(desk) == []
        # Dispatch with the keyboard: Tab to the row's button and press Enter.
        desk.goto(f"{base}/werk/meldkamer")
        tab_to(desk, f"tr[data-reference='{reference}'] button", max_tabs=120)
        desk.keyboard.press("Enter")
        expect(desk.locator(f"tr[data-reference='{reference}']")).to_have_count(0)

        bart = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
        settle(bart)
        assert unreachable_by_tab(bart) == []
        bart.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
        tab_to(bart, f"tr[data-reference='{reference}'] button", max_tabs=120)
        bart.keyboard.press("Enter")
        expect(bart.locator(f"tr[data-reference='{reference}']")).to_contain_text("Bart Janssens")

        bart.goto(f"{base}/werk/dossier/{reference}")
        settle(bart)
        assert unreachable_by_tab(bart) == []
        bart.goto(f"{base}/werk/dossier/{reference}")
        settle(bart)
        tab_to(bart, "form[data-task='take_in_handling'] button[type=submit]", max_tabs=200)
        bart.keyboard.press("Enter")
        expect(bart.locator("#case-status")).to_have_text("In behandeling")
