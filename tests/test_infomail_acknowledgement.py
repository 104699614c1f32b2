"""The acknowledgement of an info mail leaves from the info address in the citizen's thread, so a reply comes back."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from engine.models import Case
from intake.mail_intake import take_in
from notifications.sender import send_due

from .test_infomail_thread import CITIZEN, eml

INFO = "Stad Mechelen <info@stad.example>"
GENERAL = "Meldpunt <meldpunt@stad.example>"
GENERAL_REPLY_TO = "noreply@stad.example"


def test_the_acknowledgement_is_sent_from_the_info_address_in_the_citizens_thread(app, smtp_server, staff):
    app.config.update(smtp_server.config(), MELDPUNT_INFO_ADDRESS=INFO, MELDPUNT_MAIL_FROM=GENERAL,
                      MELDPUNT_MAIL_REPLY_TO=GENERAL_REPLY_TO)
    ref = take_in(eml("Openingsuren containerpark", "<vraag-7@voorbeeld.example>",
                      "Wanneer is het containerpark open op zaterdag?")).reference
    staff.meldkamer.file_melding(email="els@voorbeeld.example")  # a melding's receipt stays with the general sender

    send_due()

    by_recipient = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}
    ack, receipt = by_recipient[CITIZEN], by_recipient["els@voorbeeld.example"]
    assert f"[{ref}]" in ack["Subject"]
    assert ack["From"] == INFO and ack["Reply-To"] is None
    assert ack["In-Reply-To"] == "<vraag-7@voorbeeld.example>" and ack["References"] == "<vraag-7@voorbeeld.example>"
    assert receipt["From"] == GENERAL and receipt["Reply-To"] == GENERAL_REPLY_TO and receipt["In-Reply-To"] is None

    # The citizen answers the acknowledgement: the reply joins the case instead of starting a new one.
    reply = take_in(eml(f"Re: {ack['Subject']}", "<reactie-7@voorbeeld.example>", "Ook op zondag?",
                        in_reply_to=ack["Message-ID"], references=f"<vraag-7@voorbeeld.example> {ack['Message-ID']}"))
    assert reply.outcome == "added_to_case" and reply.reference == ref
    assert db.session.scalar(select(Case.id).where(Case.kind == "mail").offset(1)) is None


def test_without_an_info_address_the_acknowledgement_still_threads_but_keeps_the_general_sender(app, smtp_server):
    app.config.update(smtp_server.config(), MELDPUNT_INFO_ADDRESS=None, MELDPUNT_MAIL_FROM=GENERAL,
                      MELDPUNT_MAIL_REPLY_TO=GENERAL_REPLY_TO)
    take_in(eml("Vraag over parkeren", "<vraag-8@voorbeeld.example>", "Waar kan ik parkeren?"))

    send_due()

    ack = smtp_server.messages[0].message
    assert ack["From"] == GENERAL and ack["Reply-To"] == GENERAL_REPLY_TO
    assert ack["In-Reply-To"] == "<vraag-8@voorbeeld.example>"
