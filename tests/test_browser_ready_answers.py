"""In Chromium: the admin makes a ready-made answer for a group; a handler of that group picks it on the close
form, edits it and closes the case; the closing text the reporter is sent is the edited one."""
from __future__ import annotations

import json

from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from notifications.models import OutboxMessage

from .live_server import chromium, lamp_melding, live_app, login

ANSWER = "De defecte lamp werd vervangen. Bedankt voor uw melding."
EDITED = "De defecte lamp aan paal 12 werd vervangen. Bedankt voor uw melding."


def test_choose_a_ready_answer_edit_it_and_close(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        ref = lamp_melding(app)

        admin = browser.new_context().new_page()
        login(admin, base, "admin")
        admin.goto(f"{base}/werk/beheer/standaardantwoorden")
        admin.fill("#ra-title", "Lamp vervangen")
        admin.fill("#ra-nl", ANSWER)
        admin.get_by_label("Afsluiten").check()
        admin.select_option("#ra-group", "onderhoud-openbaar-domein")
        admin.get_by_role("button", name="Opslaan").click()
        assert "Standaardantwoord Lamp vervangen bewaard." in admin.locator("body").inner_text()

        desk = browser.new_context().new_page()
        login(desk, base, "an.meldkamer")
        desk.goto(f"{base}/werk/meldkamer")
        desk.locator(f"tr[data-reference='{ref}']").get_by_role(
            "button", name="Doorsturen → Onderhoud openbaar domein").click()
        assert desk.locator(f"tr[data-reference='{ref}']").count() == 0

        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}/werk/dossier/{ref}")
        bart.locator("form[data-task='take_in_handling']").get_by_role("button", name="Opslaan").click()
        assert bart.locator("#case-status").inner_text() == "In behandeling"
        handle = bart.locator("form[data-task='handle']")
        text = handle.locator("textarea[name=public_text]")
        ready = handle.get_by_label("Standaardantwoord").first
        expect(ready).to_be_visible()  # shown by ready_answers.js, a deferred script: wait for it
        assert text.input_value() == ""
        ready.select_option(label="Lamp vervangen")
        assert text.input_value() == ANSWER
        text.fill(EDITED)
        handle.locator("select[name=action]").select_option("close")
        handle.get_by_role("button", name="Opslaan").click()
        assert bart.locator("#case-status").inner_text() == "Afgesloten"
        assert EDITED in bart.locator("#timeline").inner_text()

        with app.app_context():
            case_id = db.session.scalar(select(Case.id).where(Case.reference == ref))
            mails = [json.dumps(m.data, ensure_ascii=False) for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.case_id == case_id,
                                            OutboxMessage.recipient == "els@voorbeeld.example"))]
            db.session.remove()
        closing = [m for m in mails if "paal 12 werd vervangen" in m]
        assert closing, mails
        assert not any(ANSWER in m for m in mails)
