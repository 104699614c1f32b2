"""Reading mail and the loop guard, on real-world messages (no database needed)."""
from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from intake.loop_guard import bounce_report, classify
from intake.mail_parse import parse_mail
from intake.mail_threading import reply_text
from notifications.render import render_mail
from notifications.sender import _Settings, build_message

DATA = Path(__file__).parent / "data" / "mail"


def mail(name: str):
    return parse_mail((DATA / name).read_bytes())


@pytest.mark.parametrize("name, kind, reason_words", [
    ("afwezig-nl.eml", "auto_reply", "Auto-Submitted: auto-replied"),
    ("reponse-automatique-fr.eml", "auto_reply", "Réponse automatique"),
    ("leesbevestiging.eml", "read_receipt", "disposition-notification"),
    ("nieuwsbrief.eml", "list", "List-Unsubscribe"),
    ("vraag-html-nl.eml", "human", "gewone mail"),
])
def test_loop_guard_gives_a_readable_reason(name, kind, reason_words):
    verdict = classify(mail(name))
    assert verdict.kind == kind
    assert reason_words in verdict.reason
    assert verdict.acknowledge is (kind == "human")


def headers(text: str, subject: str = "Vraag") -> bytes:
    return (f"From: Piet <piet@voorbeeld.be>\nTo: info@stad.example\nSubject: {subject}\n{text}"
            "Content-Type: text/plain; charset=utf-8\n\nTekst\n").encode()


@pytest.mark.parametrize("extra, kind", [
    ("Auto-Submitted: auto-replied\n", "auto_reply"),
    ("Auto-Submitted: auto-generated\n", "auto_reply"),
    ("Auto-Submitted: no\n", "human"),
    ("Return-Path: <>\n", "auto_reply"),
    ("Precedence: bulk\n", "bulk"),
    ("Precedence: junk\n", "bulk"),
    ("Precedence: list\n", "list"),
    ("Precedence: auto_reply\n", "auto_reply"),
    ("List-Id: Buurtcomité <buurt.lists.voorbeeld.be>\n", "list"),
    ("X-Autoreply: yes\n", "auto_reply"),
    ("X-Autorespond: vacation\n", "auto_reply"),
    ("X-Auto-Response-Suppress: OOF, AutoReply\n", "no_autoreply"),
])
def test_each_rfc3834_header_stops_the_acknowledgement(extra, kind):
    verdict = classify(parse_mail(headers(extra)))
    assert verdict.kind == kind, verdict
    assert verdict.acknowledge is (kind == "human")


@pytest.mark.parametrize("subject, kind", [
    ("Automatisch antwoord: Uw melding", "auto_reply"),
    ("Afwezig tot 7 december", "auto_reply"),
    ("Out of Office: Re: question", "auto_reply"),
    ("Absence du bureau", "auto_reply"),
    ("RE: Réponse automatique : votre question", "auto_reply"),
    ("Undeliverable: Uw melding M2026-000001", "bounce"),
    ("Niet afgeleverd: Uw vraag", "bounce"),
    ("Delivery Status Notification (Failure)", "bounce"),
    ("Mail delivery failed: returning message to sender", "bounce"),
    ("Gelezen: Uw vraag", "read_receipt"),
    # A citizen's own words that only look alike stay human mail.
    ("Afwezigheid van de vuilophaling in mijn straat", "human"),
    ("Vraag over de afwezige verlichting", "human"),
])
def test_subject_patterns_are_the_last_resort(subject, kind):
    assert classify(parse_mail(headers("", subject))).kind == kind


def test_our_own_outgoing_mails_are_marked_automatic_and_never_acknowledged():
    """What notifications/sender.py puts on the wire carries Auto-Submitted, and the guard honours it."""
    row = type("Row", (), {"recipient": "els@voorbeeld.be", "message_id": "<1.2@stad.example>", "data": {},
                           "template": "ontvangen", "language": "nl", "recipient_kind": "melder"})()
    settings = _Settings(host="x", port=25, starttls=False, user=None, password="", timeout=5,
                         mail_from="Meldpunt <info@stad.example>", envelope_from="info@stad.example",
                         reply_to=None, max_attempts=3)
    rendered = render_mail("ontvangen", {"reference": "M2026-000001", "tracking_url": "https://x/volg/t"})
    raw = build_message(row, rendered, settings).as_bytes()
    assert message_from_bytes(raw, policy=policy.default)["Auto-Submitted"] == "auto-generated"
    verdict = classify(parse_mail(raw), own_addresses=("info@stad.example",))
    assert verdict.automatic and not verdict.acknowledge
    assert classify(parse_mail(raw)).kind == "auto_reply"  # even when the address is not known as ours


def test_html_only_mail_in_windows_1252_becomes_readable_text():
    parsed = mail("vraag-html-nl.eml")
    assert parsed.subject == "Vraag over grofvuil in de Bruulstraat"
    assert "Wanneer wordt het grofvuil opgehaald in de Bruulstraat?" in parsed.text
    assert 'Café "De Zwaan"' in parsed.text and "<div>" not in parsed.text


def test_bounce_report_names_the_returned_message_and_the_failed_address():
    raw = (DATA / "bounce-van-onze-mail.eml.tmpl").read_text().format(
        recipient="els@voorbeeld.example", message_id="<abc.1@localhost>", subject="Uw melding M2026-000007")
    parsed = parse_mail(raw.encode())
    assert classify(parsed).kind == "bounce"
    report = bounce_report(parsed)
    assert report.original_ids == ["<abc.1@localhost>"]
    assert report.failed_recipients == ["els@voorbeeld.example"]
    assert "User unknown" in report.diagnostic and report.original_subject == "Uw melding M2026-000007"


def test_reply_text_keeps_the_new_part_above_the_quote():
    text = "Het is huisnummer 12.\n\nGroeten,\nEls\n\nOp di 1 dec. 2026 om 14:02 schreef Meldpunt <i@s.be>:\n> Waar?"
    assert reply_text(text) == "Het is huisnummer 12.\n\nGroeten,\nEls"
    assert reply_text("> only a quote") == "> only a quote"
