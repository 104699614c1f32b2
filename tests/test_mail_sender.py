"""Status e-mails over SMTP: the outbox sender against a real SMTP server, and the mail templates."""
from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from markupsafe import escape
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from notifications import sender
from notifications.models import OutboxMessage
from notifications.render import LANGUAGES, TEMPLATES, MailTemplateError, render_mail
from notifications.sender import send_due

from .smtp_server import free_port

REPORTER = "melder@voorbeeld.example"
ROOT = Path(__file__).resolve().parents[1]


def outbox(template: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query))


def receipt_mail() -> OutboxMessage:
    rows = outbox("ontvangen")
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def mail_to(app, smtp_server):
    """The app's sender pointed at the test SMTP server."""
    app.config.update(smtp_server.config())
    return smtp_server


# --- sending -----------------------------------------------------------------------------------------------


def test_receipt_mail_reaches_the_reporter_once_with_reference_and_tracking_link(app, staff, mail_to):
    ref = staff.meldkamer.file_melding()["reference"]
    row = receipt_mail()
    tracking_url = row.data["tracking_url"]
    assert tracking_url.startswith("https://meldpunt.stad.example/volg/")

    report = send_due()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert len(mail_to.messages) == 1
    received = mail_to.messages[0]
    mail = received.message
    assert received.rcpt_tos == [REPORTER] and mail["To"] == REPORTER
    assert received.mail_from == "meldpunt@localhost" and mail["From"] == "Meldpunt <meldpunt@localhost>"
    assert ref in mail["Subject"]
    assert mail.get_content_type() == "multipart/alternative"
    text, html = received.part("text/plain"), received.part("text/html")
    assert tracking_url in text and tracking_url in html
    assert "Beste Els Melder" in text and ref in text
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Content-Language"] == "nl"
    assert all(part.get_content_charset() == "utf-8" for part in mail.iter_parts())

    row = receipt_mail()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1 and row.last_error is None
    assert mail["Message-ID"] == row.message_id
    assert row.message_id.endswith("@localhost>")

    again = send_due()
    assert (again.sent, again.retrying, again.failed) == (0, 0, 0)
    assert len(mail_to.messages) == 1, "a sent row is never sent twice"


def test_reporter_who_chose_english_gets_the_english_mail(app, staff, mail_to):
    ref = staff.meldkamer.file_melding(reporter={"name": "Ann Reporter", "email": REPORTER,
                                                 "language": "en"})["reference"]
    assert receipt_mail().language == "en"

    send_due()

    mail = mail_to.messages[0].message
    assert mail["Content-Language"] == "en"
    assert mail["Subject"] == f"We have received your report {ref}"
    text = mail_to.messages[0].part("text/plain")
    assert text.startswith("Dear Ann Reporter,") and "What happens next?" in text


def test_mail_from_setting_gives_sender_and_message_id_domain(app, staff, mail_to):
    app.config["MELDPUNT_MAIL_FROM"] = "Stad Mechelen – Meldpunt <meldpunt@mechelen.example>"
    staff.meldkamer.file_melding()

    send_due()

    received = mail_to.messages[0]
    assert received.mail_from == "meldpunt@mechelen.example"
    assert received.message["From"].addresses[0].display_name == "Stad Mechelen – Meldpunt"
    assert receipt_mail().message_id.endswith("@mechelen.example>")


def test_replies_go_to_the_info_mailbox_meldpunt_reads_unless_another_reply_to_is_set(app, staff, mail_to):
    app.config["MELDPUNT_INFO_ADDRESS"] = "info@mechelen.example"
    staff.meldkamer.file_melding()
    send_due()
    app.config["MELDPUNT_MAIL_REPLY_TO"] = "balie@mechelen.example"
    staff.meldkamer.file_melding()
    send_due()

    reply_to = sorted(str(m.message["Reply-To"]) for m in mail_to.messages)
    assert reply_to == ["balie@mechelen.example", "info@mechelen.example"]


def test_without_smtp_host_nothing_is_sent_and_the_mails_stay_pending(app, staff):
    staff.meldkamer.file_melding()

    report = send_due()

    assert report.skipped and "MELDPUNT_SMTP_HOST" in report.skipped
    assert "nothing sent" in str(report)
    row = receipt_mail()
    assert row.status == "pending" and row.attempts == 0 and row.message_id is None


def test_temporary_refusal_is_retried_after_a_backoff_and_then_delivered(app, staff, mail_to):
    with freeze_time(utcnow(), tick=True) as clock:
        staff.meldkamer.file_melding()
        mail_to.refuse[REPORTER] = "451 4.2.1 Mailbox busy, try again later"

        before = utcnow()
        report = send_due()
        after = utcnow()

        assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
        row = receipt_mail()
        first_message_id = row.message_id
        assert row.status == "pending" and row.attempts == 1 and first_message_id
        assert "451" in row.last_error
        assert before + timedelta(minutes=1) <= row.next_attempt_at <= after + timedelta(minutes=1)
        assert mail_to.messages == []

        assert send_due().retrying == 0, "not due again before the backoff has passed"
        assert receipt_mail().attempts == 1

        del mail_to.refuse[REPORTER]
        clock.tick(timedelta(minutes=1, seconds=5))
        report = send_due()

    assert report.sent == 1
    row = receipt_mail()
    assert row.status == "sent" and row.attempts == 2
    assert row.message_id == first_message_id, "a retry is the same message"
    assert [m.message["Message-ID"] for m in mail_to.messages] == [first_message_id]


def test_backoff_grows_and_the_mail_fails_after_the_maximum_attempts(app, staff, mail_to):
    app.config["MELDPUNT_SMTP_MAX_ATTEMPTS"] = 3
    mail_to.refuse[REPORTER] = "451 4.2.1 Mailbox temporarily unavailable"
    with freeze_time(utcnow(), tick=True) as clock:
        staff.meldkamer.file_melding()
        waits = []
        for _ in range(2):
            start = utcnow()
            assert send_due().retrying == 1
            waits.append(receipt_mail().next_attempt_at - start)
            clock.tick(waits[-1] + timedelta(seconds=5))
        report = send_due()

    assert timedelta(minutes=1) <= waits[0] < timedelta(minutes=2)
    assert timedelta(minutes=5) <= waits[1] < timedelta(minutes=6)
    assert report.failed == 1
    row = receipt_mail()
    assert row.status == "failed" and row.attempts == 3
    assert "gave up after 3 attempts" in row.last_error and "451" in row.last_error
    assert mail_to.messages == []


def test_permanent_refusal_of_the_recipient_marks_the_mail_failed(app, staff, mail_to):
    staff.meldkamer.file_melding()
    mail_to.refuse[REPORTER] = "550 5.1.1 No such mailbox"

    report = send_due()

    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    row = receipt_mail()
    assert row.status == "failed" and row.attempts == 1
    assert "550" in row.last_error and "No such mailbox" in row.last_error
    assert mail_to.messages == []
    del mail_to.refuse[REPORTER]
    assert send_due().sent == 0, "a failed mail is not retried"


def test_one_refused_recipient_does_not_hold_up_the_others(app, staff, mail_to):
    staff.meldkamer.file_melding(email="weg@voorbeeld.example")
    staff.meldkamer.file_melding()
    mail_to.refuse["weg@voorbeeld.example"] = "550 5.1.1 No such mailbox"

    report = send_due()

    assert (report.sent, report.failed) == (1, 1)
    assert [m.rcpt_tos for m in mail_to.messages] == [[REPORTER]]


def test_unreachable_server_leaves_the_mail_pending_for_a_later_attempt(app, staff):
    app.config.update({"MELDPUNT_SMTP_HOST": "127.0.0.1", "MELDPUNT_SMTP_PORT": free_port(),
                       "MELDPUNT_SMTP_TIMEOUT": 5})
    staff.meldkamer.file_melding()
    staff.meldkamer.file_melding(email="tweede@voorbeeld.example")

    report = send_due()

    assert (report.sent, report.retrying, report.failed) == (0, 0, 0)
    assert report.stopped and "cannot connect" in report.stopped
    for row in outbox("ontvangen"):
        assert row.status == "pending" and row.attempts == 0, "a dead server is not the mail's attempt"
        assert row.next_attempt_at <= utcnow(), "due as soon as the server is back"


def test_a_batch_uses_one_connection_and_sends_at_most_its_limit(app, staff, mail_to, monkeypatch):
    connections = []

    class CountingSMTP(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            connections.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(sender.smtplib, "SMTP", CountingSMTP)
    for _ in range(3):
        staff.meldkamer.file_melding()

    assert send_due(limit=2).sent == 2
    assert len(connections) == 1
    assert send_due(limit=2).sent == 1
    assert len(connections) == 2
    assert send_due().sent == 0 and len(connections) == 2, "no connection when nothing is due"
    assert len(mail_to.messages) == 3
    assert len({m.message["Message-ID"] for m in mail_to.messages}) == 3


def test_crash_after_claiming_resends_after_the_lease_with_the_same_message_id(app, staff, mail_to):
    """A sender that dies between claiming rows and recording the outcome: the rows wait out the lease
    (no second sender takes them meanwhile), then go out as the very same messages."""
    app.config["MELDPUNT_SMTP_CLAIM_SECONDS"] = 120
    staff.meldkamer.file_melding()
    settings = sender._Settings.from_config()
    claimed = sender._claim_batch(utcnow(), settings, 10)  # ...and then the process dies
    assert [c.attempts for c in claimed] == [1] and claimed[0].message_id == receipt_mail().message_id

    assert send_due().sent == 0, "a claimed row is out of reach for other senders"
    assert sender._claim_batch(utcnow(), settings, 10) == [], "and cannot be claimed twice"

    report = send_due(now=utcnow() + timedelta(seconds=121))

    assert report.sent == 1
    assert mail_to.messages[0].message["Message-ID"] == claimed[0].message_id == receipt_mail().message_id
    assert receipt_mail().attempts == 2


@pytest.mark.postgres  # row locks are PostgreSQL's
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_postgresql_senders_skip_rows_another_sender_holds(app, staff, mail_to):
    """SKIP LOCKED is PostgreSQL's; on SQLite writers are serialized and the claim's version check decides."""
    staff.meldkamer.file_melding()
    row_id = receipt_mail().id
    db.session.commit()
    with db.engine.connect() as other:
        other.execute(select(OutboxMessage.id).where(OutboxMessage.id == row_id).with_for_update())
        assert send_due().sent == 0  # does not wait for the lock, does not take the row
        other.rollback()
    assert send_due().sent == 1


def test_a_row_with_an_unknown_template_fails_with_the_template_name(app, staff, mail_to):
    db.session.add(OutboxMessage(recipient=REPORTER, recipient_kind="melder", template="bestaat_niet",
                                 language="nl", data={"reference": "M-1"}, status="pending", attempts=0,
                                 created_at=utcnow(), next_attempt_at=utcnow()))
    db.session.commit()

    report = send_due()

    assert report.failed == 1
    row = outbox("bestaat_niet")[0]
    assert row.status == "failed" and "bestaat_niet" in row.last_error
    assert mail_to.messages == []


def test_closing_mail_carries_the_public_text_end_to_end(app, staff, mail_to):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De straatlamp brandt opnieuw."})

    send_due()

    by_subject = {m.message["Subject"]: m for m in mail_to.messages}
    closed = by_subject[f"Uw melding {ref} is afgehandeld"]
    assert "De straatlamp brandt opnieuw." in closed.part("text/plain")
    assert "De straatlamp brandt opnieuw." in closed.part("text/html")
    row = outbox("afgesloten")[0]
    for key in ("feedback_yes_url", "feedback_no_url"):
        assert row.data[key] in closed.part("text/plain")
        assert f'href="{escape(row.data[key])}"' in closed.part("text/html")
    assert f"Uw melding {ref} is in behandeling" in by_subject


# --- rendering ---------------------------------------------------------------------------------------------

SAMPLE = {"reference": "M-2024-00042", "name": "Els Melder",
          "tracking_url": "https://meldpunt.stad.example/volg/Zm9vYmFyYmF6cXV4cXV1eA"}
SAMPLE_DATA = {
    "ontvangen": {}, "in_behandeling": {}, "heropend": {}, "duplicaat": {}, "volgen_bevestiging": {},
    "informatie_gevraagd": {"public_text": "Aan welke paal hangt de lamp?"},
    "afgesloten": {"public_text": "De lamp werd vervangen.",
                   "feedback_yes_url": "https://meldpunt.stad.example/feedback/abc?tevreden=ja&lang=en",
                   "feedback_no_url": "https://meldpunt.stad.example/feedback/abc?tevreden=nee&lang=en"},
    "doorverwezen": {"public_text": "Dit is een gewestweg: meld het bij het Agentschap Wegen en Verkeer."},
    "gesloten_gehouden": {"public_text": "De lamp brandt; we zagen geen defect."},
    "escalatie": {"deadline": "2024-03-01T15:00:00+00:00", "group": "Openbare netheid"},
    "aannemer_opdracht": {"order_id": 7, "instructions": "Lamp vervangen", "contractor": "Elektro NV",
                          "portal_url": "https://meldpunt.stad.example/opdracht/tok"},
    "aannemer_herinnering": {"order_id": 7, "instructions": "Lamp vervangen",
                             "portal_url": "https://meldpunt.stad.example/opdracht/tok"},
    "aannemer_escalatie": {"order_id": 7, "contractor": "Elektro NV"},
    "overdracht": {"from_group": "Onderhoud openbaar domein", "note": "Hoort bij netheid.", "by": "Bart"},
    "ontvangstbevestiging_mail": {},
    "antwoord_mail": {"mail_subject": "Parkeerkaart", "answer_text": "U vraagt de kaart aan via het e-loket."},
    "escalatie_mail": {"deadline": "2024-03-01T15:00:00+00:00", "group": "Samen leven",
                       "mail_subject": "Parkeerkaart"},
    "ontvangstbevestiging_post": {},
    "post_escalatie": {"deadline": "2024-03-01T15:00:00+00:00", "group": "Samen leven",
                       "letter_subject": "Bezwaar tegen parkeerretributie"},
    "post_ter_info": {"group": "Samen leven", "letter_subject": "Jaarverslag buurtcomité",
                      "sender": "Buurtcomité Nekker"},
    "nieuwe_mail": {"group": "Onderhoud openbaar domein", "mail_from": "els@voorbeeld.be",
                    "mail_subject": "Re: Uw melding", "mail_text": "Het is paal 12.", "truncated": False,
                    "attachments": 1},
    "melder_niet_tevreden": {"group": "Onderhoud openbaar domein", "duplicate": "M-2024-00043",
                             "answer": "Probleem is niet opgelost"},
    "antwoord_ontvangen": {"reason": "aannemer", "group": "Onderhoud openbaar domein", "result": "uitgevoerd",
                           "assigned": True, "name": "Bart"},
}
KIND = {"escalatie": "medewerker", "aannemer_escalatie": "medewerker", "overdracht": "medewerker",
        "aannemer_opdracht": "aannemer", "aannemer_herinnering": "aannemer", "escalatie_mail": "medewerker",
        "post_escalatie": "medewerker", "post_ter_info": "medewerker", "nieuwe_mail": "medewerker",
        "melder_niet_tevreden": "medewerker", "antwoord_ontvangen": "medewerker"}


@pytest.fixture
def mail_context():
    """Rendering needs no database: a bare app context with the base URL is enough."""
    app = Flask(__name__)
    app.config["MELDPUNT_BASE_URL"] = "https://meldpunt.stad.example"
    with app.app_context():
        yield app


def sample(template: str) -> dict:
    base = {"reference": SAMPLE["reference"]} if KIND.get(template) else dict(SAMPLE)
    return {**base, **SAMPLE_DATA[template]}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_every_language(mail_context, template, language):
    data = sample(template)
    mail = render_mail(template, data, language, KIND.get(template, "melder"))

    assert data["reference"] in mail.subject and "\n" not in mail.subject
    for body, as_written in ((mail.text, str), (mail.html, lambda value: str(escape(value)))):
        assert data["reference"] in body
        assert "{{" not in body and "{%" not in body and "}}" not in body
        assert "None" not in body and "Undefined" not in body
        for key in ("tracking_url", "portal_url", "public_text", "instructions", "note", "feedback_yes_url",
                    "feedback_no_url"):
            if key in data:
                assert as_written(data[key]) in body, f"{key} missing from {language}/{template}"
    assert mail.html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in mail.html
    assert mail.text.startswith(("Beste", "Dear", "Hello"))


def test_staff_mails_link_to_the_case_page(mail_context):
    mail = render_mail("escalatie", sample("escalatie"), "nl", "medewerker")
    assert "https://meldpunt.stad.example/werk/dossier/M-2024-00042" in mail.text
    assert "Beste collega," in mail.text and "01/03/2024 16:00" in mail.text


def test_closing_mail_asks_for_feedback_only_when_the_links_are_there(mail_context):
    with_links = render_mail("afgesloten", sample("afgesloten"), "nl")
    yes, no = SAMPLE_DATA["afgesloten"]["feedback_yes_url"], SAMPLE_DATA["afgesloten"]["feedback_no_url"]
    assert "Bent u tevreden" in with_links.text and yes in with_links.text and no in with_links.text
    assert "Bent u tevreden" in with_links.html
    assert f'href="{escape(yes)}"' in with_links.html and f'href="{escape(no)}"' in with_links.html
    assert "&amp;lang=en" in with_links.html  # escaped in the attribute, a mail client follows the plain URL

    without = {k: v for k, v in sample("afgesloten").items() if not k.startswith("feedback_")}
    for language in LANGUAGES:
        mail = render_mail("afgesloten", without, language)
        assert "tevreden" not in mail.text + mail.html and "satisfied" not in mail.text + mail.html
        assert "De lamp werd vervangen." in mail.text


def test_html_part_escapes_what_people_typed(mail_context):
    data = {**sample("afgesloten"), "public_text": '<script>alert("x")</script>\nTweede regel & meer',
            "name": "<b>Els</b>"}
    mail = render_mail("afgesloten", data, "nl")
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "&lt;b&gt;Els&lt;/b&gt;" in mail.html
    assert "Tweede regel &amp; meer" in mail.html and "<br>" in mail.html
    assert '<script>alert("x")</script>' in mail.text  # the text part is shown as text, never interpreted


def test_missing_template_is_an_error_naming_it(mail_context):
    with pytest.raises(MailTemplateError, match="bestaat_niet"):
        render_mail("bestaat_niet", {"reference": "M-1"}, "nl")
    with pytest.raises(MailTemplateError, match="portal_url"):
        render_mail("aannemer_opdracht", {"reference": "M-1"}, "nl", "aannemer")
    with pytest.raises(MailTemplateError):
        render_mail("_layout", {"reference": "M-1"}, "nl")


def test_unknown_language_falls_back_to_dutch(mail_context):
    assert render_mail("ontvangen", sample("ontvangen"), "fr").language == "nl"


def test_every_template_the_project_queues_has_a_mail():
    """The template names written in the BPMN models and in queue_mail calls are all in TEMPLATES."""
    used = set()
    for path in (ROOT / "bpmn").glob("*.bpmn"):
        used |= set(re.findall(r'parameter id="template" type="str" value="\'(\w+)\'"', path.read_text()))
    for package in ("handlers", "notifications", "intake", "web", "engine"):
        for path in (ROOT / package).rglob("*.py"):
            used |= set(re.findall(r'queue_mail\([^)]*?,\s*"(\w+)"', path.read_text(), flags=re.S))
    assert used >= {"ontvangen", "afgesloten", "aannemer_opdracht", "overdracht"}, used
    assert used <= set(TEMPLATES), used - set(TEMPLATES)
    for template in TEMPLATES:  # one template per mail for every language (notifications/templates)
        for suffix in (".txt", ".html"):
            assert (ROOT / "notifications" / "templates" / f"{template}{suffix}").is_file()
