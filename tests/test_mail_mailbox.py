"""The info mailbox read from a real IMAP server (Dovecot): every message once, the right outcome for each."""
from __future__ import annotations

import base64
import csv
import logging
import os
import secrets
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, Reporter
from handlers.groups import group_by_key
from handlers.models import User
from intake.mail_models import IncomingMail
from intake.mailbox import BUSY, only_poller, poll
from notifications.models import OutboxMessage

from .conftest import SHARED
from .helpers import Actor

EMAIL_SET = SHARED / "ext" / "email"
DATA = Path(__file__).parent / "data" / "mail"
ACK = "ontvangstbevestiging_mail"
ROOT = Path(__file__).resolve().parents[1]

# Words a person must be able to read in the case made from each shared message (body or forwarded mail;
# for the messages without any body text, the subject kept with the case).
READABLE = {
    "flanker/enclosed.eml": ["Hello", "Doorgestuurd bericht", "Kirk Douglas", "kicking ass", "дорогие мои"],
    "flanker/iphone.eml": ["Hello", "~Danielle"],
    "flanker/bilingual-simple.eml": ["This line is in English", "А эта линия по-русски."],
    "flanker/outlook-express.eml": ["geen tekst; zie de bijlagen"],
    "flanker/relative.eml": ["This is html and text message, thanks", "Regards"],
    "flanker/long-links.eml": ["THis is very long url", "http://www.longurlmaker.com/view/?id="],
    "flanker/quoted-printable.eml": ["Please note that this email contains extremely long links",
                                     "http://translate.google.com/translate?sl=de&tl=en"],
    "flanker/text-only.eml": ["I'm just testing message parsing"],
    "flanker/no-ctype.eml": ["I'm just testing message parsing"],
    "flanker/missing-final-boundary.eml": ["Some body"],
    "flanker/false-multipart.eml": ["geen leesbare tekst"],
    "flanker/mailformed-headers.eml": ["Hello"],
    "cpython/msg_06.eml": ["Doorgestuurd bericht", "Onderwerp: testing"],
    "cpython/msg_08.eml": ["geen leesbare tekst"],
    "cpython/msg_40.eml": ["geen leesbare tekst"],
    "cpython/msg_45.eml": ["This is the signed contents."],
    "cpython/msg_46.eml": ["Doorgestuurd bericht", "Testing email forwarding with Groupwise 1.2.2010"],
    "cpython/msg_02.eml": ["Send Ppp mailing list submissions", "Today's Topics"],
}
SUBJECTS = {"cpython/msg_08.eml": "Lyrics", "flanker/false-multipart.eml": "Broken MIME"}


@pytest.fixture
def mailbox(app, dovecot):
    """The app reading the test Dovecot's INBOX."""
    app.config.update(dovecot.config())
    app.config["MELDPUNT_INFO_ADDRESS"] = "info@stad.example"
    return dovecot


def manifest() -> list[dict[str, str]]:
    if not EMAIL_SET.exists():
        pytest.skip("../shared/ext/email is not beside the checkout")
    with open(EMAIL_SET / "MANIFEST.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def rows() -> list[IncomingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(IncomingMail).order_by(IncomingMail.id)))


def acknowledgements(address: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.template == ACK)
    if address:
        query = query.where(OutboxMessage.recipient == address)
    return list(db.session.scalars(query))


def case_of(row: IncomingMail) -> Case:
    assert row.case_id is not None, f"{row.subject!r}: {row.outcome} {row.reason}"
    return db.session.get(Case, row.case_id)


def files_of(case: Case) -> list[CaseFile]:
    return list(db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)))


def events_of(case: Case, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


def test_every_shared_message_through_imap_gets_the_outcome_its_label_asks(mailbox, app):
    entries = manifest()
    mailbox.append(*[(EMAIL_SET / entry["file"]).read_bytes() for entry in entries])

    report = poll()

    assert report.error is None and len(report.results) == len(entries)
    recorded = rows()
    assert [r.uid for r in recorded] == list(range(1, len(entries) + 1))
    for entry, row in zip(entries, recorded, strict=True):
        name, label = entry["file"], entry["expected_class"]
        if label in ("human", "human-forward", "malformed", "list-digest"):
            assert row.outcome == "new_case", (name, row.reason)
            case = case_of(row)
            assert case.kind == "mail" and case.channel == "mail"
            for words in READABLE[name]:
                assert words in case.description, (name, words, case.description[:300])
            if name in SUBJECTS:
                assert row.subject == SUBJECTS[name]
            names = [f.filename for f in files_of(case)]
            assert any(n.endswith(".eml") for n in names), (name, names)  # the whole original, always
        else:  # bounces of mails that are not ours: no case, and the admin page says why
            assert row.outcome == "ignored" and row.case_id is None, (name, row.reason)
            assert "foutmelding" in row.reason
        acks = [a for a in acknowledgements(row.sender) if a.case_id == row.case_id] if row.sender else []
        if entry["must_not_autoreply"] == "yes" or row.sender is None:
            assert acks == [], (name, row.reason)
        else:
            assert len(acks) == 1, (name, row.reason)

    iphone = case_of(recorded[[e["file"] for e in entries].index("flanker/iphone.eml")])
    photo = [f for f in files_of(iphone) if f.content_type == "image/jpeg"]
    assert [p.filename for p in photo] == ["photo.JPG"] and photo[0].size == 9023 and photo[0].source == "mail"
    digest = recorded[[e["file"] for e in entries].index("cpython/msg_02.eml")]
    assert "mailinglijst" in digest.reason and "zonder ontvangstbevestiging" in digest.reason
    nameless = recorded[[e["file"] for e in entries].index("cpython/msg_40.eml")]
    assert nameless.sender is None and "geen afzender" in nameless.reason
    assert all(flags and b"\\Seen" in flags for flags in mailbox.flags().values())


def test_reading_the_mailbox_again_creates_nothing_new(mailbox, app):
    mailbox.append((DATA / "vraag-html-nl.eml").read_bytes(), (DATA / "afwezig-nl.eml").read_bytes())
    first = poll()
    assert [r.outcome for r in first.results] == ["new_case", "ignored"]
    cases, outbox = db.session.query(Case).count(), db.session.query(OutboxMessage).count()

    again = poll()

    assert again.results == [] and again.error is None
    assert db.session.query(Case).count() == cases and db.session.query(OutboxMessage).count() == outbox
    assert len(rows()) == 2


def test_a_renumbered_folder_is_read_again_without_duplicates(mailbox, app):
    with mailbox.client() as client:
        client.create_folder("Info")
    app.config["MELDPUNT_IMAP_FOLDER"] = "Info"
    mailbox.append((DATA / "vraag-html-nl.eml").read_bytes(), folder="Info")
    assert [r.outcome for r in poll().results] == ["new_case"]
    mailbox.recreate_folder("Info")  # new UIDVALIDITY, same message

    report = poll()

    assert [r.outcome for r in report.results] == ["ignored"]
    assert "al verwerkt" in report.results[0].reason
    assert db.session.query(Case).count() == 1 and len(acknowledgements()) == 1
    assert poll().results == []


def test_out_of_office_read_receipt_and_newsletter_never_get_an_acknowledgement(mailbox, app):
    names = ["afwezig-nl.eml", "reponse-automatique-fr.eml", "leesbevestiging.eml", "nieuwsbrief.eml"]
    mailbox.append(*[(DATA / n).read_bytes() for n in names])

    report = poll()

    assert [r.outcome for r in report.results] == ["ignored", "ignored", "ignored", "new_case"]
    assert "Auto-Submitted" in report.results[0].reason
    assert "Réponse automatique" in report.results[1].reason
    assert "leesbevestiging" in report.results[2].reason
    assert acknowledgements() == []
    newsletter = case_of(rows()[3])
    assert "Tot 30% korting op alle kerstverlichting." in newsletter.description
    assert any("Geen ontvangstbevestiging: mailinglijst" in (e.note or "") for e in events_of(newsletter,
                                                                                                  "mail_received"))


def ask_reporter(staff, description: str = "Straatlamp brandt niet") -> str:
    """A melding that waits for the reporter's answer to a question (status wacht_op_melder)."""
    ref = staff.meldkamer.file_melding(description=description)["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Waar hangt de lamp precies?"})
    assert staff.ood.case(ref)["status"] == "wacht_op_melder"
    return ref


def reply_to(ref: str, sender: str, in_reply_to: str) -> bytes:
    photo = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(200)).decode()  # a JPEG by its signature
    return (DATA / "antwoord-op-vraag.eml.tmpl").read_text().format(
        sender=sender, reference=ref, token=secrets.token_hex(4), in_reply_to=in_reply_to,
        jpeg_base64="\n".join(textwrap.wrap(photo, 76))).encode()


def question_mail(ref: str) -> OutboxMessage:
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "informatie_gevraagd"))
    assert row is not None and row.data["reference"] == ref
    row.message_id = f"<{secrets.token_hex(8)}@stad.example>"  # what the sender gives it when it goes out
    db.session.commit()
    return row


def test_reply_to_our_question_lands_in_the_melding_and_answers_it(mailbox, app, staff):
    ref = ask_reporter(staff)
    question = question_mail(ref)
    mailbox.append(reply_to(ref, "melder@voorbeeld.example", question.message_id))

    report = poll()

    assert [(r.outcome, r.reference) for r in report.results] == [("added_to_case", ref)]
    assert staff.ood.case(ref)["status"] == "in_behandeling"
    stored = db.session.scalar(select(Case).where(Case.reference == ref))
    reaction = events_of(stored, "message")[-1].data
    assert reaction["message"] == "reporter_reaction"
    assert reaction["payload"]["text"].startswith("Dag,\n\nDe lamp hangt aan de gevel van huisnummer 12")
    assert "Waar hangt de lamp precies?" not in reaction["payload"]["text"]  # the quoted question is left out
    assert "lamp.jpg" in [f.filename for f in files_of(stored)]
    # The timeline names the role, not the address: every role reads it, not every role may see contact data.
    assert [e.actor for e in events_of(stored, "mail_received")] == ["melder"]
    assert db.session.query(Case).filter(Case.kind == "mail").count() == 0 and acknowledgements() == []


def test_reply_with_only_the_reference_in_the_subject_reaches_the_group(mailbox, app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    mailbox.append(reply_to(ref, "melder@voorbeeld.example", "<unknown@elsewhere.example>"))

    report = poll()

    assert [(r.outcome, r.reference) for r in report.results] == [("added_to_case", ref)]
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "nieuwe_mail"))
    assert notice.recipient == "ood@stad.example" and notice.recipient_kind == "medewerker"
    assert "huisnummer 12" in notice.data["mail_text"]
    stored = db.session.scalar(select(Case).where(Case.reference == ref))
    assert "referentie" in events_of(stored, "mail_received")[0].data["via"]


def test_a_stranger_writing_a_case_reference_gets_a_case_of_their_own(mailbox, app, staff):
    ref = ask_reporter(staff)
    mailbox.append(reply_to(ref, "iemand.anders@voorbeeld.example", "<none@elsewhere.example>"))

    report = poll()

    assert report.results[0].outcome == "new_case"
    assert f"({ref}), maar afzender iemand.anders@voorbeeld.example is niet de melder" in report.results[0].reason
    assert staff.ood.case(ref)["status"] == "wacht_op_melder"  # the reporter's question is still open


def test_a_bounce_of_our_mail_marks_the_address_as_failing_on_the_case(mailbox, app, staff):
    ref = staff.meldkamer.file_melding(email="els@voorbeeld.example")["reference"]
    receipt = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "ontvangen"))
    receipt.message_id, receipt.status = "<receipt.42@stad.example>", "sent"
    db.session.commit()
    bounce = (DATA / "bounce-van-onze-mail.eml.tmpl").read_text().format(
        recipient="els@voorbeeld.example", message_id=receipt.message_id, subject=f"Uw melding {ref}")
    mailbox.append(bounce.encode())

    report = poll()

    assert [(r.outcome, r.reference) for r in report.results] == [("bounce", ref)]
    db.session.expire_all()
    assert receipt.status == "failed" and "User unknown" in receipt.last_error
    reporter = db.session.scalar(select(Reporter).where(Reporter.email == "els@voorbeeld.example"))
    assert reporter.email_failed_at is not None
    timeline = staff.meldkamer.case(ref)["timeline"]
    assert any(e["kind"] == "mail_bounced" and "els@voorbeeld.example" in (e.get("note") or "") for e in timeline)
    assert acknowledgements() == [] and db.session.query(Case).count() == 1


CRASHING_WORKER = """
import os, sys
from web.app import create_app
import intake.mail_intake as intake
import intake.mailbox as mailbox

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "MELDPUNT_STORAGE_PATH": sys.argv[2],
                  "MELDPUNT_IMAP_HOST": "127.0.0.1", "MELDPUNT_IMAP_PORT": int(sys.argv[3]),
                  "MELDPUNT_IMAP_SSL": False, "MELDPUNT_IMAP_USER": sys.argv[4], "MELDPUNT_IMAP_PASSWORD": sys.argv[5]})
where = sys.argv[6]
calls = {"n": 0}
if where == "inside":  # killed while the second message is half processed (its case made, not committed)
    real = intake.start_case
    def dying_start_case(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            from engine.db import db
            db.session.flush()
            os._exit(137)  # like kill -9: no rollback, no cleanup
        return real(**kwargs)
    intake.start_case = dying_start_case
else:  # killed right after the second message was committed, before it was marked as read
    class Dying:
        def __init__(self, client):
            self.client = client
        def __getattr__(self, name):
            return getattr(self.client, name)
        def add_flags(self, uids, flags):
            calls["n"] += 1
            if calls["n"] == 2:
                os._exit(137)
            return self.client.add_flags(uids, flags)
    real_folder = mailbox.poll_folder
    mailbox.poll_folder = lambda client, *a, **k: real_folder(Dying(client), *a, **k)
with app.app_context():
    mailbox.poll()
"""


@pytest.mark.parametrize("where", ["inside", "after_commit"])
def test_a_worker_killed_midway_neither_duplicates_nor_loses_a_mail(mailbox, app, database_urls, where, tmp_path):
    names = ["vraag-html-nl.eml", "nieuwsbrief.eml"]
    third = (EMAIL_SET / "flanker" / "text-only.eml").read_bytes() if EMAIL_SET.exists() else \
        (DATA / "vraag-html-nl.eml").read_bytes().replace(b"grofvuil", b"snoeiafval")
    mailbox.append(*[(DATA / n).read_bytes() for n in names], third)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    worker = subprocess.run([sys.executable, "-c", CRASHING_WORKER, url, str(tmp_path / "files"), str(mailbox.port),
                             mailbox.user, mailbox.password, where], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert worker.returncode == 137, worker.stderr[-2000:]
    assert len(rows()) == (1 if where == "inside" else 2)  # what the dead worker had committed

    report = poll()

    assert len(report.results) == (2 if where == "inside" else 1)
    recorded = rows()
    assert [r.uid for r in recorded] == [1, 2, 3]
    assert [r.outcome for r in recorded] == ["new_case", "new_case", "new_case"]
    assert db.session.query(Case).count() == 3
    assert len(acknowledgements()) == 2  # the newsletter (bulk) gets none, each of the others exactly one
    assert all(b"\\Seen" in flags for flags in mailbox.flags().values())
    assert poll().results == []


def test_a_mail_that_fails_is_recorded_and_does_not_block_the_others(mailbox, app, monkeypatch):
    import intake.mail_intake as intake

    real = intake.start_case

    def start_case(**kwargs):
        if "snoeiafval" in kwargs["fields"]["description"]:
            raise RuntimeError("database gone away")  # an unforeseen fault in the middle of one mail
        return real(**kwargs)

    monkeypatch.setattr(intake, "start_case", start_case)
    good = (DATA / "vraag-html-nl.eml").read_bytes()
    bad = good.replace(b"grofvuil", b"snoeiafval").replace(b"CAF1234", b"CAF5678")
    mailbox.append(good, bad, (DATA / "nieuwsbrief.eml").read_bytes())

    report = poll()

    assert [r.outcome for r in report.results] == ["new_case", "failed", "new_case"]
    failed = rows()[1]
    assert failed.outcome == "failed" and "database gone away" in failed.reason
    assert failed.raw.replace(b"\r\n", b"\n") == bad  # kept to try again (IMAP stores CRLF line ends)
    assert db.session.query(Case).count() == 2

    monkeypatch.setattr(intake, "start_case", real)  # the cause is fixed: the admin tries it again
    again = intake.retry_failed(failed.id)
    assert again.outcome == "new_case" and db.session.query(Case).count() == 3
    assert rows()[1].outcome == "new_case" and rows()[1].raw is None


def onthaal_actor(client) -> Actor:
    user = User(username="eva", display_name="Eva", role="onthaal", email="eva@stad.example")
    user.groups.append(group_by_key("onthaal"))
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


def test_the_citizens_reply_to_our_answer_reaches_the_waiting_infomail_case(mailbox, app, client):
    mailbox.append((DATA / "vraag-html-nl.eml").read_bytes())
    ref = poll().results[0].reference
    onthaal = onthaal_actor(client)
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Grofvuil haalt u op afspraak op."})
    assert onthaal.case(ref)["status"] == "beantwoord"
    answer = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "antwoord_mail"))
    answer.message_id = "<answer.77@stad.example>"
    db.session.commit()
    reply = (b"From: Lotte Janssens <lotte.janssens@voorbeeld.be>\r\nTo: info@stad.example\r\n"
             b"Subject: Re: Vraag over grofvuil in de Bruulstraat\r\nMessage-ID: <reply.lotte.1@voorbeeld.be>\r\n"
             b"In-Reply-To: <answer.77@stad.example>\r\nReferences: <CAF1234.vraag.grofvuil@voorbeeld.be> "
             b"<answer.77@stad.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             b"Dank u. Kan dat ook op zaterdag?\r\n\r\nOp 1 dec. 2026 schreef info@stad.example:\r\n> Grofvuil\r\n")
    mailbox.append(reply)

    report = poll()

    assert [(r.outcome, r.reference) for r in report.results] == [("added_to_case", ref)]
    assert "citizen_reply" in report.results[0].reason
    assert onthaal.case(ref)["status"] != "beantwoord"
    stored = db.session.scalar(select(Case).where(Case.reference == ref))
    delivered = events_of(stored, "message")[-1].data
    assert delivered["message"] == "citizen_reply"
    assert delivered["payload"] == {"text": "Dank u. Kan dat ook op zaterdag?",
                                    "message_id": "<reply.lotte.1@voorbeeld.be>",
                                    "subject": "Re: Vraag over grofvuil in de Bruulstraat"}
    assert db.session.query(Case).count() == 1 and len(acknowledgements()) == 1


def test_two_workers_taking_in_the_same_message_make_one_case(app):
    """A second worker that read the same IMAP message loses on the unique (folder, UIDVALIDITY, UID) key."""
    from intake.mail_intake import process, take_in

    raw = (DATA / "vraag-html-nl.eml").read_bytes()
    first = take_in(raw, folder="INBOX", uidvalidity=7, uid=1)
    # The other worker had passed its "already processed?" check before the first one committed:
    late = IncomingMail(folder="INBOX", uidvalidity=7, uid=1, sha256=rows()[0].sha256, received_at=first_row_time())

    second = process(raw, late)

    assert first.outcome == "new_case" and second.already and second.reference == first.reference
    assert db.session.query(Case).count() == 1 and len(rows()) == 1 and len(acknowledgements()) == 1


def first_row_time():
    return rows()[0].received_at


def test_an_out_of_office_in_reply_to_our_question_is_noted_but_does_not_answer_it(mailbox, app, staff):
    ref = ask_reporter(staff)
    question = question_mail(ref)
    out_of_office = (DATA / "afwezig-nl.eml").read_bytes().replace(b"jan.peeters@voorbeeld.be",
                                                                       b"melder@voorbeeld.example")
    in_reply_to = f"Auto-Submitted: auto-replied\nIn-Reply-To: {question.message_id}\n".encode()
    out_of_office = out_of_office.replace(b"Auto-Submitted: auto-replied\n", in_reply_to)
    mailbox.append(out_of_office)

    report = poll()

    assert [(r.outcome, r.reference) for r in report.results] == [("added_to_case", ref)]
    assert "automatisch antwoord, alleen op de tijdlijn" in report.results[0].reason
    assert staff.ood.case(ref)["status"] == "wacht_op_melder"  # still waiting for a real answer
    stored = db.session.scalar(select(Case).where(Case.reference == ref))
    assert "Ik ben afwezig tot en met maandag 7 december" in events_of(stored, "mail_received")[0].note
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "nieuwe_mail")) is None
    assert acknowledgements() == []


def poll_together(app, workers: int = 2) -> tuple[list, list[Exception]]:
    """Polls started at the same moment in threads of their own (each its own session, as worker processes)."""
    start, reports, errors = threading.Barrier(workers), [], []

    def worker():
        with app.app_context():
            try:
                start.wait()
                reports.append(poll())
            except Exception as err:  # what the scheduler would log as the job's error
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return reports, errors


def test_two_workers_polling_at_the_same_moment_take_a_reply_in_once_without_an_error(mailbox, app, staff, caplog):
    """Two workers whose polls start together: before the poll's lock one of them could deadlock against the
    other on the case row (PostgreSQL), log "could not be processed" and end its poll with an error."""
    for _ in range(4):  # the race needs both inside the intake at once: a few rounds make it show
        ref = ask_reporter(staff)
        question = [m for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "informatie_gevraagd")) if m.data["reference"] == ref][0]
        question.message_id = f"<{secrets.token_hex(8)}@stad.example>"  # as the sender gives it
        db.session.commit()
        mailbox.append(reply_to(ref, "melder@voorbeeld.example", question.message_id))
        with caplog.at_level(logging.ERROR, logger="intake.mail_intake"):
            reports, errors = poll_together(app)
        assert errors == [] and [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        taken = [(r.outcome, r.reference) for report in reports for r in report.results if not r.already]
        assert taken == [("added_to_case", ref)]
        assert staff.ood.case(ref)["status"] == "in_behandeling"
        stored = db.session.scalar(select(Case).where(Case.reference == ref))
        assert len(events_of(stored, "mail_received")) == 1


def test_while_another_process_reads_the_mailbox_a_poll_reads_nothing_and_says_so(mailbox, app):
    mailbox.append((DATA / "vraag-html-nl.eml").read_bytes())
    postgresql = db.engine.dialect.name == "postgresql"
    with only_poller() as alone:  # this process's other connection: as another worker's poll
        assert alone
        meanwhile = poll()
    if postgresql:  # one poller per schema at a time
        assert meanwhile.skipped == BUSY and meanwhile.results == [] and rows() == []
        assert str(meanwhile) == "mailbox not read: another process is reading the mailbox"
        report = poll()
    else:  # SQLite: one process, nothing to wait for
        report = meanwhile
    assert [r.outcome for r in report.results] == ["new_case"] and len(rows()) == 1
