"""In a real browser (Debian's Chromium via Playwright) on a phone: "Ik meld hetzelfde" from start to finish.

Els reported a broken street light on Bruul (through the real intake). Jan opens the report form for the same
category, puts the pin next to it with "Gebruik mijn locatie", sees "Is dit uw melding?" with her melding and its
public status (nothing of Els), fills in his name and e-mail and presses "Ik meld hetzelfde". He lands on "U volgt
nu melding <ref>" with his own tracking link; no case is made. The meldkamer dispatches the case and the team
takes it in handling (the real work-item completion); the outbox goes to a local SMTP server, and Jan's mailbox
holds the confirmation and then the "in behandeling" mail, both with HIS link (never the case's own tracking
link, never Els's name or address). That link shows the case in handling, with nothing of Els.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from handlers.models import CaseFollower
from intake.meldingen import register_melding
from notifications.sender import send_due

from .live_server import chromium, live_app
from .test_browser_citizen_flow import complete
from .test_browser_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
BRUUL_1 = (51.026433, 4.481567)
METRE_LAT = 1 / 111_195
ELS = {"name": "Els Melder", "email": "els.melder@voorbeeld.example", "phone": "0470 12 34 56"}
ELS_TEXT = "De straatlamp aan paal 3 brandt niet meer sinds zaterdag, zegt Els van hiernaast."
ELS_PRIVATE = ("Els", "Melder", ELS["email"], "0470", "paal 3", "zaterdag")
JAN = {"name": "Jan Peeters", "email": "jan.peeters@voorbeeld.example"}


def els_melding(app) -> dict:
    """Els's open melding of "Straatlamp kapot", 12 m north of Bruul 1: its reference and tracking token."""
    with app.app_context():
        case = register_melding(description=ELS_TEXT, channel="web", category="straatlamp-defect",
                                location={"address": "Bruul 3, 2800 Mechelen",
                                          "lat": BRUUL_1[0] + 12 * METRE_LAT, "lon": BRUUL_1[1]},
                                reporter=ELS)
        db.session.commit()
        found = {"reference": case.reference, "token": case.tracking_token}
        db.session.remove()
    return found


def case_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
    return count


def mails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m.rcpt_tos == [address]]


def send_outbox(app) -> None:
    with app.app_context():
        report = send_due()
        db.session.remove()
    assert not report.failed and not report.retrying, report


def assert_nothing_of_els(text: str, where: str, els: dict) -> None:
    for private in (*ELS_PRIVATE, els["token"]):
        assert private not in text, f"{private!r} in {where}"


def test_a_citizen_follows_the_melding_nearby_and_gets_its_status_mail_with_their_own_link(tmp_path, smtp_server):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        app.config.update(smtp_server.config())
        els = els_melding(app)
        reference = els["reference"]
        send_outbox(app)  # Els's own receipt goes out first: it is hers, not Jan's
        assert len(mails_to(smtp_server, ELS["email"])) == 1
        cases_before = case_count(app)

        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="nl-BE",
                                      geolocation={"latitude": BRUUL_1[0], "longitude": BRUUL_1[1]},
                                      permissions=["geolocation"])
        context.add_init_script(WATCH)  # Content-Security-Policy violations, as the page reports them
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        lookups: list = []  # what the map asked the server while Jan filled in the form
        page.on("response", lambda response: lookups.append(response) if "/melden/in-de-buurt?" in response.url
                else None)

        page.goto(f"{base}/melden?categorie=straatlamp-defect")
        assert page.locator("#chosen-category").inner_text() == "Straatlamp kapot"
        page.wait_for_selector("#report-map .leaflet-tile-loaded")
        assert app.config["TEST_TILES"].requested

        # the pin at the phone's location, next to Els's street light
        page.get_by_role("button", name="Gebruik mijn locatie").click()
        expect(page.locator("#address")).to_have_value("Bruul 1, 2800 Mechelen")
        assert (float(page.input_value("#lat")), float(page.input_value("#lon"))) == BRUUL_1

        # "Is dit uw melding?" lists hers, with its public status, and nothing of Els
        nearby = page.locator("#nearby")
        nearby.wait_for(state="visible")
        assert nearby.get_by_role("heading", name="Is dit uw melding?").is_visible()
        items = nearby.locator("#nearby-list li")
        assert items.count() == 1
        item = items.first
        assert item.get_attribute("data-reference") == reference
        text = item.inner_text()
        assert "Straatlamp kapot" in text and "Bruul" in text and "Status: Ontvangen" in text
        assert "op 12 m" in text, text
        assert_nothing_of_els(nearby.inner_text(), "the nearby list", els)
        assert_nothing_of_els(page.content(), "the report form", els)
        assert lookups and all(r.ok for r in lookups)
        for response in lookups:  # anyone can read these answers: nothing of Els in them either
            assert reference in response.text()
            assert_nothing_of_els(response.text(), "the nearby answer", els)

        # Jan's own contact data, then "Ik meld hetzelfde"
        page.fill("#description", "Ook bij mij aan de overkant: de lamp flikkert al dagen.")
        page.fill("#name", JAN["name"])
        page.fill("#email", JAN["email"])
        same = item.get_by_role("button", name=f"Ik meld hetzelfde als melding {reference}")
        assert same.inner_text() == "Ik meld hetzelfde"
        same.scroll_into_view_if_needed()
        same.tap()

        # "U volgt nu melding <ref>", with his own tracking link; no case made
        page.wait_for_url(f"{base}/melden/volgen/**")
        expect(page.locator("h1")).to_have_text(f"U volgt nu melding {reference}")
        with app.app_context():
            [follower] = db.session.scalars(select(CaseFollower)).all()
            link = f"{base}/volg/mee/{follower.tracking_token}"
            assert follower.case.reference == reference and follower.reporter.email == JAN["email"]
            db.session.remove()
        tracking = page.locator("#tracking-link")
        assert tracking.get_attribute("href") == link and tracking.inner_text() == link
        assert_nothing_of_els(page.content(), "the confirmation page", els)
        assert case_count(app) == cases_before
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # the confirmation mail, over SMTP
        send_outbox(app)
        [confirmation] = mails_to(smtp_server, JAN["email"])
        assert confirmation.message["Subject"] == f"U volgt nu melding {reference}"

        # the meldkamer dispatches the case, the team takes it in handling: the "in behandeling" mail
        with app.app_context():
            complete(reference, "triage", "an.meldkamer", {"decision": "dispatch"})
            complete(reference, "take_in_handling", "bart.ood", {})
            db.session.remove()
        send_outbox(app)
        received = mails_to(smtp_server, JAN["email"])
        assert [m.message["Subject"] for m in received[:1]] == [f"U volgt nu melding {reference}"]
        [in_progress] = [m for m in received if "in behandeling" in m.message["Subject"]]
        assert reference in in_progress.message["Subject"]
        assert len(received) == 2, [m.message["Subject"] for m in received]
        for mail in received:
            body = mail.part("text/plain") + mail.part("text/html")
            assert link in body, mail.message["Subject"]
            assert f"/volg/{els['token']}" not in body and "/feedback/" not in body
            assert_nothing_of_els(body + str(mail.message["To"]), f"Jan's mail {mail.message['Subject']!r}", els)
        assert "Jan Peeters" in in_progress.part("text/plain")
        # Els got her own "in behandeling" mail, with nothing of Jan
        els_mails = mails_to(smtp_server, ELS["email"])
        assert len(els_mails) == 2
        for mail in els_mails:
            body = mail.part("text/plain") + mail.part("text/html")
            assert link not in body and "Jan" not in body and JAN["email"] not in body
        assert case_count(app) == cases_before

        # the link from the mail shows the case's progress, with nothing of Els
        mail_link = next(word for word in in_progress.part("text/plain").split() if "/volg/mee/" in word)
        assert mail_link.rstrip(".,)") == link
        page.goto(link)
        assert page.locator("h1").inner_text() == f"Melding {reference}"
        progress = page.locator("#follower-progress")
        expect(progress).to_contain_text("Status: In behandeling")
        assert "In behandeling" in page.locator(".timeline").inner_text()
        assert_nothing_of_els(page.content(), "Jan's tracking page", els)

        assert page.evaluate("window.__csp") == []
        assert not errors, errors
        context.close()
