"""Translations inside one request: the page's language, a mail in another language in between
(`translate_in`), and a language switch (`refresh`) all see their own catalogue (web/i18n.py remembers the
current one per request)."""
from __future__ import annotations

from flask_babel import refresh

from web.i18n import translate, translate_in


def test_a_mail_in_english_in_the_middle_of_a_dutch_page_leaves_the_page_dutch(app):
    with app.app_context(), app.test_request_context("/"):
        assert translate("Geen dossiers") == "Geen dossiers"
        assert translate_in("en", "Geen dossiers") == "No cases"
        assert translate("Geen dossiers") == "Geen dossiers"
        assert translate_in("nl", "Geen dossiers") == "Geen dossiers"


def test_a_page_in_english_after_the_language_changed_within_the_request(app):
    with app.app_context(), app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert translate("Geen dossiers") == "No cases"
        assert translate_in("nl", "Geen dossiers") == "Geen dossiers"
        assert translate("Geen dossiers") == "No cases"
    with app.app_context(), app.test_request_context("/"):
        from flask import g
        assert translate("Geen dossiers") == "Geen dossiers"
        g.lang = "en"
        refresh()
        assert translate("Geen dossiers") == "No cases"
