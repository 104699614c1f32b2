"""In a real browser (Debian's Chromium via Playwright): the postkamer registers a scanned letter and routes it,
a handler of the group writes the answer, downloads the reply letter (DOCX) and marks it sent."""
from __future__ import annotations

import re

from docx import Document

from intake.post_intake import local_today

from .live_server import chromium, live_app, login
from .test_post_support import pdf_bytes


def test_register_route_answer_download_and_send_a_letter_in_chromium(tmp_path):
    scan = tmp_path / "brief-peeters.pdf"
    scan.write_bytes(pdf_bytes(2))
    with live_app(tmp_path) as (app, base), chromium() as browser:
        eva = browser.new_context().new_page()
        login(eva, base, "eva.onthaal")
        eva.get_by_role("link", name="Post registreren").click()
        eva.fill("#sender_name", "Els Peeters")
        eva.fill("#sender_address", "Bruul 12\n2800 Mechelen")
        eva.fill("#sender_email", "els@voorbeeld.example")
        eva.fill("#written_on", local_today().isoformat())
        eva.fill("#subject", "Klacht over de kapotte straatlamp in de Bruul")
        eva.select_option("#kind", "klacht")
        eva.set_input_files("#scan", str(scan))
        eva.select_option("#group", "onderhoud-openbaar-domein")
        eva.get_by_role("button", name="Registreren en doorsturen").click()
        notice = eva.locator("p.flash").inner_text()
        assert "(scan van 2 blz.) en doorgestuurd naar Onderhoud openbaar domein" in notice, notice
        ref = re.search(r"P\d{4}-\d{6}", notice).group(0)

        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        bart.goto(f"{base}/werk/wachtrij/onderhoud-openbaar-domein")
        bart.locator(f"tr[data-reference='{ref}']").get_by_role("link", name="Overzicht").click()
        facts = bart.locator("#post-facts").inner_text()
        assert "Els Peeters" in facts and "2 pagina’s" in facts and "45 kalenderdagen" in facts
        assert bart.locator("#case-status").inner_text() == "Doorgestuurd naar de behandelende dienst"
        form = bart.locator("form[data-task='answer']")
        form.locator("textarea[name=answer_text]").fill(
            "Wij ontvingen uw klacht over de straatlamp.\n\nDe lamp wordt op 10 december vervangen.")
        form.get_by_role("button", name="Opslaan").click()
        assert bart.locator("#case-status").inner_text() == "Antwoordbrief klaar voor verzending"

        with bart.expect_download() as download:
            bart.locator("#letter-download").click()
        assert download.value.suggested_filename == f"antwoord-{ref}-v1.docx"
        letter = tmp_path / "antwoord.docx"
        download.value.save_as(letter)
        text = "\n".join(p.text for p in Document(str(letter)).paragraphs)
        for expected in (f"Ons kenmerk {ref}", "Els Peeters\nBruul 12\n2800 Mechelen",
                         "Betreft: Klacht over de kapotte straatlamp in de Bruul",
                         "De lamp wordt op 10 december vervangen.", f"{base}/volg/",
                         "Bart Janssens\nOnderhoud openbaar domein"):
            assert expected in text, expected
        assert len(Document(str(letter)).inline_shapes) == 1  # the QR code

        sent = bart.locator("form[data-task='sent_task']")
        assert sent.locator("input[name=sent_on]").input_value() == local_today().isoformat()
        sent.get_by_role("button", name="Opslaan").click()
        assert bart.locator("#case-status").inner_text() == "Afgesloten"
        timeline = bart.locator("#timeline").inner_text()
        assert f"Antwoord per brief verstuurd op {local_today().strftime('%d/%m/%Y')}" in timeline
        assert bart.locator("form.task-form").count() == 0
        assert "verzonden op" in bart.locator("#post-facts").inner_text()
