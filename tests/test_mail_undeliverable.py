"""A mail the SMTP server refuses reaches the case: the address is marked failing, staff see why on the
timeline and the case page, no more mails are queued to it, and a failed mail can be sent again."""
from __future__ import annotations

from datetime import timedelta

from flask.cli import ScriptInfo
from freezegun import freeze_time
from markupsafe import escape
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, Reporter
from handlers.models import User
from notifications.models import OutboxMessage
from notifications.sender import send_due
from web.cli import main

from .helpers import Browser, with_password

ADDRESS = "els@voorbeeld.example"
REFUSAL = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown in virtual mailbox table"
SEEN = "550 5.1.1 <(adres)>: Recipient address rejected: User unknown in virtual mailbox table"


def mails(template: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                   .order_by(OutboxMessage.id)))


def notes(staff, ref: str) -> list[str]:
    return [e.get("note") or "" for e in staff.meldkamer.case(ref)["timeline"]]


def reporter() -> Reporter:
    db.session.expire_all()
    return db.session.scalar(select(Reporter).where(Reporter.email == ADDRESS))


def browser(app, username: str) -> Browser:
    return Browser(app, username, with_password(db.session.scalar(select(User).where(User.username == username))))


def test_a_refused_reporter_address_reaches_the_case_and_gets_no_more_mails(app, staff, client, smtp_server):
    app.config.update(smtp_server.config())
    ref = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    smtp_server.refuse[ADDRESS] = REFUSAL

    assert send_due().failed == 1

    assert f"Mail aan melder kon niet bezorgd worden: {SEEN}" in notes(staff, ref)
    event = next(e for e in staff.meldkamer.case(ref)["timeline"] if e["kind"] == "mail_undeliverable")
    assert not event["public"] and ADDRESS not in event["note"]
    assert reporter().email_failed_at is not None
    token = db.session.scalar(select(Case.tracking_token).where(Case.reference == ref))
    tracking = client.get(f"/volg/{token}").get_data(as_text=True)
    # (not a bare "550": the page's map has the city's coordinates, 4.465500)
    assert "bezorgd" not in tracking and "550 5.1.1" not in tracking and "rejected" not in tracking, \
        "the citizen's page shows nothing of it"

    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    assert mails("in_behandeling") == [], "no more mails are queued to the refused address"
    assert any(n.startswith("Mail 'in_behandeling' niet verstuurd aan de melder: e-mailadres werkt niet")
               for n in notes(staff, ref))
    page = browser(app, "an").get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert 'id="email-failing"' in page and "Dit e-mailadres werkt niet" in page
    assert str(escape(f"Mail aan melder kon niet bezorgd worden: {SEEN}")) in page

    del smtp_server.refuse[ADDRESS]  # the citizen fixed the mailbox and reports again with the same address
    second = staff.meldkamer.file_melding("Nog een lamp kapot", email=ADDRESS)["reference"]
    assert reporter().email_failed_at is None
    assert send_due().sent == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [[ADDRESS]]
    assert second in str(smtp_server.messages[0].message["Subject"])


def test_a_temporary_refusal_counts_once_the_attempts_run_out(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_SMTP_MAX_ATTEMPTS"] = 2
    ref = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    smtp_server.refuse[ADDRESS] = "451 4.2.0 Mailbox busy"
    with freeze_time(utcnow(), tick=True) as clock:
        assert send_due().retrying == 1
        assert reporter().email_failed_at is None, "one 4xx is not the address's end"
        clock.tick(timedelta(minutes=2))
        assert send_due().failed == 1

    assert reporter().email_failed_at is not None
    assert "Mail aan melder kon niet bezorgd worden: 451 4.2.0 Mailbox busy (na 2 pogingen)" in notes(staff, ref)


def test_mails_already_waiting_for_a_refused_address_are_not_sent(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    first = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    second = staff.meldkamer.file_melding("Ook de lamp ernaast", email=ADDRESS)["reference"]
    staff.meldkamer.file_melding("Een andere melder", email="ander@voorbeeld.example")
    smtp_server.refuse[ADDRESS] = REFUSAL

    report = send_due()

    assert (report.sent, report.failed) == (1, 1)
    refused, skipped = mails("ontvangen")[:2]
    assert refused.status == "failed" and refused.attempts == 1
    assert skipped.status == "failed" and skipped.attempts == 0, "never tried: its address had just been refused"
    assert "niet verstuurd: de mailserver weigerde dit adres" in skipped.last_error
    assert any("niet verstuurd aan de melder" in n for n in notes(staff, second))
    assert not any("kon niet bezorgd worden" in n for n in notes(staff, second))
    assert any("kon niet bezorgd worden" in n for n in notes(staff, first))
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ander@voorbeeld.example"]]


def test_a_refused_contractor_mail_shows_on_the_case_and_on_the_orders_page(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    contractor = "service@lichtwerk-rupel.example"
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                       "instructions": "Lamp vervangen aan paal 12"})
    smtp_server.refuse[contractor] = "550 5.7.1 Relaying denied"

    send_due()

    assert f"Mail aan aannemer {contractor} kon niet bezorgd worden: 550 5.7.1 Relaying denied" in notes(staff, ref)
    page = browser(app, "an").get("/werk/meldkamer/aannemers").get_data(as_text=True)
    assert "Opdrachtmail kon niet bezorgd worden: 550 5.7.1 Relaying denied" in page
    assert db.session.scalar(select(Reporter.email_failed_at).where(Reporter.email == "melder@voorbeeld.example")) \
        is None, "a contractor's refusal says nothing about the reporter's address"


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_an_admin_sends_a_failed_mail_again_from_the_outbox_page(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    ref = staff.meldkamer.file_melding(email=ADDRESS)["reference"]
    smtp_server.refuse[ADDRESS] = REFUSAL
    send_due()
    failed = mails("ontvangen")[0]
    admin = browser(app, "root")
    page = admin.get("/werk/beheer/uitgaand?status=failed").get_data(as_text=True)
    assert "Opnieuw versturen" in page and "Alle mislukte opnieuw versturen" in page

    del smtp_server.refuse[ADDRESS]  # the mail server's administrator fixed the mailbox
    response = admin.post("/werk/beheer/uitgaand/opnieuw", {"mail_id": str(failed.id)},
                          page="/werk/beheer/uitgaand?status=failed")
    assert response.status_code == 302
    assert "1 mail opnieuw klaargezet: ze vertrekt" in admin.get(response.location).get_data(as_text=True)
    assert "Mail 'ontvangen' aan de melder opnieuw klaargezet door root" in notes(staff, ref)
    assert reporter().email_failed_at is None

    assert send_due().sent == 1
    assert [str(m.message["Message-ID"]) for m in smtp_server.messages] == [failed.message_id], "the same mail"
    assert mails("ontvangen")[0].status == "sent"

    handler = browser(app, "bart")
    assert handler.post("/werk/beheer/uitgaand/opnieuw", {"mail_id": str(failed.id)},
                        page="/werk/dossier/" + ref).status_code == 403
    again = admin.post("/werk/beheer/uitgaand/opnieuw", {"mail_id": str(failed.id)}, page="/werk/beheer/uitgaand")
    assert "Alleen een mislukte mail kan opnieuw verstuurd worden." in admin.get(again.location).get_data(as_text=True)


def test_all_failed_mails_are_sent_again_from_the_page_and_the_cli(app, staff, smtp_server):
    app.config.update(smtp_server.config())
    for number in range(3):
        staff.meldkamer.file_melding(email=f"melder{number}@voorbeeld.example")
        smtp_server.refuse[f"melder{number}@voorbeeld.example"] = "550 5.1.1 No such mailbox"
    send_due()
    ids = [m.id for m in mails("ontvangen")]
    smtp_server.refuse.clear()

    result = invoke(app, "outbox", "retry", str(ids[0]))
    assert result.exit_code == 0 and f"1 mail(s) queued again: {ids[0]}" in result.output
    assert invoke(app, "outbox", "retry", str(ids[0])).exit_code == 2, "no longer a failed mail"
    assert invoke(app, "outbox", "retry").exit_code != 0, "ids or --all-failed"

    result = invoke(app, "outbox", "retry", "--all-failed")
    assert result.exit_code == 0 and "2 mail(s) queued again" in result.output
    assert send_due().sent == 3
    smtp_server.refuse["melder0@voorbeeld.example"] = "550 5.1.1 No such mailbox"
    ids.append(staff.meldkamer.file_melding(email="melder0@voorbeeld.example") and mails("ontvangen")[-1].id)
    send_due()

    admin = browser(app, "root")
    response = admin.post("/werk/beheer/uitgaand/opnieuw", {"alle": "1"}, page="/werk/beheer/uitgaand")
    assert "1 mail opnieuw klaargezet: ze vertrekt" in admin.get(response.location).get_data(as_text=True)
    assert [m.status for m in mails("ontvangen")] == ["sent", "sent", "sent", "pending"]


def test_an_infomail_answer_is_not_mailed_to_a_refused_address_but_stays_on_the_tracking_page(app, client,
                                                                                             smtp_server):
    from .helpers import public_texts
    from .test_infomail_process import INFO, SENDER, make_actor, receive_mail

    app.config.update(smtp_server.config(), MELDPUNT_INFO_ADDRESS=INFO)
    onthaal = make_actor(client, "eva", "onthaal", "onthaal")
    ref = receive_mail()
    smtp_server.refuse[SENDER] = "550 5.1.1 No such mailbox"
    assert send_due().failed == 1  # the acknowledgement is refused

    answer = "Het containerpark is op zaterdag open van 9 tot 16 uur."
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": answer})

    assert mails("antwoord_mail") == []
    case = onthaal.case(ref)
    assert any(n.startswith("Antwoord niet gemaild: e-mailadres werkt niet") for n in
               [e.get("note") or "" for e in case["timeline"]])
    assert answer in public_texts(case)
