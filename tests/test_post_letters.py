"""The reply letter: a real DOCX with letterhead, references, the handler's text and the tracking QR code."""
from __future__ import annotations

import io
from datetime import date, timedelta

import segno
from docx import Document
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.files import open_file
from handlers.letters import DOCX_TYPE, LetterContent, build_letter, dutch_date, paragraphs_of, replies_of
from intake.post_intake import local_today
from notifications.outbox import tracking_url

from .docx_pages import assert_a4_with_page_numbers
from .helpers import Browser
from .test_post_support import postkamer_user, register, web_user

TEXT = ("Wij ontvingen uw brief over de straatverlichting in de Bruul.\n\n"
        "De defecte lamp aan paal 12 wordt op 10 december vervangen.\nDe aannemer verwittigt de buurt vooraf.\n\n"
        "Hebt u nog vragen, bel dan het nummer hierboven.")


def document_text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def qr_picture(doc) -> bytes:
    """The bytes of the one picture in the document body."""
    assert len(doc.inline_shapes) == 1
    blip = doc.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip
    return doc.part.related_parts[blip.embed].blob


def test_the_downloaded_letter_holds_everything_the_citizen_needs(app, staff):
    app.config.update(MELDPUNT_CITY_NAME="Mechelen", MELDPUNT_CITY_ADDRESS="Grote Markt 21, 2800 Mechelen",
                      MELDPUNT_CITY_PHONE="015 29 76 55", MELDPUNT_CITY_WEBSITE="https://www.mechelen.be")
    written = local_today() - timedelta(days=6)
    case = register(written_on=written.isoformat())
    ref, token = case.reference, case.tracking_token
    staff.ood.complete(ref, "answer", {"action": "letter", "answer_text": TEXT})
    reply = replies_of(db.session.scalar(select(Case.id).where(Case.reference == ref)))[0]

    bart = web_user(app, "behandelaar", "onderhoud-openbaar-domein", "bart.web", "Bart Web")
    response = bart.get(f"/werk/dossier/{ref}/bestand/{reply.file_id}")
    assert response.status_code == 200 and response.mimetype == DOCX_TYPE
    assert f"antwoord-{ref}-v1.docx" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    doc = Document(io.BytesIO(response.get_data()))
    text = document_text(doc)

    url = f"https://meldpunt.stad.example/volg/{token}"
    for expected in ("Stad Mechelen", "Grote Markt 21, 2800 Mechelen", "Tel. 015 29 76 55", "https://www.mechelen.be",
                     "Els Peeters\nBruul 12\n2800 Mechelen", f"Mechelen, {dutch_date(local_today())}",
                     f"Uw brief van {dutch_date(written)}", f"Ons kenmerk {ref}",
                     "Betreft: Vraag over de straatverlichting in de Bruul", "Geachte Els Peeters,", url,
                     "Met vriendelijke groeten,", "Bart\nOnderhoud openbaar domein\nStad Mechelen"):
        assert expected in text, expected
    # the handler's paragraphs stay paragraphs, and a single line break stays a line break
    paragraphs = [p.text for p in doc.paragraphs]
    assert "Wij ontvingen uw brief over de straatverlichting in de Bruul." in paragraphs
    assert ("De defecte lamp aan paal 12 wordt op 10 december vervangen.\nDe aannemer verwittigt de buurt vooraf."
            in paragraphs)
    assert "Hebt u nog vragen, bel dan het nummer hierboven." in paragraphs
    # the picture is the QR code of exactly this tracking link
    expected_png = io.BytesIO()
    segno.make(url, error="m").save(expected_png, kind="png", scale=6, border=2)
    assert qr_picture(doc) == expected_png.getvalue()
    other = io.BytesIO()
    segno.make(url + "x", error="m").save(other, kind="png", scale=6, border=2)
    assert qr_picture(doc) != other.getvalue()
    assert doc.core_properties.title == f"Antwoord op uw brief – {ref}"


def test_the_letter_is_downloaded_only_by_those_who_may_see_the_case(app, staff):
    ref = register().reference
    staff.ood.complete(ref, "answer", {"action": "letter", "answer_text": TEXT})
    file_id = replies_of(db.session.scalar(select(Case.id).where(Case.reference == ref)))[0].file_id
    user, password = postkamer_user()
    assert Browser(app, user.username, password).get(f"/werk/dossier/{ref}/bestand/{file_id}").status_code == 200
    dina = web_user(app, "behandelaar", "openbare-netheid", "dina.web", "Dina Web")
    assert dina.get(f"/werk/dossier/{ref}/bestand/{file_id}").status_code == 403


def test_a_letter_without_letterhead_settings_or_date_written_still_reads_well(app):
    content = LetterContent(reference="P2026-000007", recipient_name="VZW De Kade",
                            recipient_address="Kade 1\n2800 Mechelen",
                            subject="Factuur 2026/114", text="Uw factuur werd betaald.", handler_name="An Peeters",
                            group_name=None, tracking_url="https://meldpunt.stad.example/volg/abc",
                            letter_date=date(2026, 12, 2))
    doc = Document(io.BytesIO(build_letter(content)))
    text = document_text(doc)
    assert text.startswith("Stadsbestuur") and "2 december 2026" in text and "Uw brief van" not in text
    assert "Ons kenmerk P2026-000007" in text and "An Peeters\nStadsbestuur" in text


def test_paragraphs_are_split_at_blank_lines():
    assert paragraphs_of("Een.\r\n\r\nTwee\nnog twee.\n  \n\nDrie.  ") == ["Een.", "Twee\nnog twee.", "Drie."]
    assert paragraphs_of("   ") == []
    assert dutch_date(date(2026, 3, 1)) == "1 maart 2026"


def test_the_tracking_link_in_the_letter_is_the_case_s_own(app, staff):
    case = register()
    staff.ood.complete(case.reference, "answer", {"action": "letter", "answer_text": "Kort antwoord."})
    reply = replies_of(case.id)[0]
    with open_file(reply.file) as handle:
        doc = Document(handle)
    assert tracking_url(case) in document_text(doc)


def test_the_letter_is_printed_on_a4_with_page_numbers(app, staff):
    """A Belgian printer holds A4: the letter's page is A4 (not python-docx's US Letter), with 'Pagina X van Y'."""
    case = register()
    staff.ood.complete(case.reference, "answer", {"action": "letter", "answer_text": TEXT})
    with open_file(replies_of(case.id)[0].file) as handle:
        doc = Document(handle)
    assert_a4_with_page_numbers(doc, ("Pagina", "van"))
