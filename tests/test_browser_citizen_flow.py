"""In a real browser (Debian's Chromium via Playwright) on a phone-sized screen: a citizen finds the category
in plain words, reports with a photo, follows the case, gets the mails over real SMTP and, unhappy with the
closing, asks through the feedback link to reopen it."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseFile, WorkItem
from engine.task_completion import complete_work_item
from handlers.models import User
from notifications.models import OutboxMessage
from notifications.sender import send_due

from .live_server import chromium, live_app
from .test_public_form import JPEG

PHONE = {"width": 390, "height": 844}


def complete(reference: str, task: str, username: str, form: dict) -> None:
    """Complete the open work item `task` of a case as one of the demo users (in an app context)."""
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == task,
                                                    WorkItem.status == "open"))
    assert item is not None, f"no open work item '{task}'"
    user = db.session.scalar(select(User).where(User.username == username))
    complete_work_item(item.id, user, form)


def test_citizen_reports_on_a_phone_follows_it_and_asks_to_reopen(tmp_path, smtp_server):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        app.config.update(smtp_server.config())
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

        page.goto(f"{base}/melden")
        page.fill("#zoek", "lamp kapot")
        page.get_by_role("button", name="Zoeken").click()
        page.get_by_label("Straatlamp kapot").check()
        page.get_by_role("button", name="Verder").click()
        assert page.locator("#chosen-category").inner_text() == "Straatlamp kapot"
        # the form fits the phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.fill("#address", "Bruul 12, 2800 Mechelen")
        page.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
        photo = tmp_path / "paal12.jpg"
        photo.write_bytes(JPEG)
        page.set_input_files("#photos", str(photo))
        page.fill("#email", "els@voorbeeld.example")
        page.fill("#name", "Els Peeters")
        page.get_by_role("button", name="Melding versturen").click()

        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        reference = page.locator("#reference").inner_text().strip()
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert case.channel == "web" and case.category.key == "straatlamp-defect"
            photo = db.session.scalar(select(CaseFile).where(CaseFile.case_id == case.id))
            assert not photo.public and photo.stripped  # kept without metadata; public only once staff decide
            tracking = f"{base}/volg/{case.tracking_token}"
            db.session.remove()
        assert page.locator("#tracking-link").get_attribute("href") == tracking

        page.locator("#tracking-link").click()
        tracking_text = page.locator("body").inner_text()
        assert reference in tracking_text and "Ontvangen" in tracking_text
        assert page.locator("#photos img").count() == 0

        with app.app_context():  # the receipt mail over SMTP
            report = send_due()
            db.session.remove()
        assert report.sent >= 1, report
        receipt = [m for m in smtp_server.messages if "els@voorbeeld.example" in m.rcpt_tos]
        assert len(receipt) == 1
        body = receipt[0].part("text/plain")
        assert reference in body and tracking in body

        with app.app_context():  # the city works the case and closes it
            complete(reference, "triage", "an.meldkamer", {"decision": "dispatch"})
            complete(reference, "take_in_handling", "bart.ood", {})
            complete(reference, "handle", "bart.ood",
                     {"action": "close", "public_text": "De lamp werd vervangen. Bedankt voor uw melding."})
            db.session.remove()
            send_due()
            closing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "afgesloten"))
            assert closing.status == "sent"
            no_url = closing.data["feedback_no_url"]
            db.session.remove()
        assert no_url.startswith(f"{base}/feedback/")
        closing_mails = [m for m in smtp_server.messages if reference in m.part("text/plain")]
        assert any(no_url in m.part("text/plain") for m in closing_mails)

        page.goto(no_url)
        assert "De lamp werd vervangen." in page.locator("#closing-text").inner_text()
        page.get_by_label("Probleem is niet opgelost").check()
        page.fill("#opmerking", "De lamp brandt nog altijd niet.")
        page.get_by_role("button", name="Versturen").click()
        assert "Bedankt voor uw mening" in page.locator("h1").inner_text()

        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert case.status == "heropenverzoek"
            db.session.remove()
