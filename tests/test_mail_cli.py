"""`meldpunt mail import|poll` as an administrator uses them, and the admin page of incoming mails."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask.cli import ScriptInfo
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.models import User
from intake.mail_models import IncomingMail
from notifications.models import OutboxMessage
from web.cli import main
from web.scheduler import mailbox_poll, start_background_scheduler

from .helpers import Browser, with_password

DATA = Path(__file__).parent / "data" / "mail"


def invoke(app, *args: str):
    """Run `meldpunt ARGS` against the test app."""
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_mail_import_prints_what_became_of_each_file_and_a_second_import_does_nothing(app):
    question, absent = DATA / "vraag-html-nl.eml", DATA / "afwezig-nl.eml"

    result = invoke(app, "mail", "import", str(question), str(absent))

    assert result.exit_code == 0, result.output
    case = db.session.scalar(select(Case).where(Case.kind == "mail"))
    lines = result.output.splitlines()
    assert lines[0] == f"{question}: {case.reference} created: nieuw dossier met ontvangstbevestiging"
    assert lines[1].startswith(f"{absent}: ignored: genegeerd: automatisch bericht (Auto-Submitted: auto-replied)")
    assert "Wanneer wordt het grofvuil opgehaald in de Bruulstraat?" in case.description
    assert case.reporter.email == "lotte.janssens@voorbeeld.be" and case.reporter.name == "Lotte Janssens"

    again = invoke(app, "mail", "import", str(question))

    assert again.exit_code == 0 and f"already processed (new_case {case.reference})" in again.output
    assert db.session.query(Case).count() == 1
    assert db.session.query(OutboxMessage).filter(OutboxMessage.template == "ontvangstbevestiging_mail").count() == 1


def test_mail_import_of_a_missing_file_or_of_something_else_than_a_mail_says_so(app, tmp_path):
    result = invoke(app, "mail", "import", "/nonexistent/mail.eml")
    assert result.exit_code != 0 and "does not exist" in result.output
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100))
    result = invoke(app, "mail", "import", str(photo), str(DATA / "vraag-html-nl.eml"))
    assert result.exit_code == 1
    assert f"{photo}: not a mail message (no mail headers); nothing done" in result.output
    assert "created: nieuw dossier" in result.output  # the real mail next to it was taken in
    assert db.session.query(IncomingMail).count() == 1


def test_mail_poll_reads_the_mailbox_once_and_prints_a_summary(app, dovecot):
    app.config.update(dovecot.config())
    dovecot.append((DATA / "vraag-html-nl.eml").read_bytes(), (DATA / "leesbevestiging.eml").read_bytes())

    result = invoke(app, "mail", "poll")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == ("2 message(s): 1 new case(s), 0 added to a case, 0 bounce(s), "
                                              "1 ignored, 0 failed")
    assert invoke(app, "mail", "poll").output.splitlines()[-1].startswith("0 message(s)")


def test_mail_poll_without_a_mailbox_or_with_a_wrong_password_explains(app, dovecot):
    assert "no IMAP host configured" in invoke(app, "mail", "poll").output
    app.config.update(dovecot.config() | {"MELDPUNT_IMAP_PASSWORD": "wrong"})
    result = invoke(app, "mail", "poll")
    assert result.exit_code == 2 and "cannot read info@stad.example@127.0.0.1" in result.output


def test_the_worker_job_polls_the_mailbox(app, dovecot):
    app.config.update(dovecot.config())
    dovecot.append((DATA / "vraag-html-nl.eml").read_bytes())
    assert mailbox_poll(app) == 1
    with app.app_context():
        assert db.session.scalar(select(IncomingMail.outcome)) == "new_case"


def test_the_worker_polls_only_when_a_mailbox_is_configured(app):
    scheduler = start_background_scheduler(app)
    try:
        assert scheduler.get_job("mailbox_poll") is None
    finally:
        scheduler.shutdown(wait=False)
    app.config.update({"MELDPUNT_IMAP_HOST": "imap.stad.example", "MELDPUNT_IMAP_SECONDS": 45})
    scheduler = start_background_scheduler(app)
    try:
        job = scheduler.get_job("mailbox_poll")
        assert job is not None and job.trigger.interval == timedelta(seconds=45) and job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)


def test_admin_page_lists_ignored_and_failed_mails_with_the_reason(app, staff):
    invoke(app, "mail", "import", str(DATA / "afwezig-nl.eml"), str(DATA / "nieuwsbrief.eml"))
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    browser = Browser(app, admin.username, with_password(admin))

    page = browser.get("/werk/beheer/inkomende-mail").get_data(as_text=True)

    assert "Inkomende mails" in page and "jan.peeters@voorbeeld.be" in page
    assert "genegeerd: automatisch bericht (Auto-Submitted: auto-replied)" in page
    newsletter = db.session.scalar(select(Case).where(Case.kind == "mail"))
    assert newsletter.reference in page and "nieuw dossier zonder ontvangstbevestiging: mailinglijst" in page
    only_ignored = browser.get("/werk/beheer/inkomende-mail?uitkomst=ignored").get_data(as_text=True)
    assert "jan.peeters@voorbeeld.be" in only_ignored and "nieuws@voorbeeld-winkel.be" not in only_ignored
    handler = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert handler.get("/werk/beheer/inkomende-mail").status_code == 403


def test_a_failed_mail_shows_on_the_admin_page_and_can_be_processed_again(app, monkeypatch):
    import intake.mail_intake as intake

    real = intake.start_case

    def broken_start_case(**kwargs):
        raise RuntimeError("process model missing")  # as when the infomail model was not deployed

    monkeypatch.setattr(intake, "start_case", broken_start_case)
    result = invoke(app, "mail", "import", str(DATA / "vraag-html-nl.eml"))
    assert result.exit_code == 1 and "failed: RuntimeError: process model missing" in result.output
    admin = User(username="root", display_name="Root", role="admin")
    db.session.add(admin)
    browser = Browser(app, "root", with_password(admin))
    page = browser.get("/werk/beheer/inkomende-mail?uitkomst=failed").get_data(as_text=True)
    assert "mislukt" in page and "RuntimeError: process model missing" in page and "Opnieuw verwerken" in page

    monkeypatch.setattr(intake, "start_case", real)
    failed = db.session.scalar(select(IncomingMail))
    response = browser.post("/werk/beheer/inkomende-mail/opnieuw", {"mail_id": str(failed.id)},
                            page="/werk/beheer/inkomende-mail")

    assert response.status_code == 302
    after = browser.get("/werk/beheer/inkomende-mail").get_data(as_text=True)
    case = db.session.scalar(select(Case).where(Case.kind == "mail"))
    assert "Verwerkt: nieuw dossier met ontvangstbevestiging" in after and case.reference in after
    db.session.expire_all()
    assert db.session.scalar(select(IncomingMail.outcome)) == "new_case"


def test_the_mailbox_is_read_over_imaps_and_over_starttls(app, dovecot_tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.certificate))  # trust the throwaway certificate
    dovecot_tls.append((DATA / "vraag-html-nl.eml").read_bytes())
    app.config.update(dovecot_tls.config() | {"MELDPUNT_IMAP_SSL": True, "MELDPUNT_IMAP_PORT": dovecot_tls.tls_port})
    assert invoke(app, "mail", "poll").output.splitlines()[-1].startswith("1 message(s): 1 new case(s)")

    dovecot_tls.append((DATA / "nieuwsbrief.eml").read_bytes())
    app.config.update({"MELDPUNT_IMAP_SSL": False, "MELDPUNT_IMAP_STARTTLS": True,
                       "MELDPUNT_IMAP_PORT": dovecot_tls.port})
    assert invoke(app, "mail", "poll").output.splitlines()[-1].startswith("1 message(s): 1 new case(s)")


def test_an_untrusted_certificate_stops_the_poll_with_a_clear_error(app, dovecot_tls):
    app.config.update(dovecot_tls.config() | {"MELDPUNT_IMAP_SSL": True, "MELDPUNT_IMAP_PORT": dovecot_tls.tls_port})
    result = invoke(app, "mail", "poll")
    assert result.exit_code == 2 and "CERTIFICATE_VERIFY_FAILED" in result.output
    assert db.session.query(IncomingMail).count() == 0
