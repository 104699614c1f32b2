"""One template per mail, its sentences from the gettext catalogue: every mail reads wholly Dutch or wholly English.

The mails and their layout are written once (notifications/templates) with Dutch msgids; the English comes
from web/translations/en. A Dutch sentence left out of the catalogue would show up in an English mail, an
English one in a Dutch mail: both fail here, as do counts without their plural form.
"""
from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from notifications.docx_pages import a4_pages
from notifications.i18n import local_date, translate_in
from notifications.render import LANGUAGES, TEMPLATES, render_mail

from .test_mail_sender import KIND, sample

REPORT_MAILS = {
    "rapport_meldkamer": {"period": "01/03/2026 – 14/03/2026", "created": "12", "rows": [["X1", "12", "10", "+2"]],
                          "kinds": [["X2", "12", "100 %"]], "categories": [["X3", "X4", "3", "25 %"]],
                          "groups": [["X5", "4", "33 %"]], "group": "X6",
                          "dashboard_url": "https://meldpunt.stad.example/werk/rapporten?van=2026-03-01"},
    "rapport_groep": {"period": "01/03/2026 – 14/03/2026", "created": "3", "rows": [["X1", "3", "1", "+2"]],
                      "kinds": [], "categories": [], "groups": [], "group": "X6", "dashboard_url": None},
    "rapport_kwartaal": {"quarter": "2026Q1", "quarter_name": "2026Q1", "created": 40,
                         "filename": "meldpunt-kwartaalrapport-2026Q1.docx"},
}
# Words only one of the two languages uses (the mails' own sentences, not the values people typed).
DUTCH = {"de", "het", "een", "van", "uw", "niet", "voor", "bij", "wordt", "werd", "naar", "ook", "met", "zijn",
         "heeft", "je", "jullie", "dossier", "melding", "wat", "hoe", "bedankt", "beste", "groeten", "dit", "deze",
         "opdracht", "aannemer", "brief", "termijn", "antwoord", "vraag", "ontvangen", "volgpagina", "collega"}
ENGLISH = {"the", "your", "you", "with", "has", "been", "and", "for", "this", "thank", "dear", "regards",
           "case", "report", "will", "please", "letter", "question", "received", "deadline", "colleague", "hello"}


@pytest.fixture
def mail_context():
    app = Flask(__name__)
    app.config.update(MELDPUNT_BASE_URL="https://meldpunt.stad.example", MELDPUNT_CITY_NAME="Mechelen")
    with app.app_context():
        yield app


def _values(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [v for value in data.values() for v in _values(value)]
    if isinstance(data, (list, tuple)):
        return [v for value in data for v in _values(value)]
    return [str(data)] if data not in (None, True, False) else []


def _words(mail, data: dict) -> set[str]:
    """The words of subject, text and HTML, without the values the mail was given, links and markup."""
    text = " ".join((mail.subject, mail.text, html.unescape(re.sub(r"<[^>]+>", " ", mail.html))))
    text = re.sub(r"https?://\S+", " ", text)
    for value in sorted(_values(data), key=len, reverse=True):
        text = text.replace(value, " ")
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text.replace("Mechelen", " "))}


def _cases():
    for template in TEMPLATES:
        yield template, sample(template), KIND.get(template, "melder")
    for template, data in REPORT_MAILS.items():
        yield template, data, "medewerker"


@pytest.mark.parametrize(("template", "data", "kind"), list(_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_mail_reads_in_one_language(mail_context, template, data, kind):
    dutch = render_mail(template, data, "nl", kind)
    english = render_mail(template, data, "en", kind)

    assert not _words(english, data) & DUTCH, f"Dutch in the English {template}: {_words(english, data) & DUTCH}"
    assert not _words(dutch, data) & ENGLISH, f"English in the Dutch {template}: {_words(dutch, data) & ENGLISH}"
    assert dutch.text != english.text
    assert '<html lang="nl">' in dutch.html and '<html lang="en">' in english.html


def test_counts_take_the_plural_form_of_the_language(mail_context):
    one, three = ({**sample("nieuwe_mail"), "attachments": n} for n in (1, 3))
    assert "Attachment: 1 (kept with the case)" in render_mail("nieuwe_mail", one, "en", "medewerker").text
    assert "Attachments: 3 (kept with the case)" in render_mail("nieuwe_mail", three, "en", "medewerker").text
    assert "Bijlagen: 1 (bewaard bij het dossier)" in render_mail("nieuwe_mail", one, "nl", "medewerker").text


def test_contractor_greeting_without_a_name_depends_on_the_language(mail_context):
    data = {k: v for k, v in sample("aannemer_opdracht").items() if k != "contractor"}
    assert render_mail("aannemer_opdracht", data, "nl", "aannemer").text.startswith("Beste,\n")
    assert render_mail("aannemer_opdracht", data, "en", "aannemer").text.startswith("Dear contractor,\n")
    assert render_mail("ontvangen", {"reference": "M-1"}, "en").text.startswith("Hello,\n")


def test_dates_and_month_names_come_from_the_locale():
    from datetime import date
    assert local_date("nl", date(2026, 3, 1)) == "1 maart 2026"
    assert local_date("en", date(2026, 3, 1)) == "1 March 2026"
    assert translate_in("en", "Uw brief van {date}", date=local_date("en", date(2026, 3, 1))) == \
        "Your letter of 1 March 2026"


def test_document_footer_follows_the_catalogue():
    from docx import Document
    for language, expected in (("nl", "Pagina 1 van 1"), ("en", "Page 1 of 1")):
        document = Document()
        a4_pages(document, language)
        assert "".join(p.text for p in document.sections[0].footer.paragraphs) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_deadline_mail_shows_the_local_time(mail_context, language):
    mail = render_mail("escalatie", sample("escalatie"), language, "medewerker")
    assert "01/03/2024 16:00" in mail.text  # 15:00 UTC is 16:00 in Brussels in winter


def test_the_days_before_a_report_period_take_the_plural_form():
    from reports.quarterly import period_titles
    phrases = [period_titles("Rapport", days, "Van ...").previous_phrase for days in (1, 14, 31)]
    assert phrases == ["de dag ervoor", "de 14 dagen ervoor", "de 31 dagen ervoor"]
    assert translate_in("en", "Pagina {page} van {pages}", page=2, pages=3) == "Page 2 of 3"
