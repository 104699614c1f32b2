"""The page of every Word document Meldpunt makes: A4 with margins, and "Pagina X van Y" in the footer.

python-docx starts from a US Letter template (21.59 x 27.94 cm); printed in a Belgian city hall that
crops or scales every page. The page numbers are Word fields (PAGE, NUMPAGES), so Word and LibreOffice
fill them in when they lay the document out, whatever its length. The words around them come from the
gettext catalogue in the document's language.
"""
from __future__ import annotations

import re

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from engine.i18n import N_

from .i18n import translate_in

A4_WIDTH, A4_HEIGHT = Cm(21.0), Cm(29.7)
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = Cm(2.5), Cm(2.0), Cm(2.0)
FOOTER_DISTANCE = Cm(1.0)
# The footer line; {page} and {pages} become the PAGE and NUMPAGES fields.
FOOTER = N_("Pagina {page} van {pages}")
FIELDS = {"{page}": "PAGE", "{pages}": "NUMPAGES"}


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A complex field (begin, instruction, separate, last value, end) as the runs Word itself writes."""
    def char(kind: str):
        run = paragraph.add_run()
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        run._r.append(mark)

    char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    char("separate")
    paragraph.add_run(placeholder)  # shown until the reader updates the field
    char("end")


def page_footer(section, language: str = "nl") -> None:
    """Replace the section's footer with one centred line 'Pagina X van Y' ('Page X of Y' in English)."""
    words = translate_in(language, FOOTER)  # no values: the placeholders stay, to be split on
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in re.split(r"(\{page\}|\{pages\})", words):
        if part in FIELDS:
            _field(paragraph, FIELDS[part])
        elif part:
            paragraph.add_run(part)
    for run in paragraph.runs:
        run.font.size = Pt(9)


def a4_pages(document, language: str = "nl") -> None:
    """Every section of `document` on portrait A4 with sensible margins and a page-number footer."""
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
        section.left_margin = section.right_margin = SIDE_MARGIN
        section.top_margin, section.bottom_margin = TOP_MARGIN, BOTTOM_MARGIN
        section.footer_distance = FOOTER_DISTANCE
        page_footer(section, language)
