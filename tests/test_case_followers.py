""""Ik meld hetzelfde": Jan sees Els's melding about the same street light and follows it instead of reporting it
again. No case is made; Jan gets a confirmation and the melding's next status mails, over SMTP, each with his
own tracking link and nothing of Els (her name, address, the case's own tracking or feedback link). His
tracking page shows the melding's progress and nothing personal. Staff see him on the case page (by role);
he is in the privacy export and is anonymised with the case.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, Reporter
from handlers.case_followers import FOLLOW_EVENT
from handlers.files import store_file
from handlers.models import CaseFollower, User
from handlers.privacy import SCRUBBED, anonymise_due
from handlers.privacy_export import export_reporter
from notifications.models import OutboxMessage
from notifications.sender import send_due

from .channels import latest_mail
from .helpers import Browser, with_password
from .test_browser_staff_flow import JPEG

ELS = {"name": "Els Melder", "email": "els.melder@voorbeeld.example", "phone": "0470 12 34 56"}
JAN = {"name": "Jan Peeters", "email": "jan.peeters@voorbeeld.example", "phone": "0486 98 76 54"}
CLOSING = "Beste Els Melder, de lamp aan paal 12 werd vervangen. Vragen? Mail els.melder@voorbeeld.example."
JAN_TEXT = "Ook bij mij aan de overkant: de lamp flikkert al dagen."
FORM_PAGE = "/melden?categorie=straatlamp-defect"
ELS_PRIVATE = ("Els", "Melder", ELS["email"], "0470")


@pytest.fixture
def mail_to(app, smtp_server):
    app.config.update(smtp_server.config())
    return smtp_server


@pytest.fixture
def melding(staff) -> dict:
    """Els's melding (with its own tracking link), filed at the meldkamer."""
    return staff.meldkamer.file_melding("Straatlamp brandt niet aan paal 12", reporter=ELS)


@pytest.fixture
def citizen(app):
    """Jan's browser (not the staff's client)."""
    return app.test_client()


def form_tokens(client) -> dict:
    """The CSRF token and the one-time form token of the report form, as the browser got them."""
    html = client.get(FORM_PAGE, follow_redirects=True).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    form = re.search(r'name="form_token" value="([^"]+)"', html)
    assert csrf and form, "the report form has no CSRF or form token"
    return {"csrf_token": csrf.group(1), "form_token": form.group(1)}


def follow(client, reference: str, tokens: dict | None = None, **fields):
    """Send the whole report form to "Ik meld hetzelfde" (multipart, as the browser does)."""
    body = {"volg": reference, "categorie": "straatlamp-defect", "address": "Bruul 14, 2800 Mechelen", "lat": "",
            "lon": "", "description": JAN_TEXT, **JAN, **(form_tokens(client) if tokens is None else tokens)}
    body.update(fields)
    return client.post("/melden/volgen", data=body, content_type="multipart/form-data")


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def followers() -> list[CaseFollower]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaseFollower).order_by(CaseFollower.id)))


def stored(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def handle(staff, reference: str) -> None:
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    staff.ood.complete(reference, "take_in_handling")


def close(staff, reference: str, text: str = CLOSING) -> None:
    staff.ood.complete(reference, "handle", {"action": "close", "public_text": text})


def path(url: str) -> str:
    return urlsplit(url).path


def follower_link() -> str:
    [follower] = followers()
    return f"https://meldpunt.stad.example/volg/mee/{follower.tracking_token}"


def mails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m.rcpt_tos == [address]]


# --- following over the form ---------------------------------------------------------------------------------


def test_following_makes_no_case_and_the_follower_gets_the_next_status_mails_with_only_their_own_link(
        app, staff, mail_to, melding, citizen):
    reference = melding["reference"]
    before = case_count()

    response = follow(citizen, reference.lower())
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    assert case_count() == before
    link = follower_link()
    page = citizen.get(urlsplit(response.headers["Location"]).path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"U volgt nu melding {reference}" in html
    assert link in html and melding["tracking_url"] not in html and "Els" not in html

    # What Jan typed is on the case's timeline, for staff only.
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == stored(reference).id,
                                                         CaseEvent.kind == FOLLOW_EVENT))
    assert not event.public and event.note == JAN_TEXT and "Ik meld hetzelfde" in event.text

    handle(staff, reference)  # the meldkamer dispatches it, the team takes it in handling
    close(staff, reference)
    send_due()
    assert case_count() == before

    els_feedback = path(latest_mail("afgesloten", reference, ELS["email"]).data["feedback_yes_url"])
    for_jan = mails_to(mail_to, JAN["email"])
    subjects = [m.message["Subject"] for m in for_jan]
    assert subjects[0] == f"U volgt nu melding {reference}", subjects
    assert any("in behandeling" in s for s in subjects) and any("afgehandeld" in s for s in subjects), subjects
    for received in for_jan:
        body = received.part("text/plain") + received.part("text/html")
        assert link in body, received.message["Subject"]
        assert melding["tracking_url"] not in body and els_feedback not in body and "/feedback/" not in body
        for private in ELS_PRIVATE:
            assert private not in body, f"{private!r} in Jan's mail {received.message['Subject']!r}"
        assert "Beste Jan Peeters," in body
    [closed] = [m for m in for_jan if "afgehandeld" in m.message["Subject"]]
    text = closed.part("text/plain")
    assert "de lamp aan paal 12 werd vervangen" in text and "[verborgen]" in text
    assert "tevreden" not in text and "Ik meld hetzelfde" in text
    # Els's own mails stay hers, and never show Jan.
    for received in mails_to(mail_to, ELS["email"]):
        body = received.part("text/plain") + received.part("text/html")
        assert link not in body and "Jan" not in body and JAN["email"] not in body
    assert any(els_feedback in m.part("text/plain") for m in mails_to(mail_to, ELS["email"]))


def test_the_same_form_sent_twice_follows_once(app, melding, citizen):
    tokens = form_tokens(citizen)
    first = follow(citizen, melding["reference"], tokens)
    second = follow(citizen, melding["reference"], tokens)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(followers()) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.template == "volgen_bevestiging")) == 1


def test_following_twice_or_as_its_own_reporter_makes_no_second_row_and_says_so(app, staff, melding, citizen):
    reference = melding["reference"]
    assert follow(citizen, reference).status_code == 303
    again = follow(citizen, reference, email=JAN["email"].upper(), description="Nog steeds stuk.")
    assert again.status_code == 303
    html = citizen.get(again.headers["Location"]).get_data(as_text=True)
    assert f"U volgt melding {reference} al" in html and "niets dubbel" in html and "/volg/" not in html
    els = follow(citizen, reference, **ELS, description="")
    assert els.status_code == 303 and "/melden/volgen/al" in els.headers["Location"]
    assert len(followers()) == 1
    assert [m.recipient for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "volgen_bevestiging"))] == [JAN["email"]]
    notes = [e.note for e in db.session.scalars(select(CaseEvent).where(CaseEvent.kind == FOLLOW_EVENT)
                                                .order_by(CaseEvent.id))]
    assert notes == [JAN_TEXT, "Nog steeds stuk.", None]  # nothing Jan typed is lost

    handle(staff, reference)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "in_behandeling")).all()
    assert sorted(m.recipient for m in rows) == sorted([ELS["email"], JAN["email"]])  # one mail each


# --- refused, with everything typed kept ---------------------------------------------------------------------


def typed_kept(html: str) -> None:
    assert f"{JAN_TEXT}</textarea>" in html
    for value in ("Bruul 14, 2800 Mechelen", JAN["name"], JAN["phone"]):
        assert f'value="{value}"' in html, value


@pytest.mark.parametrize("email, message", [("", "Geef uw e-mailadres"), ("jan@", "Dit e-mailadres klopt niet")])
def test_a_missing_or_bad_email_gives_the_form_back_with_everything_typed(app, melding, citizen, email, message):
    before = case_count()
    response = follow(citizen, melding["reference"], email=email)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert f"U volgt melding {melding['reference']} nog niet" in html
    typed_kept(html)
    if email:
        assert f'value="{email}"' in html
    assert not followers() and case_count() == before


def test_a_closed_merged_or_unknown_melding_cannot_be_followed(app, staff, melding, citizen):
    reference = melding["reference"]
    other = staff.meldkamer.file_melding("Nog een lamp", reporter={"name": "Piet", "email": "piet@voorbeeld.example"})
    staff.meldkamer.complete(other["reference"], "triage", {"decision": "duplicate", "duplicate_of": reference})
    response = follow(citizen, other["reference"])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Melding {other['reference']} werd samengevoegd met melding {reference}" in html
    typed_kept(html)

    response = follow(citizen, "M2099-999999")
    assert response.status_code == 422 and "Er is geen melding met referentienummer M2099-999999" in response.get_data(
        as_text=True)

    handle(staff, reference)
    close(staff, reference)
    before = case_count()
    response = follow(citizen, reference)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f"Melding {reference} is al afgesloten" in html
    typed_kept(html)
    assert not followers() and case_count() == before


def test_following_counts_against_the_report_forms_rate_limit(app, melding, citizen):
    app.config["MELDPUNT_REPORT_RATE"] = "1/600"
    assert follow(citizen, melding["reference"], email="").status_code == 422  # refused: does not count
    assert follow(citizen, melding["reference"]).status_code == 303
    response = follow(citizen, melding["reference"], email="an@voorbeeld.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and 590 <= int(response.headers["Retry-After"]) <= 600
    assert "Te veel meldingen" in html
    typed_kept(html)
    assert len(followers()) == 1


def test_without_the_csrf_token_nothing_is_followed_and_the_form_comes_back(app, melding, citizen):
    tokens = form_tokens(citizen)
    response = follow(citizen, melding["reference"], {"form_token": tokens["form_token"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Het formulier was verlopen" in html
    typed_kept(html)
    assert not followers()


# --- the follower's tracking page ----------------------------------------------------------------------------


def test_the_follower_tracking_page_shows_progress_and_nothing_personal(app, staff, melding, citizen):
    reference = melding["reference"]
    original = stored(reference)
    store_file(original, JPEG, "lamp.jpg", source="melder", uploaded_by="melder", public=True)
    db.session.commit()
    assert follow(citizen, reference).status_code == 303
    link = path(follower_link())
    html = citizen.get(link).get_data(as_text=True)
    assert f"Melding {reference}" in html and "Ik meld hetzelfde" in html and "Ontvangen" in html

    handle(staff, reference)
    close(staff, reference)
    page = citizen.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Afgesloten" in html and "In behandeling" in html
    assert "de lamp aan paal 12 werd vervangen" in html and "[verborgen]" in html
    for private in (*ELS_PRIVATE, JAN_TEXT, "Straatlamp brandt niet aan paal 12", "<img",
                    path(melding["tracking_url"]), "/foto/"):
        assert private not in html, private

    missing = citizen.get("/volg/mee/" + "x" * 43)
    assert missing.status_code == 404 and "Niet gevonden" in missing.get_data(as_text=True)
    assert citizen.get("/volg/mee/kort").status_code == 404


def test_the_moment_of_following_stands_in_date_order_on_the_tracking_page(app, staff, melding, citizen):
    reference = melding["reference"]
    handle(staff, reference)  # in handling before Jan follows it
    assert follow(citizen, reference).status_code == 303
    close(staff, reference)
    html = citizen.get(path(follower_link())).get_data(as_text=True)
    timeline = html[html.index('<ol class="timeline">'):]
    assert timeline.index("In behandeling") < timeline.index("U volgt deze melding.") < timeline.index("Afgesloten")


# --- staff, bounces and privacy ------------------------------------------------------------------------------


def test_staff_see_the_followers_by_role(app, staff, melding, citizen):
    assert follow(citizen, melding["reference"]).status_code == 303
    meldkamer = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    html = meldkamer.get(f"/werk/dossier/{melding['reference']}").get_data(as_text=True)
    section = html[html.index('id="followers"'):]
    assert "Volgers" in html and JAN["name"] in section and JAN["email"] in section
    assert JAN_TEXT in html  # the follow event on the timeline, with what he typed

    rita = User(username="rita", display_name="Rita", role="rapportage", email="rita@stad.example")
    db.session.add(rita)
    db.session.commit()
    reporting = Browser(app, "rita", with_password(rita))
    html = reporting.get(f"/werk/dossier/{melding['reference']}").get_data(as_text=True)
    for private in (JAN["name"], "Peeters", JAN["email"], JAN_TEXT, 'id="followers"'):
        assert private not in html, private


def test_a_follower_whose_address_bounced_is_skipped(app, staff, melding, citizen):
    assert follow(citizen, melding["reference"]).status_code == 303
    jan = db.session.scalar(select(Reporter).where(Reporter.email == JAN["email"]))
    jan.email_failed_at = utcnow()
    db.session.commit()
    handle(staff, melding["reference"])
    recipients = [m.recipient for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "in_behandeling"))]
    assert recipients == [ELS["email"]]
    notes = [e.note for e in db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "mail_skipped"))]
    assert any("niet verstuurd aan een volger" in (n or "") for n in notes), notes


def test_followers_are_in_the_export_and_anonymised_with_the_case(app, staff, mail_to, melding, citizen):
    reference = melding["reference"]
    assert follow(citizen, reference).status_code == 303
    exported = export_reporter(JAN["email"])
    [row] = exported["followed"]
    assert row["reference"] == reference and row["email"] == JAN["email"] and row["texts"] == [JAN_TEXT]
    assert row["tracking_url"].startswith("https://meldpunt.stad.example/volg/mee/")
    handle(staff, reference)
    close(staff, reference, "Beste Jan Peeters, de lamp werd vervangen.")
    send_due()

    with freeze_time(utcnow() + timedelta(days=800)):
        report = anonymise_due()
    assert report.cases == 1
    assert not followers()
    jan = db.session.scalar(select(Reporter).where(Reporter.id == exported["reporters"][0]["id"]))
    assert jan.name is None and jan.email is None and jan.phone is None
    texts = [(e.text or "") + (e.note or "") for e in db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == stored(reference).id))]
    assert not any("Jan" in t or JAN_TEXT in t for t in texts), texts
    assert any(SCRUBBED in t for t in texts)
    assert not db.session.scalars(select(OutboxMessage).where(
        func.lower(OutboxMessage.recipient) == JAN["email"])).all()
