"""`meldpunt seed --demo`: demo info mails and letters, so the onthaal finds work when it first logs in."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseFile
from handlers.post_models import PostLetter
from handlers.seed import DEMO_PASSWORD
from intake.mail_models import IncomingMail
from notifications.models import OutboxMessage

from .helpers import Browser
from .test_cli import run


def _counts() -> dict[str, int]:
    return {kind: db.session.scalar(select(func.count()).select_from(Case).where(Case.kind == kind))
            for kind in ("melding", "mail", "post")} | {
        "incoming": db.session.scalar(select(func.count()).select_from(IncomingMail)),
        "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage))}


def test_seed_demo_gives_the_onthaal_mails_and_letters_once(app):
    first = run(app, "seed", "--demo")
    assert "demo info mails taken in: 3" in first.output and "demo letters registered: 2" in first.output
    counts = _counts()
    assert counts["mail"] == 2 and counts["post"] == 2 and counts["incoming"] == 3 and counts["melding"] > 0

    eva = Browser(app, "eva.onthaal", DEMO_PASSWORD)
    home = eva.get("/werk/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/werk/wachtrij/onthaal")
    queue = eva.get("/werk/wachtrij/onthaal").get_data(as_text=True)
    mail_cases = db.session.scalars(select(Case).where(Case.kind == "mail").order_by(Case.id)).all()
    rows = queue.split('id="queue"')[1]  # the table, not the task filter above it
    assert all(case.reference in rows for case in mail_cases) and rows.count("<td>Mail triëren</td>") == 2
    assert "Is het containerpark open tussen Kerstmis en Nieuwjaar?" in mail_cases[0].description
    assert "afwezig tot en met 4 januari" not in queue  # the out-of-office was ignored by the loop guard
    ignored = db.session.scalar(select(IncomingMail).where(IncomingMail.message_id == "<demo-afwezig@bedrijf.example>"))
    assert ignored.outcome == "ignored" and ignored.case_id is None

    photo_case = db.session.scalar(select(Case).join(IncomingMail, IncomingMail.case_id == Case.id).where(
        IncomingMail.message_id == "<demo-zitbank@voorbeeld.example>"))
    photo = db.session.scalar(select(CaseFile).where(CaseFile.case_id == photo_case.id,
                                                     CaseFile.filename == "zitbank-vrijbroekpark.png"))
    assert photo is not None
    acks = db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.template == "ontvangstbevestiging_mail")).all()
    assert sorted(acks) == ["fatima.elamrani@voorbeeld.example", "jan.verhoeven@voorbeeld.example"]

    letters = {letter.letter_kind: letter for letter in db.session.scalars(select(PostLetter))}
    assert set(letters) == {"vraag", "ter_info"}
    for letter in letters.values():
        scan = db.session.scalar(select(CaseFile).where(CaseFile.case_id == letter.case_id,
                                                        CaseFile.content_type == "application/pdf"))
        case_page = eva.get(f"/werk/dossier/{db.session.get(Case, letter.case_id).reference}")
        assert case_page.status_code == 200 and letter.subject in case_page.get_data(as_text=True)
        assert scan is not None
    assert letters["vraag"].registered_by == "eva.onthaal"
    bart = Browser(app, "bart.ood", DEMO_PASSWORD)  # the question waits in his group's queue
    vraag = db.session.get(Case, letters["vraag"].case_id)
    assert vraag.reference in bart.get("/werk/wachtrij/onderhoud-openbaar-domein").get_data(as_text=True)
    assert db.session.get(Case, letters["ter_info"].case_id).closed_at is not None

    second = run(app, "seed", "--demo")
    assert "demo info mails taken in: 0" in second.output and "demo letters registered: 0" in second.output
    assert _counts() == counts


def test_the_demo_scan_is_a_pdf_with_the_letters_text():
    from intake.demo_inbox import scan_pdf

    reader = PdfReader(io.BytesIO(scan_pdf(["Geachte heer, mevrouw,", "Hoogachtend (Marc)"])))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Geachte heer, mevrouw," in text and "Hoogachtend (Marc)" in text
