"""The page of Meldpunt's Word documents (notifications/docx_pages.py): A4 in every section, page numbers."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION

from notifications.docx_pages import a4_pages

from .docx_pages import assert_a4_with_page_numbers


def reread(document):
    out = io.BytesIO()
    document.save(out)
    return Document(io.BytesIO(out.getvalue()))


def test_every_section_becomes_a4_with_dutch_page_numbers():
    document = Document()
    document.add_paragraph("Eerste deel")
    document.add_section(WD_SECTION.NEW_PAGE)  # a second section must not keep US Letter
    document.add_paragraph("Tweede deel")
    a4_pages(document)
    document = reread(document)
    assert len(document.sections) == 2
    assert_a4_with_page_numbers(document, ("Pagina", "van"))


def test_an_english_document_says_page_x_of_y():
    document = Document()
    a4_pages(document, "en")
    assert_a4_with_page_numbers(reread(document), ("Page", "of"))
