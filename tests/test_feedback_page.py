"""The reporter's feedback page behind the links in the closing mail: answer yes or no once, from a phone,
without an account; and every way a link or a form can go wrong, with nothing changed."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g
from freezegun import freeze_time
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from notifications.models import OutboxMessage

from .helpers import CSRF, timeline_kinds

BASE = "https://meldpunt.stad.example"
REPORTER = {"name": "Els Melder", "email": "els.melder@voorbeeld.example", "phone": "0470 12 34 56"}
CLOSING_TEXT = "De lamp aan paal 12 werd vervangen."


def close_melding(staff, reporter: dict | None = None, public_text: str = CLOSING_TEXT) -> str:
    """A melding that the handler group closed: the process now waits for the reporter's feedback."""
    ref = staff.meldkamer.file_melding("Straatlamp brandt niet aan Bruul 12", reporter=reporter or REPORTER
                                       )["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": public_text})
    assert staff.ood.case(ref)["status"] == "afgesloten"
    return ref


def closing_mails(reference: str) -> list[OutboxMessage]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "afgesloten")
                              .order_by(OutboxMessage.id))
    return [m for m in rows if m.data.get("reference") == reference]


def links(reference: str) -> tuple[str, str]:
    """The yes and no links of the latest closing mail, as paths with their query."""
    data = closing_mails(reference)[-1].data
    return tuple(_path(data[key]) for key in ("feedback_yes_url", "feedback_no_url"))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def feedback_events(reference: str) -> list[CaseEvent]:
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.kind == "feedback").order_by(CaseEvent.id)))


def message_count(reference: str) -> int:
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    return db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id,
                                                                   CaseEvent.kind == "message"))


class Citizen:
    """The reporter's phone: opens a link from the mail and sends the form with the page's CSRF token."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.csrf: str | None = None
        self.path: str | None = None

    def open(self, path: str):
        self.path = path
        response = self.client.get(path)
        match = CSRF.search(response.get_data(as_text=True))
        if match:
            self.csrf = match.group(1)
        return response

    def send(self, data: dict, path: str | None = None, csrf: bool = True):
        path = path or self.path
        if csrf and self.csrf is None:
            self.open(path)
        body = {**data, **({"csrf_token": self.csrf} if csrf else {})}
        return self.client.post(urlsplit(path).path, data=body)


@pytest.fixture
def citizen(app) -> Citizen:
    return Citizen(app)


def test_the_closing_mail_carries_a_yes_and_a_no_link(staff):
    ref = close_melding(staff)
    [mail] = closing_mails(ref)
    assert mail.recipient == REPORTER["email"] and mail.data["public_text"] == CLOSING_TEXT
    yes, no = mail.data["feedback_yes_url"], mail.data["feedback_no_url"]
    assert yes.startswith(f"{BASE}/feedback/") and no.startswith(f"{BASE}/feedback/")
    assert parse_qs(urlsplit(yes).query) == {"tevreden": ["ja"]}
    assert parse_qs(urlsplit(no).query) == {"tevreden": ["nee"]}
    assert urlsplit(yes).path == urlsplit(no).path  # one token for the case, the answer in the query
    token = urlsplit(yes).path.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token) and len(token) < 150
    # Other mails carry no feedback question.
    ontvangen = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "ontvangen")).first()
    assert "feedback_yes_url" not in ontvangen.data


def test_yes_link_shows_a_short_form_and_thanks_the_reporter(staff, citizen):
    ref = close_melding(staff)
    yes, _no = links(ref)
    page = citizen.open(yes)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"].startswith("noindex") and page.headers["Referrer-Policy"] == "no-referrer"
    assert ref in html and CLOSING_TEXT in html
    assert re.search(r'<input type="radio" name="tevreden" value="ja" id="tevreden-ja" checked>', html)
    assert not re.search(r'value="nee" id="tevreden-nee" checked', html)
    for answer in ("Snel opgelost", "Goed opgevolgd", "Vriendelijk contact", "Probleem is niet opgelost",
                   "Het duurde te lang", "Ik kreeg geen uitleg", "Andere reden"):
        assert answer in html
    assert '<input type="hidden" name="csrf_token"' in html and "<script" not in html

    response = citizen.send({"tevreden": "ja", "antwoord_ja": "snel", "opmerking": "  Merci!  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bedankt voor uw mening" in html and "opnieuw" not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"

    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and case["work_items"] == []
    assert "feedback" in timeline_kinds(case)
    [event] = feedback_events(ref)
    assert event.actor == "melder" and event.note == "Merci!"
    assert event.data == {"satisfied": True, "answer": "Snel opgelost"}


def test_no_link_sends_the_case_back_to_its_group_as_a_reopen_request(staff, citizen):
    ref = close_melding(staff)
    _yes, no = links(ref)
    html = citizen.open(no).get_data(as_text=True)
    assert re.search(r'value="nee" id="tevreden-nee" checked', html)
    assert not re.search(r'value="ja" id="tevreden-ja" checked', html)

    response = citizen.send({"tevreden": "nee", "antwoord_nee": "niet_opgelost",
                             "opmerking": "De lamp brandt nog altijd niet."})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bedankt voor uw mening" in html and "bekijkt ze opnieuw" in html

    case = staff.ood.case(ref)
    assert case["status"] == "heropenverzoek"
    [item] = case["work_items"]
    assert item["task"] == "review_reopen" and item["group"] == "onderhoud-openbaar-domein"
    [event] = feedback_events(ref)
    assert event.data == {"satisfied": False, "answer": "Probleem is niet opgelost"}
    assert event.note == "De lamp brandt nog altijd niet."


def test_the_reporter_may_change_the_choice_of_the_link_on_the_page(staff, citizen):
    ref = close_melding(staff)
    yes, _no = links(ref)
    citizen.open(yes)
    # An answer left selected in the hidden "ja" group does not count once "nee" is chosen.
    assert citizen.send({"tevreden": "nee", "antwoord_ja": "snel", "antwoord_nee": "te_lang"}).status_code == 200
    assert feedback_events(ref)[0].data == {"satisfied": False, "answer": "Het duurde te lang"}
    assert staff.ood.case(ref)["status"] == "heropenverzoek"


def test_answering_twice_gets_a_friendly_page_and_changes_nothing(staff, citizen, app):
    ref = close_melding(staff)
    yes, no = links(ref)
    citizen.open(yes)
    assert citizen.send({"tevreden": "ja"}).status_code == 200
    messages = message_count(ref)

    again = citizen.send({"tevreden": "nee", "antwoord_nee": "te_lang"}, path=no)
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "U hebt al geantwoord" in html and "Traceback" not in html
    page = Citizen(app).open(no)
    assert page.status_code == 409 and "U hebt al geantwoord" in page.get_data(as_text=True)
    assert 'name="opmerking"' not in page.get_data(as_text=True)

    assert len(feedback_events(ref)) == 1 and message_count(ref) == messages
    assert staff.ood.case(ref)["status"] == "afgesloten"


def test_after_fourteen_days_the_feedback_period_is_over(staff, citizen):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = close_melding(staff)
        yes, no = links(ref)
        citizen.open(yes)
        clock.tick(timedelta(days=14, minutes=1))
        assert timers.tick() == 1  # the BPMN timer ends the wait
        page = citizen.open(no)
        html = page.get_data(as_text=True)
        assert page.status_code == 410
        assert "De termijn om te antwoorden is voorbij" in html and "Traceback" not in html
        response = citizen.send({"tevreden": "nee", "antwoord_nee": "te_lang"})
        assert response.status_code == 410
        assert "De termijn om te antwoorden is voorbij" in response.get_data(as_text=True)
    assert feedback_events(ref) == []
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and case["work_items"] == []


def test_a_still_valid_link_after_the_process_stopped_waiting_changes_nothing(app, staff, citizen):
    app.config["MELDPUNT_FEEDBACK_DAYS"] = 30  # only a fallback: the model's 14-day window rules the link
    with freeze_time(utcnow(), tick=True) as clock:
        ref = close_melding(staff)
        yes, _no = links(ref)
        clock.tick(timedelta(days=14, minutes=1))
        timers.tick()
        page = citizen.open(yes)
        assert page.status_code == 410
        assert "De termijn om te antwoorden is voorbij" in page.get_data(as_text=True)
        assert ref in page.get_data(as_text=True)
        response = citizen.send({"tevreden": "ja", "antwoord_ja": "snel"})
        assert response.status_code == 410
    assert feedback_events(ref) == []


def test_the_link_lifetime_follows_the_model_not_the_configuration(app, staff, citizen):
    ref = close_melding(staff)
    yes, _no = links(ref)
    app.config["MELDPUNT_FEEDBACK_DAYS"] = 1  # only for a model without a feedback timer; melding.bpmn has P14D
    with freeze_time(utcnow() + timedelta(days=2)):
        assert citizen.open(yes).status_code == 200
    with freeze_time(utcnow() + timedelta(days=14, minutes=1)):
        page = citizen.open(yes)
        assert page.status_code == 410 and "U kon tot 14 dagen" in page.get_data(as_text=True)


def test_a_tampered_link_gets_a_dutch_not_found_page(app, staff, citizen):
    ref = close_melding(staff)
    yes, _no = links(ref)
    citizen.open(yes)
    token = urlsplit(yes).path.rsplit("/", 1)[1]
    # Not the last character: its low bits may be padding, so changing it can leave the signature intact.
    flipped = token[:-3] + ("A" if token[-3] != "A" else "Q") + token[-2:]
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="contractor-order").dumps(
        {"case": 1, "bind": "x", "round": 1})
    for bad in (flipped, "niet-een-echte-link", token[:20], "x" * 1000, other_salt):
        response = citizen.client.get(f"/feedback/{bad}?tevreden=ja")
        html = response.get_data(as_text=True)
        assert response.status_code == 404, bad
        assert "Deze link is ongeldig" in html and "Traceback" not in html and "signature" not in html.lower()
        assert response.headers["X-Robots-Tag"].startswith("noindex")
    response = citizen.send({"tevreden": "ja"}, path=f"/feedback/{flipped}")
    assert response.status_code == 404 and "Deze link is ongeldig" in response.get_data(as_text=True)
    assert feedback_events(ref) == []


def test_a_link_answers_for_its_own_case_only(app, staff, citizen):
    ref_a = close_melding(staff)
    ref_b = close_melding(staff, public_text="Het voetpad werd hersteld.")
    yes_a, _ = links(ref_a)
    assert "Het voetpad werd hersteld." not in citizen.open(yes_a).get_data(as_text=True)
    assert citizen.send({"tevreden": "ja"}).status_code == 200
    assert len(feedback_events(ref_a)) == 1 and feedback_events(ref_b) == []
    # A token naming case B with case A's binding is refused.
    case_a = db.session.scalar(select(Case).where(Case.reference == ref_a))
    case_b = db.session.scalar(select(Case).where(Case.reference == ref_b))
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="feedback")
    bind_a = signer.loads(urlsplit(yes_a).path.rsplit("/", 1)[1])["bind"]
    mixed = signer.dumps({"case": case_b.id, "bind": bind_a, "round": 1})
    assert case_a.id != case_b.id
    assert citizen.client.get(f"/feedback/{mixed}").status_code == 404


def test_a_form_without_csrf_token_is_refused_and_keeps_the_text(staff, citizen):
    ref = close_melding(staff)
    _yes, no = links(ref)
    citizen.open(no)
    response = citizen.send({"tevreden": "nee", "antwoord_nee": "geen_uitleg", "opmerking": "Niemand belde terug"},
                            csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Het formulier was verlopen of onvolledig" in html and "Niemand belde terug" in html
    assert feedback_events(ref) == [] and staff.ood.case(ref)["status"] == "afgesloten"


def test_a_comment_over_4000_characters_is_refused_with_the_text_kept(staff, citizen):
    ref = close_melding(staff)
    _yes, no = links(ref)
    citizen.open(no)
    long_text = "Nog altijd donker. " * 220  # 4180 characters
    response = citizen.send({"tevreden": "nee", "antwoord_nee": "niet_opgelost", "opmerking": long_text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Uw tekst is te lang" in html and "maximaal 4000 tekens" in html
    assert long_text.strip() in html
    assert re.search(r'value="niet_opgelost" checked', html) and re.search(r'id="tevreden-nee" checked', html)
    assert feedback_events(ref) == [] and staff.ood.case(ref)["status"] == "afgesloten"

    # Browsers send a line break as two characters; 4000 typed characters still fit.
    exact = ("a" * 99 + "\r\n") * 40
    assert citizen.send({"tevreden": "nee", "opmerking": exact}).status_code == 200


@pytest.mark.parametrize("form, field_error", [
    ({"tevreden": "ja", "antwoord_ja": "prima"}, "Kies een van de antwoorden uit de lijst."),
    ({"tevreden": "misschien"}, "Laat weten of u tevreden bent."),
    ({"antwoord_nee": "te_lang"}, "Laat weten of u tevreden bent."),
    ({"tevreden": "nee", "antwoord_nee": "andere"}, "Vertel kort wat er niet goed ging."),
])
def test_bad_input_is_refused_with_a_dutch_message(staff, citizen, form, field_error):
    ref = close_melding(staff)
    yes, _no = links(ref)
    citizen.open(yes)
    response = citizen.send({**form, "opmerking": "Mijn uitleg"} if "andere" not in form.values() else form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error in html and "Traceback" not in html
    if "andere" not in form.values():
        assert "Mijn uitleg" in html
    assert feedback_events(ref) == []


def test_the_pages_show_no_personal_data(staff, citizen):
    ref = close_melding(staff)
    yes, no = links(ref)
    pages = [citizen.open(yes), citizen.open(no)]
    pages.append(citizen.send({"tevreden": "nee", "antwoord_nee": "te_lang"}))
    pages.append(citizen.open(no))
    assert [p.status_code for p in pages] == [200, 200, 200, 409]
    for page in pages:
        html = page.get_data(as_text=True)
        for private in (REPORTER["email"], REPORTER["name"], "Els", REPORTER["phone"], "Bruul 12",
                        "Straatlamp brandt niet"):
            assert private not in html


def test_a_link_from_an_earlier_closing_cannot_answer_for_the_next_one(staff, citizen, app):
    ref = close_melding(staff)
    _yes, old_no = links(ref)
    citizen.open(old_no)
    assert citizen.send({"tevreden": "nee", "antwoord_nee": "niet_opgelost"}).status_code == 200
    staff.ood.complete(ref, "review_reopen", {"reopen": True, "note": "Andere lamp"})
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Nu ook paal 13 hersteld."})
    assert len(closing_mails(ref)) == 2

    stale = Citizen(app).open(old_no)
    assert stale.status_code == 410 and "meest recente e-mail" in stale.get_data(as_text=True)
    new_yes, _ = links(ref)
    assert new_yes != old_no
    page = citizen.open(new_yes)
    assert page.status_code == 200 and "Nu ook paal 13 hersteld." in page.get_data(as_text=True)
    assert citizen.send({"tevreden": "ja"}).status_code == 200
    assert [e.data["satisfied"] for e in feedback_events(ref)] == [False, True]
    assert staff.ood.case(ref)["status"] == "afgesloten"


def test_an_english_reporter_gets_links_in_english(staff, citizen):
    ref = close_melding(staff, reporter={**REPORTER, "language": "en"})
    yes, _no = links(ref)
    assert parse_qs(urlsplit(yes).query) == {"tevreden": ["ja"], "lang": ["en"]}
    try:
        page = citizen.open(yes)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and '<html lang="en">' in html
        assert 'action="/feedback/' in html and "lang=en" in html  # the answer is thanked in English too
    finally:
        g.pop("lang", None)  # the test's app context is shared between requests
