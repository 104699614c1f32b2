"""`meldpunt mail import` and the mailbox take in a message once, whatever its line endings: IMAP hands
out CRLF, a file saved on disk has LF, and neither may make a second case."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask.cli import ScriptInfo
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from engine import deploy
from engine.db import db
from engine.models import Case
from handlers.seed import seed_reference_data
from intake.mail_intake import take_in
from intake.mail_models import IncomingMail
from intake.mailbox import poll
from notifications.models import OutboxMessage
from web.app import create_app
from web.cli import main

DATA = Path(__file__).parent / "data" / "mail"
QUESTION = DATA / "vraag-html-nl.eml"  # LF line ends, as a mail client saves it


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def acknowledgements() -> int:
    return db.session.query(OutboxMessage).filter(OutboxMessage.template == "ontvangstbevestiging_mail").count()


def test_importing_the_same_mail_with_other_line_endings_takes_in_nothing_new(app, tmp_path):
    lf = QUESTION.read_bytes()
    crlf = tmp_path / "vraag-crlf.eml"
    crlf.write_bytes(lf.replace(b"\n", b"\r\n"))
    bare = tmp_path / "vraag-zonder-laatste-regeleinde.eml"
    bare.write_bytes(lf.rstrip(b"\n"))

    first = invoke(app, "mail", "import", str(QUESTION))
    case = db.session.scalar(select(Case).where(Case.kind == "mail"))
    assert first.exit_code == 0 and f"{case.reference} created" in first.output

    again = invoke(app, "mail", "import", str(crlf), str(bare))

    assert again.exit_code == 0, again.output
    assert again.output.count(f"already processed (new_case {case.reference})") == 2, again.output
    assert db.session.query(Case).count() == 1 and acknowledgements() == 1
    assert db.session.query(IncomingMail).count() == 1


def test_a_mail_read_over_imap_is_not_taken_in_again_from_a_file(app, dovecot, tmp_path):
    app.config.update(dovecot.config())
    app.config["MELDPUNT_INFO_ADDRESS"] = "info@stad.example"
    dovecot.append(QUESTION.read_bytes())  # the IMAP server hands it out with CRLF line ends
    [read] = poll().results
    assert read.outcome == "new_case"

    result = invoke(app, "mail", "import", str(QUESTION))  # the same mail as saved from a mail client

    assert result.exit_code == 0 and f"already processed (new_case {read.reference})" in result.output
    assert db.session.query(Case).count() == 1 and acknowledgements() == 1


def test_a_different_mail_with_the_same_message_id_is_still_taken_in(app, tmp_path):
    """Senders reuse Message-IDs for different mails (and a stranger could reuse a citizen's to make their
    mail disappear): only the same content, line endings aside, counts as the same mail."""
    lf = QUESTION.read_bytes()
    other = tmp_path / "andere-vraag.eml"
    other.write_bytes(lf.replace(b"grofvuil", b"snoeiafval").replace(b"\n", b"\r\n"))

    invoke(app, "mail", "import", str(QUESTION))
    result = invoke(app, "mail", "import", str(other))

    assert result.exit_code == 0 and "created" in result.output, result.output
    assert db.session.query(Case).count() == 2


def test_the_migration_gives_mails_taken_in_before_it_the_line_ending_proof_hash(tmp_path):
    """Rows from before 0010: their hash is computed from the original message kept with the case."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}", "TESTING": True,
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
    with app.app_context():
        upgrade()
        deploy.forget_cached_specs()
        seed_reference_data()
        deploy.deploy_builtin()
        db.session.commit()
        crlf = QUESTION.read_bytes().replace(b"\n", b"\r\n")
        assert take_in(crlf, folder="INBOX", uidvalidity=1, uid=1).outcome == "new_case"
        db.session.remove()
        downgrade(revision="0009")  # as the database was before 0010: no content_sha256 column
        upgrade()

        row = db.session.scalar(select(IncomingMail))
        lf = QUESTION.read_bytes()
        assert row.content_sha256 == hashlib.sha256(lf.rstrip(b"\n")).hexdigest()
        assert take_in(lf).already
        db.session.remove()
        db.engine.dispose()
    deploy.forget_cached_specs()
