"""In a real browser (Debian's Chromium via Playwright): the meldkamer dispatches, a handler takes the case,
the lead takes it over, orders work from a contractor, the contractor reports done with a photo through
the portal link, and the lead closes the case."""
from __future__ import annotations

import base64

from sqlalchemy import select

from engine.db import db
from engine.models import Case
from notifications.models import OutboxMessage

from .live_server import chromium, lamp_melding, live_app, login

# A real 1x1 JPEG, as a phone would upload (the portal checks the content, not the name).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEA"
    "AD8AN//Z")


def test_dispatch_take_over_contractor_and_close_in_chromium(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        ref = lamp_melding(app)

        desk = browser.new_context().new_page()
        login(desk, base, "an.meldkamer")
        desk.goto(f"{base}/werk/meldkamer")
        row = desk.locator(f"tr[data-reference='{ref}']")
        assert "Onderhoud openbaar domein" in row.inner_text()
        row.get_by_role("button", name="Doorsturen → Onderhoud openbaar domein").click()
        assert desk.locator(f"tr[data-reference='{ref}']").count() == 0

        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
        bart.locator(f"tr[data-reference='{ref}']").get_by_role("button", name="Opnemen").click()
        assert "Bart Janssens" in bart.locator(f"tr[data-reference='{ref}']").inner_text()

        chris = browser.new_context().new_page()
        login(chris, base, "chris.ood")
        chris.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
        chris.locator(f"tr[data-reference='{ref}']").get_by_role("button", name="Overname").click()
        assert "Chris Maes" in chris.locator(f"tr[data-reference='{ref}']").inner_text()

        chris.goto(f"{base}/werk/dossier/{ref}")
        chris.locator("form[data-task='take_in_handling']").get_by_role("button", name="Opslaan").click()
        assert chris.locator("#case-status").inner_text() == "In behandeling"
        handle = chris.locator("form[data-task='handle']")
        handle.locator("select[name=action]").select_option("order_contractor")
        handle.locator("select[name=contractor]").select_option("aannemer-verlichting")
        handle.locator("textarea[name=instructions]").fill("Lamp vervangen aan paal 12")
        handle.get_by_role("button", name="Opslaan").click()
        assert chris.locator("#case-status").inner_text() == "Uitvoering door een aannemer"

        with app.app_context():
            mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "aannemer_opdracht"))
            portal_url = mail.data["portal_url"]
            db.session.remove()
        contractor = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        contractor.goto(portal_url)
        page_text = contractor.locator("body").inner_text()
        assert "Lamp vervangen aan paal 12" in page_text and "els@voorbeeld.example" not in page_text
        contractor.locator("#form-done summary").click()
        contractor.fill("#done_note", "Lamp vervangen, brandt weer")
        photo = tmp_path / "paal12.jpg"
        photo.write_bytes(JPEG)
        contractor.set_input_files("#photos", str(photo))
        contractor.get_by_role("button", name="Uitgevoerd melden").click()
        assert "uitgevoerd" in contractor.locator("body").inner_text().lower()

        chris.goto(f"{base}/werk/dossier/{ref}")
        assert chris.locator("#case-status").inner_text() == "In behandeling"
        assert "paal12.jpg" in chris.locator("body").inner_text()
        handle = chris.locator("form[data-task='handle']")
        handle.locator("select[name=action]").select_option("close")
        handle.locator("textarea[name=public_text]").fill("De lamp werd vervangen. Bedankt voor uw melding.")
        handle.get_by_role("button", name="Opslaan").click()
        assert chris.locator("#case-status").inner_text() == "Afgesloten"
        timeline = chris.locator("#timeline").inner_text()
        for step in ("Doorgestuurd naar Onderhoud openbaar domein", "Overgenomen van Bart Janssens",
                     "De aannemer meldt dat de werken zijn uitgevoerd.", "De lamp werd vervangen."):
            assert step in timeline, step

        # The contractor's photo stays off the citizen's tracking page until the group publishes it.
        with app.app_context():
            token = db.session.scalar(select(Case.tracking_token).where(Case.reference == ref))
            db.session.remove()
        citizen = browser.new_context().new_page()
        citizen.goto(f"{base}/volg/{token}")
        assert citizen.locator("#photos img").count() == 0
        chris.locator("#files").get_by_role("button", name="Publiek maken").click()
        assert "Foto paal12.jpg is publiek." in chris.locator("body").inner_text()
        assert "Foto paal12.jpg publiek gemaakt" in chris.locator("#timeline").inner_text()
        citizen.reload()
        citizen.wait_for_function("document.querySelector('#photos img') && "
                                  "document.querySelector('#photos img').naturalWidth === 1")
