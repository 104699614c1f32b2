"""One conversation end to end, as the citizen sees it: a mail to the info address comes in through the
real mail intake, the onthaal answers it, the answer arrives over SMTP in the citizen's thread, the
citizen's reply to that answer comes back into the same case, and the next answer continues the thread."""
from __future__ import annotations

from email.utils import format_datetime

from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from intake.mail_intake import take_in
from notifications.sender import send_due

from .helpers import Actor
from .test_infomail_process import INFO, make_actor

CITIZEN = "els.vraagsteller@voorbeeld.example"


def eml(subject: str, message_id: str, body: str, in_reply_to: str = "", references: str = "") -> bytes:
    """A plain mail from the citizen to the info address, as their mail client would send it."""
    headers = [f"From: Els Vraagsteller <{CITIZEN}>", f"To: {INFO}", f"Subject: {subject}",
               f"Message-ID: {message_id}", f"Date: {format_datetime(utcnow())}", "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {references or in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


def test_question_answer_reply_and_second_answer_stay_in_one_thread(app, client, smtp_server):
    app.config.update(smtp_server.config(), MELDPUNT_INFO_ADDRESS=INFO)
    onthaal: Actor = make_actor(client, "eva", "onthaal", "onthaal")

    first = take_in(eml("Openingsuren containerpark", "<vraag-1@voorbeeld.example>",
                        "Wanneer is het containerpark open op zaterdag?"))
    ref = first.reference
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    assert case.kind == "mail" and "zaterdag" in case.description
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Op zaterdag van 9 tot 16 uur."})
    send_due()
    ack, answer = smtp_server.messages
    assert f"[{ref}]" in ack.message["Subject"] and ack.rcpt_tos == [CITIZEN]
    assert answer.message["From"] == INFO and answer.message["In-Reply-To"] == "<vraag-1@voorbeeld.example>"
    assert answer.message["Subject"] == f"Re: Openingsuren containerpark [{ref}]"

    ours = answer.message["Message-ID"]
    second = take_in(eml(f"Re: Openingsuren containerpark [{ref}]", "<reactie-1@voorbeeld.example>",
                         "En op zondag?\n\n> Op zaterdag van 9 tot 16 uur.", in_reply_to=ours,
                         references=f"<vraag-1@voorbeeld.example> {ours}"))
    assert second.reference == ref  # no new case: the reply joined the conversation
    assert onthaal.open_item(ref, "triage")["group"] == "onthaal"
    page_text = onthaal.case(ref)
    assert any(e["kind"] == "citizen_reply" and "En op zondag?" in (e["note"] or "") for e in page_text["timeline"])

    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Op zondag is het gesloten."})
    send_due()
    last = smtp_server.messages[-1]
    assert last.message["In-Reply-To"] == "<reactie-1@voorbeeld.example>"
    assert last.message["References"] == "<vraag-1@voorbeeld.example> <reactie-1@voorbeeld.example>"
    assert "Op zondag is het gesloten." in last.part("text/plain")
    assert db.session.scalar(select(Case.status).where(Case.reference == ref)) == "beantwoord"
