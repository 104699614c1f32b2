"""The privacy rules for incoming post and the info mailbox: a letter's sender, its scan and the reply letters,
the citizen's mails, attachments and replies are anonymised after the period, and are in the data export.

Cases are made through the real flows (post registration, mail intake of .eml bytes, the staff API) and aged
with the real timers under freezegun, as in tests/test_privacy.py.
"""
from __future__ import annotations

import json
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import select, text

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from handlers.files import storage_root
from handlers.models import User
from handlers.post_models import PostLetter, PostReply
from handlers.privacy import SCRUBBED, anonymise_due
from handlers.privacy_export import export_reporter
from intake.mail_intake import take_in
from intake.mail_models import IncomingMail
from intake.post_intake import local_today

from .helpers import Browser, with_password
from .test_infomail_process import INFO, make_actor
from .test_post_support import register

DATA = Path(__file__).parent / "data" / "mail"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))

# The letter writer, as the postkamer types them.
WRITER = {"sender_name": "Els Peeters", "sender_address": "Kanunnik de Deckerstraat 21\n2800 Mechelen",
          "sender_email": "els.peeters@voorbeeld.example"}
LETTER_SUBJECT = "Vraag over de straatverlichting (mail els.peeters@voorbeeld.example)"
POST_SECRETS = ("Els Peeters", "Kanunnik de Deckerstraat", "els.peeters@voorbeeld.example")

# The citizen who writes to the info mailbox.
CITIZEN = "karel.vraagsteller@voorbeeld.example"
CITIZEN_NAME = "Karel Vraagsteller"
QUESTION = ("Dag,\n\nWanneer is het containerpark open op zaterdag?\n\nGroeten,\nKarel Vraagsteller\n"
            "Hoogstraat 99, 2800 Mechelen")
REPLY = "En op zondag? Mijn buurvrouw Martine wil ook komen."
MAIL_SECRETS = (CITIZEN, CITIZEN_NAME, "Hoogstraat 99", "containerpark open op zaterdag", "buurvrouw Martine")


def fresh() -> None:
    """Forget what the test's session holds: the app wrote through other sessions."""
    db.session.rollback()
    db.session.expire_all()


def case_row(reference: str) -> Case:
    return db.session.scalar(select(Case).where(Case.reference == reference))


def mark_mails_sent() -> None:
    fresh()
    for row in db.session.execute(text("select id from outbox where status = 'pending'")).all():
        db.session.execute(text("update outbox set status = 'sent' where id = :id"), {"id": row.id})
    db.session.commit()


def rows_of_case(case_id: int) -> dict[str, list[str]]:
    """Every column of every row the database holds for the case, as text (what a data leak would show)."""
    found: dict[str, list[str]] = {}
    tables = {"cases": "id", "post_letters": "case_id", "post_replies": "case_id", "incoming_mails": "case_id",
              "case_events": "case_id", "outbox": "case_id", "case_files": "case_id"}
    for table, column in tables.items():
        for row in db.session.execute(text(f"select * from {table} where {column} = :id"), {"id": case_id}):
            values = []
            for value in row:
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).decode("latin-1")
                elif isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                values.append(str(value))
            found.setdefault(table, []).append(" | ".join(values))
    return found


def leaks(case_id: int, secrets: tuple[str, ...]) -> list[str]:
    """(table: secret) for each secret still found in a row of the case, case-insensitively."""
    return [f"{table}: {secret}" for table, rows in rows_of_case(case_id).items() for row in rows
            for secret in secrets if secret.lower() in row.lower()]


def files_on_disk(case_id: int) -> list[Path]:
    return [storage_root() / f.storage_key for f in db.session.scalars(select(CaseFile).where(
        CaseFile.case_id == case_id))]


# -------------------------------------------------------------------------------- incoming post


def answered_letter(staff) -> str:
    """A letter registered, answered with two versions of the reply letter, sent and so closed."""
    ref = register(subject=LETTER_SUBJECT, **WRITER).reference
    staff.ood.complete(ref, "answer", {"action": "letter", "answer_text": "Geachte Els Peeters,\n\nDe lamp ..."})
    staff.ood.complete(ref, "sent_task", {"decision": "revise"})
    staff.ood.complete(ref, "answer", {"action": "letter",
                                       "answer_text": "Geachte Els Peeters,\n\nDe lamp is hersteld."})
    staff.ood.complete(ref, "sent_task", {"decision": "sent", "sent_on": local_today().isoformat()})
    fresh()
    assert case_row(ref).status == "afgesloten" and case_row(ref).completed
    return ref


def test_a_closed_post_case_loses_the_sender_the_scan_and_the_letters_after_the_period(app, staff):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    ref = answered_letter(staff)
    info_ref = register(kind="ter_info", subject="Jaarverslag van het buurtcomité", group="samen-leven",
                        **WRITER).reference  # the same writer; closed at once, the group is mailed the sender
    still_open = register(sender_name="Jan Janssens", sender_address="Bruul 1\n2800 Mechelen",
                          sender_email="jan.janssens@voorbeeld.example").reference
    mark_mails_sent()
    case = case_row(ref)
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    replies = list(db.session.scalars(select(PostReply).where(PostReply.case_id == case.id)))
    assert len(replies) == 2 and letter.scan_file is not None
    paths = files_on_disk(case.id)
    assert len(paths) == 3 and all(p.exists() for p in paths)  # the scan and two reply letters
    assert "Els Peeters" in case.state and leaks(case.id, POST_SECRETS)
    open_paths = files_on_disk(case_row(still_open).id)

    with freeze_time(case.closed_at + timedelta(days=5 * 30)):
        early = anonymise_due()
    fresh()
    assert early.cases == 0 and all(p.exists() for p in paths)

    with freeze_time(case.closed_at + timedelta(days=6 * 31 + 1)):
        report = anonymise_due()
    fresh()
    assert (report.reporters, report.cases, report.files, report.deferred) == (1, 2, 4, 0)
    case = case_row(ref)
    assert leaks(case.id, POST_SECRETS) == []
    assert leaks(case_row(info_ref).id, POST_SECRETS) == []  # the group's mail named the sender
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    assert (letter.sender_name, letter.sender_address, letter.sender_email) == (SCRUBBED,) * 3
    assert letter.subject == "Vraag over de straatverlichting (mail [e-mail verwijderd])"
    assert letter.scan_file_id is None and letter.received_on is not None and letter.letter_kind == "vraag"
    assert db.session.scalars(select(PostReply).where(PostReply.case_id == case.id)).all() == []
    assert files_on_disk(case.id) == [] and not any(p.exists() for p in paths)
    assert staff.ood.case(ref)["status"] == "afgesloten"  # the case still reads fine, and so does its page
    page = Browser(app, staff.ood.user.username, with_password(staff.ood.user)).get(f"/werk/dossier/{ref}")
    assert page.status_code == 200 and SCRUBBED in page.get_data(as_text=True)
    assert not any(secret in page.get_data(as_text=True) for secret in POST_SECRETS)
    from engine.runtime import SERIALIZER

    assert SERIALIZER.deserialize_json(case.state).is_completed()

    other = case_row(still_open)  # still open: left alone
    other_letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == other.id))
    assert other_letter.sender_name == "Jan Janssens" and other_letter.scan_file_id is not None
    assert other.reporter.email == "jan.janssens@voorbeeld.example" and all(p.exists() for p in open_paths)


def test_the_export_holds_the_letters_as_registered_and_their_files(app, staff):
    ref = answered_letter(staff)
    data = export_reporter(WRITER["sender_email"])
    json.dumps(data)
    exported = data["cases"][0]
    assert exported["reference"] == ref and exported["kind"] == "post"
    letter = exported["letter"]
    assert (letter["sender_name"], letter["sender_address"], letter["sender_email"]) == (
        WRITER["sender_name"], WRITER["sender_address"], WRITER["sender_email"])
    assert letter["subject"] == LETTER_SUBJECT and letter["kind"] == "vraag"
    assert letter["received_on"] == local_today().isoformat() and letter["written_on"]
    assert [r["version"] for r in letter["replies"]] == [1, 2]
    assert letter["replies"][1]["sent_on"] == local_today().isoformat()
    assert sorted(f["filename"] for f in exported["files"]) == sorted(
        ["brief.pdf", f"antwoord-{ref}-v1.docx", f"antwoord-{ref}-v2.docx"])


# -------------------------------------------------------------------------------- info mailbox


def citizen_mail(subject: str, message_id: str, body: str, attachment: bool = False) -> bytes:
    """A mail from the citizen to the info address, as their mail client sends it."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = f"{CITIZEN_NAME} <{CITIZEN}>", INFO, subject
    mail["Message-ID"], mail["Date"] = message_id, format_datetime(utcnow())
    mail.set_content(body)
    if attachment:
        mail.add_attachment(PNG, maintype="image", subtype="png", filename="containerpark-karel.png")
    return mail.as_bytes()


def answered_mail_conversation(app, client) -> str:
    """A question with a photo, the onthaal's answer, the citizen's reply, a second answer; then no more reply,
    so the case closes when the reply window ends (the real timer)."""
    app.config.update(MELDPUNT_INFO_ADDRESS=INFO, MELDPUNT_MAIL_REPLY_DAYS=3)
    onthaal = make_actor(client, "eva", "onthaal", "onthaal")
    with freeze_time(utcnow(), tick=True) as clock:
        ref = take_in(citizen_mail("Openingsuren containerpark", "<vraag-1@voorbeeld.example>", QUESTION,
                                   attachment=True)).reference
        onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Dag Karel Vraagsteller, van 9 tot 16."})
        reply = take_in(citizen_mail(f"Re: Openingsuren containerpark [{ref}]", "<reactie-1@voorbeeld.example>",
                                     REPLY))
        assert reply.reference == ref and reply.outcome == "added_to_case"
        onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Op zondag is het gesloten."})
        clock.tick(timedelta(days=3, hours=1))
        assert timers.tick() == 1
    fresh()
    case = case_row(ref)
    assert case.status == "afgesloten" and case.completed
    mark_mails_sent()
    return ref


def test_a_closed_mail_case_loses_the_citizens_address_texts_and_files_after_the_period(app, client, monkeypatch):
    ref = answered_mail_conversation(app, client)
    case = case_row(ref)
    kinds = set(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)))
    assert {"mail_received", "citizen_reply", "message"} <= kinds
    paths = files_on_disk(case.id)
    assert len(paths) == 3 and all(p.exists() for p in paths)  # the photo and both original mails
    assert REPLY in case.state and CITIZEN in case.state
    assert {"outbox", "incoming_mails", "case_events"} <= {leak.split(":")[0] for leak in leaks(case.id, MAIL_SECRETS)}

    # mails that never became a case: an out-of-office reply (ignored) and one that failed (its bytes kept to try again)
    absent = take_in((DATA / "afwezig-nl.eml").read_bytes())
    import intake.mail_intake as intake

    def broken_start_case(**kwargs):
        raise RuntimeError("process model missing")  # as when the infomail model was not deployed

    monkeypatch.setattr(intake, "start_case", broken_start_case)
    failed = take_in(citizen_mail("Nog een vraag", "<vraag-2@voorbeeld.example>", "Waar is het stadhuis? Karel"))
    monkeypatch.undo()
    assert (absent.outcome, failed.outcome) == ("ignored", "failed")
    fresh()
    assert db.session.get(IncomingMail, failed.row_id).raw is not None

    with freeze_time(utcnow() + timedelta(days=200)):
        early = anonymise_due(months=12)
    fresh()
    assert (early.cases, early.mails) == (0, 0) and all(p.exists() for p in paths)
    assert db.session.get(IncomingMail, absent.row_id).sender == "jan.peeters@voorbeeld.be"

    with freeze_time(utcnow() + timedelta(days=400)):
        report = anonymise_due(months=12)
    fresh()
    assert (report.reporters, report.cases, report.files, report.mails) == (1, 1, 3, 2)
    case = case_row(ref)
    assert leaks(case.id, MAIL_SECRETS) == []
    assert not any(p.exists() for p in paths) and files_on_disk(case.id) == []
    rows = list(db.session.scalars(select(IncomingMail).where(IncomingMail.case_id == case.id)))
    assert len(rows) == 2 and all(r.sender == SCRUBBED and r.raw is None for r in rows)
    assert {r.outcome for r in rows} == {"new_case", "added_to_case"}  # what happened to each mail stays
    assert case.reporter.email is None and case.reporter.name is None
    admin = User(username="root", display_name="Root", role="admin")
    db.session.add(admin)
    page = Browser(app, "root", with_password(admin)).get(f"/werk/dossier/{ref}")
    assert page.status_code == 200 and not any(s in page.get_data(as_text=True) for s in MAIL_SECRETS)
    from engine.runtime import SERIALIZER

    assert SERIALIZER.deserialize_json(case.state).is_completed()
    for row_id in (absent.row_id, failed.row_id):
        loose = db.session.get(IncomingMail, row_id)
        assert (loose.sender, loose.subject, loose.raw) == (SCRUBBED, SCRUBBED, None)
    assert "Karel" not in (db.session.get(IncomingMail, failed.row_id).reason or "")

    with freeze_time(utcnow() + timedelta(days=800)):
        again = anonymise_due(months=12)
    assert (again.cases, again.mails, again.files) == (0, 0, 0)


def test_an_open_mail_case_is_left_alone(app, client):
    app.config.update(MELDPUNT_INFO_ADDRESS=INFO)
    ref = take_in(citizen_mail("Openingsuren containerpark", "<vraag-1@voorbeeld.example>", QUESTION,
                               attachment=True)).reference
    mark_mails_sent()
    case = case_row(ref)
    paths = files_on_disk(case.id)
    report = anonymise_due(now=utcnow() + timedelta(days=800), months=12)
    fresh()
    assert (report.cases, report.mails) == (0, 0)
    case = case_row(ref)
    assert case.description.startswith("Dag,") and case.reporter.email == CITIZEN
    assert db.session.scalar(select(IncomingMail.sender).where(IncomingMail.case_id == case.id)) == CITIZEN
    assert all(p.exists() for p in paths) and len(paths) == 2


def test_a_pending_mail_to_the_citizen_defers_the_mail_case(app, client):
    ref = answered_mail_conversation(app, client)
    fresh()
    db.session.execute(text("update outbox set status = 'pending' where case_id = :id and template = 'antwoord_mail'"),
                       {"id": case_row(ref).id})
    db.session.commit()
    report = anonymise_due(now=utcnow() + timedelta(days=800), months=12)
    fresh()
    assert (report.cases, report.deferred) == (0, 1) and case_row(ref).reporter.email == CITIZEN
    mark_mails_sent()
    assert anonymise_due(now=utcnow() + timedelta(days=800), months=12).cases == 1


def test_the_export_holds_the_citizens_mails(app, client):
    ref = answered_mail_conversation(app, client)
    absent = take_in((DATA / "afwezig-nl.eml").read_bytes())
    assert absent.outcome == "ignored"
    data = export_reporter(CITIZEN.upper())
    json.dumps(data)
    mails = data["incoming_mails"]
    assert [(m["subject"], m["outcome"], m["case"]) for m in mails] == [
        ("Openingsuren containerpark", "new_case", ref),
        (f"Re: Openingsuren containerpark [{ref}]", "added_to_case", ref)]
    assert all(m["received_at"] and m["sender"] == CITIZEN for m in mails)
    exported = data["cases"][0]
    assert exported["reference"] == ref and exported["description"] == QUESTION
    assert sorted(f["filename"] for f in exported["files"])[0] == "containerpark-karel.png"
    assert len(exported["files"]) == 3
    assert any(e["kind"] == "citizen_reply" and e["note"] == REPLY for e in exported["timeline"])
    assert "jan.peeters" not in json.dumps(data)
