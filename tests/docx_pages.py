"""Checks on the page of a Word document as python-docx reads it back: A4 and a page-number footer."""
from __future__ import annotations

from docx.oxml.ns import qn


def footer_fields(section) -> list[str]:
    """The field codes in the section's footer, e.g. ['PAGE', 'NUMPAGES']."""
    return [code.text.strip() for code in section.footer._element.iter(qn("w:instrText"))]


def assert_a4_with_page_numbers(document, words: tuple[str, str] = ("Pagina", "van")) -> None:
    """Every section is portrait A4 with margins, and its footer reads 'Pagina <PAGE> van <NUMPAGES>'."""
    assert document.sections, "the document has no section"
    for section in document.sections:
        assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7, (
            section.page_width.cm, section.page_height.cm)
        for margin in (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin):
            assert 1.5 <= margin.cm <= 3.0
        assert not section.footer.is_linked_to_previous
        assert footer_fields(section) == ["PAGE", "NUMPAGES"]
        text = "".join(p.text for p in section.footer.paragraphs)
        assert text.startswith(f"{words[0]} ") and f" {words[1]} " in text, text
