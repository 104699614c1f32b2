"""Reporter privacy: anonymising personal data a configurable number of months after closing, the data export
for a data request, and the admin page that does both."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, Reporter
from handlers.files import storage_root, store_file
from handlers.privacy import SCRUBBED, anonymise_due, scrub_text
from handlers.privacy_export import export_reporter
from notifications.models import OutboxMessage

from .channels import give_feedback, reply_by_mail
from .helpers import Browser, with_password
from .images import png

PNG = png()
ELS = {"name": "Els Peeters", "email": "els.peeters@voorbeeld.example", "phone": "0470 12 34 56"}
BRAM = {"name": "Bram Janssens", "email": "bram.janssens@voorbeeld.example", "phone": "015 20 30 40"}
DESCRIPTION = ("Straatlamp brandt niet aan Bruul 12, 2800 Mechelen. Bel mij gerust op 0470/12.34.56 of mail "
               "naar els.peeters@voorbeeld.example. Groeten, Els Peeters")
REACTION = "Het is paal 1234, voor de deur van mijn buurman Jan"
COMMENT = "Heel snel geholpen, merci! Mijn gsm is +32 470 12 34 56"


def fresh() -> None:
    """Forget what the test's session holds: the app wrote through other sessions."""
    db.session.rollback()
    db.session.expire_all()


def case_row(reference: str) -> Case:
    return db.session.scalar(select(Case).where(Case.reference == reference))


def close_with_everything(staff, reporter: dict = ELS, description: str = DESCRIPTION) -> str:
    """A closed melding with a photo from the reporter, a reaction, a feedback comment; mails marked sent."""
    ref = staff.meldkamer.file_melding(description, reporter=reporter)["reference"]
    fresh()
    store_file(case_row(ref), PNG, "mijn-straat.png", source="melder", uploaded_by="melder")
    db.session.commit()
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Welk paalnummer?"})
    assert reply_by_mail(ref, REACTION, sender=reporter["email"]).outcome == "added_to_case"
    staff.ood.complete(ref, "handle", {"action": "close",
                                       "public_text": "Beste Els Peeters, de lamp werd vervangen."})
    assert give_feedback(None, ref, True, comment=COMMENT).status_code == 200
    fresh()
    assert case_row(ref).status == "afgesloten" and case_row(ref).closed_at is not None
    mark_mails_sent()
    return ref


def mark_mails_sent() -> None:
    fresh()
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
        message.status, message.sent_at = "sent", utcnow()
    db.session.commit()


def open_melding(staff, reporter: dict) -> str:
    ref = staff.meldkamer.file_melding("Zwerfvuil aan de Vismarkt", reporter=reporter)["reference"]
    mark_mails_sent()
    return ref


def reporter_of(reference: str) -> Reporter:
    return case_row(reference).reporter


def events(reference: str, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_row(reference).id,
                                                          CaseEvent.kind == kind).order_by(CaseEvent.id)))


def melder_files(reference: str) -> list[CaseFile]:
    return list(db.session.scalars(select(CaseFile).where(CaseFile.case_id == case_row(reference).id)))


def test_scrub_text_removes_email_phone_and_name_but_keeps_addresses_and_dates():
    text = "Els Peeters (els@x.example, 0470 12 34 56, +32 15 20 30 40) zag het op 12/03/2024 aan Bruul 12, 2800."
    out = scrub_text(text, ("els peeters",))
    assert "els@x.example" not in out and "0470" not in out and "+32" not in out and "Peeters" not in out
    assert "12/03/2024" in out and "Bruul 12, 2800" in out


def test_closed_case_is_anonymised_after_the_period_and_not_before(app, staff):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    ref = close_with_everything(staff)
    photo = storage_root() / melder_files(ref)[0].storage_key
    assert photo.exists()
    closed_at = case_row(ref).closed_at
    assert case_row(ref).completed and COMMENT in case_row(ref).state  # the process data held it too

    with freeze_time(closed_at + timedelta(days=5 * 30)):
        report = anonymise_due()
    fresh()
    assert report.cases == 0 and report.months == 6
    assert reporter_of(ref).email == ELS["email"] and photo.exists()

    with freeze_time(closed_at + timedelta(days=6 * 31 + 1)):
        report = anonymise_due()
    fresh()
    # The reporter's photo and their reply mail (kept whole, as .eml, when it came in).
    assert (report.reporters, report.cases, report.files, report.deferred) == (1, 1, 2, 0)
    assert report.outbox >= 2 and report.texts >= 4
    person = reporter_of(ref)
    assert person is not None and (person.name, person.email, person.phone) == (None, None, None)
    case = case_row(ref)
    assert "Straatlamp brandt niet aan Bruul 12, 2800 Mechelen" in case.description  # the melding stays
    for secret in ("0470", "els.peeters@", "Els Peeters"):
        assert secret not in case.description
    assert not photo.exists() and melder_files(ref) == []
    assert [e.note for e in events(ref, "feedback")] == [SCRUBBED]
    payloads = [e.data["payload"] for e in events(ref, "message")]
    assert {"text": SCRUBBED} in payloads and any(p.get("comment") == SCRUBBED for p in payloads)
    assert "Els Peeters" not in (events(ref, "closed")[0].text or "")
    assert REACTION not in case.state and COMMENT not in case.state and ELS["email"] not in case.state
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)))
    to_reporter = [m for m in mails if m.recipient_kind == "melder"]
    assert to_reporter and all(m.recipient == SCRUBBED and not m.data.get("name") for m in to_reporter)
    # The mail telling the handler the answer came back holds nothing of the reporter to scrub.
    assert all("Els" not in str(m.data) for m in mails if m.recipient_kind == "medewerker")
    anonymised = events(ref, "anonymised")
    assert len(anonymised) == 1 and not anonymised[0].public
    assert anonymised[0].data["process_data"] == "opgeschoond"
    assert staff.ood.case(ref)["status"] == "afgesloten"  # the case still reads fine
    from engine.runtime import SERIALIZER

    assert SERIALIZER.deserialize_json(case.state).is_completed()  # and so does its process state

    # running again changes nothing more
    with freeze_time(closed_at + timedelta(days=400)):
        again = anonymise_due()
    fresh()
    assert (again.reporters, again.cases, again.texts, again.outbox, again.files) == (0, 0, 0, 0, 0)
    assert len(events(ref, "anonymised")) == 1


def test_reporter_with_an_open_case_is_untouched(app, staff):
    closed = close_with_everything(staff)
    still_open = open_melding(staff, ELS)  # same e-mail: the same reporter
    other = close_with_everything(staff, BRAM, "Put in het fietspad aan de Vest, bel 015 20 30 40")
    fresh()
    report = anonymise_due(now=utcnow() + timedelta(days=800), months=12)
    fresh()
    assert (report.reporters, report.cases) == (1, 1)
    assert reporter_of(closed).email == ELS["email"] and reporter_of(still_open).name == ELS["name"]
    assert case_row(closed).description == DESCRIPTION and len(melder_files(closed)) == 2
    assert events(closed, "anonymised") == [] and events(still_open, "anonymised") == []
    assert [e.note for e in events(closed, "feedback")] == [COMMENT]
    assert reporter_of(other).email is None and "015 20 30 40" not in case_row(other).description


def test_a_pending_mail_defers_the_reporter(app, staff):
    ref = close_with_everything(staff)
    fresh()
    db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_row(ref).id)).first().status = \
        "pending"
    db.session.commit()
    report = anonymise_due(now=utcnow() + timedelta(days=800))
    fresh()
    assert (report.cases, report.deferred) == (0, 1) and reporter_of(ref).email == ELS["email"]
    mark_mails_sent()
    report = anonymise_due(now=utcnow() + timedelta(days=800))
    assert (report.cases, report.deferred) == (1, 0)


def test_export_holds_the_reporters_cases_and_reactions_and_nothing_of_another(app, staff):
    ref = close_with_everything(staff)
    second = open_melding(staff, ELS)
    other = close_with_everything(staff, BRAM, "Put in het fietspad aan de Vest")
    fresh()
    data = export_reporter(ELS["email"].upper())
    json.dumps(data)  # serialisable as it is
    assert [r["email"] for r in data["reporters"]] == [ELS["email"]]
    assert data["reporters"][0]["phone"] == ELS["phone"]
    assert [c["reference"] for c in data["cases"]] == [ref, second]
    first = data["cases"][0]
    assert first["description"] == DESCRIPTION and first["address"] == "Bruul 12, 2800 Mechelen"
    assert first["category"]["key"] == "straatlamp-defect"
    names = [f["filename"] for f in first["files"]]
    assert names[0] == "mijn-straat.png" and len(names) == 2 and names[1].endswith(".eml")  # the reply mail
    kinds = [e["kind"] for e in first["timeline"]]
    assert "created" in kinds and "status" in kinds and "feedback" in kinds
    assert {"text": REACTION} in [e.get("payload") for e in first["timeline"]]
    assert COMMENT in [e.get("comment") for e in first["timeline"]]
    assert data["mails"] and {m["recipient"] for m in data["mails"]} == {ELS["email"]}
    assert {"ontvangen", "afgesloten"} <= {m["template"] for m in data["mails"]}
    text = json.dumps(data)
    assert other not in text and BRAM["email"] not in text and "fietspad" not in text
    assert export_reporter(reporter_of(ref).id)["cases"][0]["reference"] == ref
    from engine.errors import NotFound

    with pytest.raises(NotFound):
        export_reporter("niemand@voorbeeld.example")


@pytest.fixture
def admin(app, staff):
    return Browser(app, staff.admin.user.username, with_password(staff.admin.user))


def test_admin_page_downloads_the_export_and_runs_the_job(app, staff, admin):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 3
    ref = close_with_everything(staff)
    page = admin.get("/werk/beheer/privacy")
    assert page.status_code == 200 and "3 maanden" in page.get_data(as_text=True)

    response = admin.get(f"/werk/beheer/privacy/export?email={ELS['email']}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_json()["cases"][0]["reference"] == ref

    missing = admin.get("/werk/beheer/privacy/export?email=niemand@voorbeeld.example")
    assert missing.status_code == 404
    assert "Geen melder gevonden met e-mailadres niemand@voorbeeld.example" in missing.get_data(as_text=True)

    done = admin.post("/werk/beheer/privacy/anonimiseren", page="/werk/beheer/privacy")
    assert done.status_code == 200 and 'id="anonymise-report"' in done.get_data(as_text=True)
    fresh()
    assert reporter_of(ref).email == ELS["email"]  # closed only just now: not due yet

    case_row(ref).closed_at = utcnow() - timedelta(days=100)  # not freeze_time: it would end the login session
    db.session.commit()
    done = admin.post("/werk/beheer/privacy/anonimiseren", page="/werk/beheer/privacy")
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "<th>Dossiers</th><td>1</td>" in html and "<th>Inkomende mails</th><td>0</td>" in html
    fresh()
    assert reporter_of(ref).email is None
    assert admin.get(f"/werk/beheer/privacy/export?email={ELS['email']}").status_code == 404


def test_non_admin_gets_403(app, staff):
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    assert desk.get("/werk/beheer/privacy").status_code == 403
    assert desk.get(f"/werk/beheer/privacy/export?email={ELS['email']}").status_code == 403
    token = Browser.token(desk.get("/werk/meldkamer"))
    with app.app_context():
        response = desk.client.post("/werk/beheer/privacy/anonimiseren", data={"csrf_token": token})
    assert response.status_code == 403


def test_the_public_description_is_exported_and_anonymised_like_staff_texts(app, staff):
    """Staff write it for the Open311 feed; if they named the reporter there, the anonymisation cuts it out."""
    from handlers.publication import set_public_description

    ref = close_with_everything(staff)
    set_public_description(case_row(ref).id, staff.ood.user, "Lamp aan de Bruul, gemeld door Els Peeters")
    fresh()
    exported = export_reporter(ELS["email"])
    assert exported["cases"][0]["public_description"] == "Lamp aan de Bruul, gemeld door Els Peeters"
    closed_at = case_row(ref).closed_at
    with freeze_time(closed_at + timedelta(days=13 * 31)):
        anonymise_due()
    fresh()
    assert case_row(ref).public_description == "Lamp aan de Bruul, gemeld door [naam verwijderd]"
