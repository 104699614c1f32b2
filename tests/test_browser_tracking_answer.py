"""In real Chromium: the handler asks the reporter a question on the case page, the citizen answers on the
tracking page on a phone with a photo, and the work is back in the handler's queue marked "antwoord ontvangen"
with the photo on the case; and an anonymous melding from the phone, with its reference and tracking link.
Every state of these pages passes axe-core (WCAG 2.1 AA)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case

from .axe import assert_no_axe_violations
from .images import phone_jpeg
from .live_server import chromium, lamp_melding, live_app, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
QUEUE = "/werk/wachtrij/onderhoud-openbaar-domein"


def tracking_path(app, ref: str) -> str:
    with app.app_context():
        token = db.session.scalar(select(Case.tracking_token).where(Case.reference == ref))
        db.session.remove()
    return f"/volg/{token}"


def test_a_question_asked_on_the_case_page_is_answered_on_a_phone_and_comes_back_with_the_photo(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        ref = lamp_melding(app)
        desk = browser.new_context().new_page()
        login(desk, base, "an.meldkamer")
        desk.goto(f"{base}/werk/meldkamer")
        desk.locator(f"tr[data-reference='{ref}']").get_by_role(
            "button", name="Doorsturen → Onderhoud openbaar domein").click()
        expect(desk.locator(f"tr[data-reference='{ref}']")).to_have_count(0)

        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}{QUEUE}")
        bart.locator(f"tr[data-reference='{ref}']").get_by_role("button", name="Opnemen").click()
        bart.goto(f"{base}/werk/dossier/{ref}")
        bart.locator("form[data-task='take_in_handling']").get_by_role("button", name="Opslaan").click()
        expect(bart.locator("#case-status")).to_have_text("In behandeling")
        handle = bart.locator("form[data-task='handle']")
        handle.locator("select[name=action]").select_option("request_info")
        handle.locator("textarea[name=question]").fill("Aan welke paal hangt de lamp? Het nummer staat op de paal.")
        handle.get_by_role("button", name="Opslaan").click()
        expect(bart.locator("#case-status")).to_have_text("Wacht op uw reactie")

        # The citizen, on a phone, from the link in the question mail.
        phone = browser.new_context(**PHONE).new_page()
        path = tracking_path(app, ref)
        phone.goto(base + path)
        question = phone.locator("#question")
        expect(question).to_contain_text("Aan welke paal hangt de lamp?")
        expect(phone.locator("#tracked-category")).to_contain_text("Straatlamp kapot")
        expect(phone.locator("#tracked-place")).to_have_text("Bruul 12, 2800 Mechelen")
        expect(phone.locator("#tracking-map.leaflet-container")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing sideways
        assert "Els" not in phone.locator("main").inner_text() and "els@" not in phone.content()
        phone.wait_for_load_state("networkidle")
        assert_no_axe_violations(phone, context="volgpagina met een vraag (gsm)")

        stale = browser.new_context(**PHONE).new_page()  # a second tab, left open
        stale.goto(base + path)
        expect(stale.locator("#question")).to_be_visible()

        # Too long first (pasted past the field's maxlength, as a script could): the message, and the text stays.
        phone.evaluate("document.getElementById('answer').value = 'x'.repeat(4001)")
        phone.get_by_role("button", name="Antwoord versturen").click()
        expect(phone.locator("#error-antwoord")).to_contain_text("Uw antwoord is te lang: 4001 tekens")
        expect(phone.locator("#answer")).to_have_value("x" * 4001)
        assert_no_axe_violations(phone, context="volgpagina met een fout in het antwoord (gsm)")

        phone.fill("#answer", "Paal 1234, naast de bushalte.")
        phone.set_input_files("#answer-photos", files=[{"name": "paal.jpg", "mimeType": "image/jpeg",
                                                        "buffer": phone_jpeg(800, 600)}])
        phone.get_by_role("button", name="Antwoord versturen").click()
        expect(phone.locator("h1")).to_have_text("Bedankt voor uw antwoord")
        assert_no_axe_violations(phone, context="bedankt voor uw antwoord (gsm)")
        phone.get_by_role("link", name="Terug naar de volgpagina van uw melding").click()
        expect(phone.locator("h1")).to_contain_text(ref)
        expect(phone.locator("#question")).to_have_count(0)

        # Back in Bart's queue, marked, with the photo on the case.
        bart.goto(f"{base}{QUEUE}")
        row = bart.locator(f"tr[data-reference='{ref}']")
        expect(row).to_contain_text("antwoord ontvangen")
        expect(row).to_contain_text("Bart")
        bart.goto(f"{base}/werk/dossier/{ref}")
        expect(bart.locator("#timeline")).to_contain_text("Paal 1234, naast de bushalte.")
        photo = bart.locator("#files").get_by_role("link", name="paal.jpg")
        expect(photo).to_be_visible()
        response = bart.request.get(base + photo.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
        assert response.body()[:3] == b"\xff\xd8\xff"

        # The second tab answers too: a clear page, and the text typed is still there to copy.
        stale.fill("#answer", "Of toch paal 1235?")
        stale.get_by_role("button", name="Antwoord versturen").click()
        expect(stale.locator("h1")).to_have_text("U hebt deze vraag al beantwoord")
        expect(stale.locator("#typed")).to_have_value("Of toch paal 1235?")
        assert_no_axe_violations(stale, context="vraag al beantwoord (gsm)")
        for context in (desk.context, bart.context, phone.context, stale.context):
            context.close()


def test_an_anonymous_melding_from_a_phone_gets_its_reference_and_tracking_link(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        phone = browser.new_context(**PHONE).new_page()
        phone.goto(f"{base}/melden?categorie=straatlamp-defect")
        expect(phone.locator("#anonymous-hint")).to_contain_text("U mag ook anoniem melden")
        phone.fill("#address", "Bruul 12, 2800 Mechelen")
        phone.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
        phone.get_by_role("button", name="Melding versturen").click()
        expect(phone.locator("h1")).to_have_text("Bedankt voor uw melding")
        expect(phone.locator("#anonymous-notice")).to_contain_text("U meldde anoniem")
        reference = phone.locator("#reference").inner_text()
        assert re.fullmatch(r"M\d{4}-\d{6}", reference)
        phone.wait_for_load_state("networkidle")
        assert_no_axe_violations(phone, context="bevestiging van een anonieme melding (gsm)")
        phone.locator("#tracking-link").click()
        expect(phone.locator("h1")).to_contain_text(reference)
        expect(phone.locator("#tracked-category")).to_contain_text("Straatlamp kapot")
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert case.anonymous and case.reporter is None
            db.session.remove()
        phone.wait_for_load_state("networkidle")
        assert_no_axe_violations(phone, context="volgpagina van een anonieme melding (gsm)")
        phone.context.close()
