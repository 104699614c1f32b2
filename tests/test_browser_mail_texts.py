"""In a real browser (Debian's Chromium via Playwright): the admin rewrites the Dutch "in behandeling" mail,
previews it on a real melding, is refused a text that reaches for internals (with the line, the typed text
kept), and saves; the version is listed and used for the next mail."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from notifications.mail_texts import MailTextVersion
from notifications.render import render_mail

from .live_server import chromium, lamp_melding, live_app, login

SUBJECT = "Stad Mechelen pakt melding {{ reference }} aan"
TEXT = "Dag {{ name }},\n\nWe zijn gestart met melding {{ reference }}.\nVolg ze hier: {{ tracking_url }}"


def test_admin_edits_previews_and_saves_a_mail_text_in_chromium(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        ref = lamp_melding(app)

        page = browser.new_context().new_page()
        refused = []  # the preview frame lives under the page's Content-Security-Policy too
        page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
        login(page, base, "admin")
        page.goto(f"{base}/werk/beheer/mailteksten")
        page.locator("tr[data-mail='in_behandeling'] a").click()
        assert "de link naar de volgpagina van de melding" in page.locator("#placeholders").inner_text()
        form = page.locator("form.mail-text-form[data-language='nl']")
        assert form.locator("input[name=subject]").input_value() == "Uw melding {{ reference }} is in behandeling"

        form.locator("input[name=subject]").fill(SUBJECT)
        form.locator("textarea[name=text]").fill(TEXT)
        form.locator("textarea[name=html]").fill("<p>We zijn gestart met <strong>{{ reference }}</strong>.</p>")
        form.locator("input[name=referentie]").fill(ref)
        form.get_by_role("button", name="Voorbeeld").click()
        assert page.locator("#preview-subject").inner_text() == f"Stad Mechelen pakt melding {ref} aan"
        assert "Dag Els," in page.locator("#preview-text").inner_text()
        frame = page.frame_locator("#preview-html")
        assert f"We zijn gestart met {ref}." in frame.locator("body").inner_text()
        assert "Met vriendelijke groeten" in frame.locator("body").inner_text()  # in the mail's own layout
        assert refused == []

        form = page.locator("form.mail-text-form[data-language='nl']")
        assert form.locator("input[name=subject]").input_value() == SUBJECT  # the preview kept what was typed
        form.locator("textarea[name=text]").fill("Dag,\n\n{{ ''.__class__ }}")
        form.get_by_role("button", name="Bewaren").click()
        errors = page.locator("form.mail-text-form[data-language='nl'] .errors").inner_text()
        assert "regel 3:" in errors and "toegang tot attributen" in errors
        form = page.locator("form.mail-text-form[data-language='nl']")
        assert form.locator("textarea[name=text]").input_value() == "Dag,\n\n{{ ''.__class__ }}"

        form.locator("textarea[name=text]").fill(TEXT)
        form.get_by_role("button", name="Bewaren").click()
        assert "deze tekst wordt vanaf nu gebruikt" in page.locator("body").inner_text()
        assert "Stad Mechelen pakt melding {{ reference }} aan" in page.locator(
            "table.versions[data-language='nl']").inner_text()
        assert "Nog geen eigen versies" in page.locator("table.versions[data-language='en']").inner_text()

        with app.app_context():
            assert [v.actor for v in db.session.scalars(select(MailTextVersion))] == ["admin"]
            mail = render_mail("in_behandeling", {"reference": ref, "name": "Els",
                                                  "tracking_url": "https://x/volg/t"}, "nl")
            db.session.remove()
        assert mail.subject == f"Stad Mechelen pakt melding {ref} aan"
        assert "We zijn gestart met melding" in mail.text
