"""Translations for mails and documents, which are made outside the reader's request (outbox, sender, letters).

They use the same gettext catalogues as the pages (web/translations, Dutch msgids, see web/i18n.py) but load
them directly with Babel for the recipient's language, so rendering needs no request and no forced locale.
Dates and month names come from Babel's locale data: nl_BE for Dutch, en_BE for English.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime, get_timezone
from babel.support import NullTranslations, Translations

CATALOGUES = Path(__file__).resolve().parent.parent / "web" / "translations"
LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl_BE", "en": "en_BE"}


def language_of(language: str | None) -> str:
    """The language itself when it is known, else Dutch (the source language)."""
    return language if language in LANGUAGES else "nl"


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of `language` (Dutch for an unknown one)."""
    return Translations.load(str(CATALOGUES), [language_of(language)], "messages")


def translate_in(language: str | None, text: str, **values) -> str:
    """`text` (a Dutch msgid) in `language`, its `{name}` values filled in."""
    out = catalogue(language_of(language)).ugettext(text)
    return out.format(**values) if values else out


def translator(language: str | None) -> Callable[..., str]:
    """A `_(text, **values)` bound to `language`, for code that writes many sentences (documents)."""
    def _(text: str, **values) -> str:
        return translate_in(language, text, **values)
    return _


def local_date(language: str | None, day: date, pattern: str = "d MMMM y") -> str:
    """A date in the language's words: '2 december 2026' (nl_BE), '2 December 2026' (en_BE)."""
    return format_date(day, pattern, locale=LOCALES[language_of(language)])


def local_datetime(language: str | None, moment: datetime, pattern: str = "dd/MM/yyyy HH:mm") -> str:
    """A moment as written in a mail; an aware moment is shown in the city's time zone (Europe/Brussels)."""
    tz = get_timezone("Europe/Brussels") if moment.tzinfo is not None else None
    return format_datetime(moment, pattern, tzinfo=tz, locale=LOCALES[language_of(language)])


def plural_translator(language: str | None) -> Callable[..., str]:
    """An `ngettext(singular, plural, count, **values)` bound to `language`; `{count}` is filled in."""
    def ngettext(singular: str, plural: str, count: int, **values) -> str:
        return catalogue(language_of(language)).ungettext(singular, plural, count).format(count=count, **values)
    return ngettext
