"""In real Chromium: a citizen sends the report, goes back with the browser's back button and sends it again.
One melding is made, and the second send shows its confirmation with "Deze melding was al verstuurd"."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.db import db
from engine.models import Case

from .live_server import chromium, live_app


def test_back_button_and_send_again_makes_no_second_melding(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        page = browser.new_context().new_page()
        page.goto(f"{base}/melden?categorie=straatlamp-defect")
        page.fill("#address", "Bruul 12, 2800 Mechelen")
        page.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        reference = page.locator("#reference").inner_text().strip()
        assert page.locator("#sent-before").count() == 0

        page.go_back()  # the form as the citizen left it
        assert page.locator("#description").input_value() == "De straatlamp aan paal 12 brandt al een week niet."
        assert reference in page.locator("#form-sent-before").inner_text()
        page.get_by_role("button", name="Melding versturen").click()

        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        assert page.locator("#reference").inner_text().strip() == reference
        assert "Deze melding was al verstuurd." in page.locator("#sent-before").inner_text()
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Case)) == 1
            db.session.remove()

        # A new report from the link on the confirmation page is a new melding.
        page.get_by_role("link", name="Nog een probleem melden").click()
        page.goto(f"{base}/melden?categorie=straatlamp-defect")
        page.fill("#address", "Bruul 14, 2800 Mechelen")
        page.fill("#description", "Ook de lamp aan paal 14 brandt niet meer.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert page.locator("#reference").inner_text().strip() != reference
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Case)) == 2
            db.session.remove()
