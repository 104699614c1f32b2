"""`N_` marks a text for the gettext catalogue where it is written down, in any layer (web/i18n.py translates).

A text kept in a table or a model and shown later is marked here, so that `make messages` extracts it; the
text itself stays Dutch (the source language) until a page or a mail looks it up in the reader's language.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO, Any


def N_(text: str) -> str:
    """Return `text` unchanged: only a marker for the extraction."""
    return text


class Phrase(str):
    """A marked text with its `{name}` values filled in: the Dutch text, which keeps its template and values.

    A handler writes `Phrase(N_("hoogstens {limit} tekens"), limit=200)`: the API and the Dutch page read
    "hoogstens 200 tekens"; an English page translates the template first and fills the values after
    (web/i18n.translate). A value that is itself a Phrase (a label: `Phrase(N_("breedtegraad"))`) is
    translated too.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        phrase = super().__new__(cls, template.format(**values) if values else template)
        phrase.template, phrase.values = template, values
        return phrase

    def format(self, *args: Any, **kwargs: Any) -> Phrase:
        return self  # marshmallow formats the messages of its validators; a Phrase is filled in already

    def __copy__(self) -> Phrase:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Phrase:
        return self


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text with a count for the catalogue; `translate_plural(*pair, count)` picks the form later."""
    return singular, plural


def extract_bpmn(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                 options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor (babel.cfg): the names of user tasks, which staff read as the titles of work items."""
    import re

    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        for match in re.finditer(r"<bpmn:userTask\b[^>]*\bname=\"([^\"]+)\"", line):
            yield lineno, "N_", match.group(1), []


def in_language(language: str, text: str) -> str:
    """`text` looked up in the catalogue of `language` ('nl' or 'en'), whatever the current request's language.

    Outside an application (a script, a test without an app) there is no catalogue: the text stays Dutch.
    Inside one, each (language, text) is looked up once: switching the locale for a lookup costs more than
    the lookup, and every status change of every case words its status (its timeline event).
    """
    from flask import current_app, has_app_context
    from flask_babel import force_locale, gettext

    known: dict[tuple[str, str], str] | None = None
    if has_app_context():
        known = current_app.extensions.setdefault("meldpunt_in_language", {})
        found = known.get((language, text))
        if found is not None:
            return found
    with force_locale(language):
        worded = str(gettext(text))
    if known is not None:
        known[(language, text)] = worded
    return worded


LOCALES = {"nl": "nl_BE", "en": "en_BE"}


def long_date(day: date, language: str = "nl") -> str:
    """'1 juli 2026' in Dutch (nl_BE), '1 July 2026' in English: month names from Babel's locale data."""
    from babel.dates import format_date

    return format_date(day, "d MMMM y", locale=LOCALES.get(language, LOCALES["nl"]))
