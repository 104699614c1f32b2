"""The worker reads the text of registered letters' scans (handlers/letter_ocr.py): scans the test makes itself
(a Dutch sentence drawn with Pillow, saved as a PDF without a text layer), read by Debian's Tesseract.

Marked `ocr` (tests/conftest.py): without Tesseract and its Dutch data these skip outside CI and fail in CI.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from freezegun import freeze_time
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, text

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from handlers.files import storage_root
from handlers.letter_ocr import claim_next, forget_tesseract, read_due_letters
from handlers.post_models import LetterText, PostLetter
from handlers.privacy import anonymise_due
from handlers.privacy_export import export_reporter
from handlers.routing import save_rule
from intake.demo_inbox import scan_pdf
from intake.post_intake import check_registration, register_post
from web.scheduler import letter_ocr

from .helpers import Browser, with_password
from .test_post_support import form, postkamer_user
from .test_privacy_post_mail import mark_mails_sent

SENTENCE = ["Geachte mevrouw, mijnheer,", "De speeltuin aan de Vijfhoek heeft een", "gebroken schommel.",
            "Met vriendelijke groeten"]


@pytest.fixture(autouse=True)
def fresh_tesseract_check():
    forget_tesseract()
    yield
    forget_tesseract()


def page_image(lines: list[str], width: int = 1240, height: int = 620, size: int = 44) -> Image.Image:
    """A page of a scanned letter: black text on white, in Pillow's own (FreeType) font."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    for number, line in enumerate(lines):
        draw.text((60, 60 + number * int(size * 1.6)), line, font=font, fill=0)
    return image


def image_pdf(pages: list[Image.Image]) -> bytes:
    """The pages as a PDF of images only (no text layer), as a plain scanner makes it."""
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    return out.getvalue()


def repeated(pdf: bytes, times: int) -> bytes:
    """A PDF of `times` copies of the first page of `pdf` (they share the image, so it stays small)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    writer = PdfWriter()
    for _ in range(times):
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def register_scan(content: bytes, **changes) -> Case:
    values = form(**changes)
    return register_post(check_registration(values, content, "scan.pdf"), actor="Eva Wouters", user_id=None)


def letter_text(case: Case) -> LetterText:
    db.session.expire_all()
    return db.session.scalar(select(LetterText).where(LetterText.case_id == case.id))


def notes(case: Case, kind: str) -> list[str]:
    return list(db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
                                   .order_by(CaseEvent.id)))


def test_a_scan_is_read_after_registration_searchable_shown_and_used_by_the_routing_suggestion(app, staff):
    save_rule(None, {"name": "Speelpleinen", "position": 1, "active": True, "group": "openbare-netheid",
                     "keywords": "schommel, speeltuin", "channel": "brief"})
    eva = Browser(app, *_postkamer())
    scan = image_pdf([page_image(SENTENCE)])
    data = dict(form(subject="Brief van een bewoner"), scan=(io.BytesIO(scan), "scan.pdf"))
    response = eva.post("/werk/post/nieuw", data=data)
    assert response.status_code == 302  # registered at once: the reading happens in the worker
    case = db.session.scalar(select(Case).where(Case.kind == "post"))
    row = letter_text(case)
    assert (row.status, row.text) == ("pending", None)
    page = eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    assert "De tekst van de brief wordt automatisch herkend" in page

    assert letter_ocr(app) == 1  # the scheduler's job, as `meldpunt worker` runs it
    row = letter_text(case)
    assert row.status == "done" and (row.pages_total, row.pages_read, row.text_layer_pages) == (1, 1, 0)
    for word in ("speeltuin", "Vijfhoek", "gebroken", "schommel"):
        assert word in row.text, row.text
    assert notes(case, "letter_read") == ["Tekst van de brief gelezen: 1 pagina."]

    # The routing rules see the letter's text: the suggestion names the group and the words of the letter.
    assert row.suggested_group.key == "openbare-netheid"
    assert "gebaseerd op de tekst van de brief: 'schommel', 'speeltuin'" in row.suggestion
    db.session.expire_all()
    assert db.session.get(Case, case.id).suggested_group.key == "openbare-netheid"
    page = eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    assert "Tekst van de brief (automatisch herkend)" in page and "gebroken schommel" in page
    assert "Voorstel op basis van de tekst van de brief: <strong>Openbare netheid</strong>" in page
    assert "Regel 1 &#39;Speelpleinen&#39;: kanaal brief, trefwoord &#39;schommel&#39;" in page

    # A handler of the group finds the letter in the queue by a word that is only in the scan.
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    found = bart.get("/werk/wachtrij/onderhoud-openbaar-domein?q=schommel").get_data(as_text=True)
    assert case.reference in found
    assert case.reference not in bart.get("/werk/wachtrij/onderhoud-openbaar-domein?q=glijbaan").get_data(
        as_text=True)

    # Sent back to the onthaal: the rerouting form proposes the group the letter's text points to.
    staff.ood.complete(case.reference, "answer", {"action": "reroute", "reroute_reason": "Niet voor ons."})
    page = eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    form_part = page.split('id="reroute-suggestion"')[1]
    assert "Openbare netheid" in form_part.split("</p>")[0]
    assert '<option value="openbare-netheid" selected>Openbare netheid (voorstel)</option>' in form_part


def _postkamer():
    user, password = postkamer_user()
    return user.username, password


def test_a_page_scanned_sideways_is_turned_and_read(app):
    case = register_scan(image_pdf([page_image(SENTENCE).rotate(90, expand=True)]))
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "done"
    assert "speeltuin" in row.text and "schommel" in row.text, row.text


def test_a_twenty_page_scan_is_read_page_by_page(app):
    pages = [page_image([f"Bladzijde {n} van de brief", "over de kapotte straatlamp."], height=260, size=40)
             for n in range(1, 21)]
    case = register_scan(image_pdf(pages))
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "done" and (row.pages_total, row.pages_read, row.stopped) == (20, 20, None)
    texts = row.text.split("\f")
    assert len(texts) == 20
    for number in (1, 7, 13, 20):
        assert f"Bladzijde {number} van de brief" in texts[number - 1], texts[number - 1]
    assert notes(case, "letter_read") == ["Tekst van de brief gelezen: 20 pagina's."]


def test_a_scan_with_a_text_layer_keeps_that_text(app):
    case = register_scan(scan_pdf(["Stad Mechelen", "Betreft: de container aan het Zandpoortvest",
                                   "De container staat er al drie weken."]))
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "done" and row.text_layer_pages == 1
    assert "Zandpoortvest" in row.text and "drie weken" in row.text
    assert notes(case, "letter_read") == ["Tekst van de brief gelezen: 1 pagina (waarvan 1 met een tekstlaag)."]


def test_a_200_page_scan_is_read_up_to_the_page_bound_with_a_note(app):
    app.config["MELDPUNT_OCR_MAX_PAGES"] = 3
    one = image_pdf([page_image(["Bijlage bij het bezwaarschrift"], height=200)])
    case = register_scan(repeated(one, 200))
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "done" and (row.pages_total, row.pages_read, row.stopped) == (200, 3, "pages")
    assert row.text.count("bezwaarschrift") == 3
    note = notes(case, "letter_read")[0]
    assert "Tekstherkenning beperkt tot de eerste 3 pagina's (de scan heeft 200 pagina's)." in note
    eva = Browser(app, *_postkamer())
    page = eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    assert "Tekstherkenning beperkt tot de eerste 3 pagina’s (de scan heeft er 200)." in page


def test_the_time_bound_stops_a_long_reading_with_a_note(app):
    app.config["MELDPUNT_OCR_TIME_LIMIT"] = 1
    one = image_pdf([page_image(SENTENCE)])
    case = register_scan(repeated(one, 40))
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "done" and row.stopped == "time" and row.pages_read < 40
    assert "Tekstherkenning gestopt na 1 seconden" in notes(case, "letter_read")[0]


def test_a_scan_that_cannot_be_read_keeps_its_case_with_a_note(app):
    case = register_scan(image_pdf([page_image(SENTENCE)]))
    stored = db.session.get(CaseFile, db.session.scalar(select(PostLetter.scan_file_id)))
    path = storage_root() / stored.storage_key
    path.write_bytes(path.read_bytes()[:300])  # the stored scan got damaged
    assert read_due_letters() == 1
    row = letter_text(case)
    assert row.status == "failed" and row.text is None
    assert notes(case, "letter_unreadable") == [
        "Tekstherkenning mislukt: de scan kon niet gelezen worden. Het dossier loopt gewoon verder; lees de brief "
        "op de scan zelf."]
    db.session.expire_all()
    kept = db.session.get(Case, case.id)
    assert kept.status == "toegewezen" and kept.group.key == "onderhoud-openbaar-domein" and not kept.error
    eva = Browser(app, *_postkamer())
    assert "Tekstherkenning mislukt" in eva.get(f"/werk/dossier/{case.reference}").get_data(as_text=True)
    assert read_due_letters() == 0  # not tried again


def test_without_tesseract_text_layers_are_read_and_the_rest_waits_for_it(app):
    app.config["MELDPUNT_TESSERACT"] = "/nergens/tesseract"
    layered = register_scan(scan_pdf(["Vraag over de parkeerkaart in de Bruul."]))
    scanned = register_scan(image_pdf([page_image(SENTENCE)]))
    assert read_due_letters() == 2
    assert letter_text(layered).status == "done" and "parkeerkaart" in letter_text(layered).text
    row = letter_text(scanned)
    assert (row.status, row.unread_pages, row.text) == ("unavailable", 1, None)
    assert "Tekstherkenning niet beschikbaar" in notes(scanned, "letter_read")[0]
    eva = Browser(app, *_postkamer())
    page = eva.get(f"/werk/dossier/{scanned.reference}").get_data(as_text=True)
    assert "Tekstherkenning niet beschikbaar: 1 pagina zonder tekstlaag is niet gelezen." in page
    assert read_due_letters() == 0  # nothing more this worker can do

    app.config["MELDPUNT_TESSERACT"] = "tesseract"  # installed: the worker reads it now
    forget_tesseract()
    assert read_due_letters() == 1
    row = letter_text(scanned)
    assert row.status == "done" and "schommel" in row.text


def test_two_workers_never_read_the_same_scan(app, database_urls):
    register_scan(image_pdf([page_image(SENTENCE)]))
    lease = timedelta(minutes=10)
    row_id = db.session.scalar(select(LetterText.id))
    if db.engine.dialect.name == "postgresql":  # another worker holds the row: skipped, not waited for
        other = db.engine.connect()
        try:
            other.execute(text("BEGIN"))
            other.execute(text("SELECT id FROM letter_texts WHERE id = :id FOR UPDATE"), {"id": row_id})
            assert claim_next(utcnow(), True, lease) is None
        finally:
            other.rollback()
            other.close()
    first = claim_next(utcnow(), True, lease)
    assert first is not None and first.id == row_id and first.attempts == 1
    assert claim_next(utcnow(), True, lease) is None  # running: not taken again
    assert claim_next(utcnow() + lease + timedelta(seconds=1), True, lease).attempts == 2  # its worker died


def test_a_reader_that_keeps_crashing_is_tried_three_times_then_the_scan_fails(app, tmp_path):
    crashing = tmp_path / "tesseract"
    crashing.write_text("#!/bin/sh\nif [ \"$1\" = --list-langs ]; then printf 'List\\nnld\\n'; exit 0; fi\n"
                        "kill -SEGV $PPID\n")
    crashing.chmod(0o755)
    app.config["MELDPUNT_TESSERACT"] = str(crashing)
    case = register_scan(image_pdf([page_image(SENTENCE)]))
    for attempt in (1, 2, 3):
        read_due_letters()
        row = letter_text(case)
        assert row.attempts == attempt
    assert row.status == "failed"
    assert notes(case, "letter_unreadable")


def test_the_text_is_in_the_privacy_export_and_goes_with_the_scan_when_the_case_is_anonymised(app):
    case = register_scan(scan_pdf(["Jaarverslag van het buurtcomite Nekkerspoel."]), kind="ter_info")
    assert read_due_letters() == 1
    exported = export_reporter("els@voorbeeld.example")["cases"][0]
    assert "Nekkerspoel" in exported["letter_text"]["text"]
    mark_mails_sent()
    db.session.expire_all()
    closed = db.session.get(Case, case.id)
    assert closed.completed
    with freeze_time(closed.closed_at + timedelta(days=400)):
        assert anonymise_due(months=12).cases == 1
    assert letter_text(case) is None
