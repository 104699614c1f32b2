"""A reporter's address that bounced: no more status mails to it, the case page says so, giving it again clears it."""
from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import select

from engine.db import db
from engine.models import Reporter
from handlers.models import User
from intake.mail_intake import take_in
from notifications.models import OutboxMessage

from .helpers import Browser, with_password

BOUNCE = Path(__file__).parent / "data" / "mail" / "bounce-van-onze-mail.eml.tmpl"
ADDRESS = "els@voorbeeld.example"


def _mails(template: str) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.template == template)))


def _bounce_receipt(ref: str) -> None:
    """The receipt went out and came back: the real mail intake takes in the bounce."""
    receipt = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "ontvangen"))
    receipt.message_id, receipt.status = "<receipt.77@stad.example>", "sent"
    db.session.commit()
    bounce = BOUNCE.read_text().format(recipient=ADDRESS, message_id=receipt.message_id, subject=f"Uw melding {ref}")
    assert take_in(bounce.encode()).outcome == "bounce"


def _desk_browser(app, staff) -> Browser:
    return Browser(app, "an", with_password(db.session.scalar(select(User).where(User.username == "an"))))


def test_a_bounced_address_gets_no_more_status_mails_and_the_timeline_says_why(app, staff):
    ref = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    with freeze_time("2026-11-30 10:00:00"):
        _bounce_receipt(ref)

    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")

    assert _mails("in_behandeling") == []
    notes = [e.get("note") or "" for e in staff.meldkamer.case(ref)["timeline"]]
    assert ("Mail 'in_behandeling' niet verstuurd aan de melder: e-mailadres werkt niet (bounce op 30/11/2026)"
            in notes)
    page = _desk_browser(app, staff).get(f"/werk/dossier/{ref}").get_data(as_text=True)
    contact = page[page.index("<h2>Melder</h2>"):]
    assert ADDRESS in contact and "Dit e-mailadres werkt niet (bounce op 30/11/2026)" in contact


def test_giving_the_address_again_on_a_new_melding_confirms_it(app, staff):
    ref = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    _bounce_receipt(ref)
    assert db.session.scalar(select(Reporter).where(Reporter.email == ADDRESS)).email_failed_at is not None

    second = staff.meldkamer.file_melding("Nog een lamp kapot", email=ADDRESS.upper())["reference"]

    db.session.expire_all()
    assert db.session.scalar(select(Reporter).where(Reporter.email == ADDRESS)).email_failed_at is None
    assert _mails("ontvangen").count(ADDRESS) == 2  # the new melding's receipt goes out again
    for reference in (ref, second):
        page = _desk_browser(app, staff).get(f"/werk/dossier/{reference}").get_data(as_text=True)
        assert ADDRESS in page and 'id="email-failing"' not in page
