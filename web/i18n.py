"""Interface language and translation: Flask-Babel with the gettext catalogues in web/translations.

Dutch (Flemish usage) is the source language: every msgid is Dutch, the `nl` catalogue repeats or refines it,
the `en` catalogue translates it. Code and templates write `_('Dutch text', name=value)` (Python:
`translate`), counts go through `ngettext` (Python: `translate_plural`); `{name}` values are filled in after
the look-up, so a missing translation shows the Dutch text, never a key. Tables of texts that are looked up
later are marked with `N_` so that `make messages` finds them.

The language: the `lang` cookie, else the logged-in user's choice, else Dutch (`current_language`). Dates
and numbers follow the locale: nl_BE, or en_BE for English.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, force_locale, get_translations, refresh
from flask_login import current_user

from engine.i18n import LOCALES, N_, N_plural, Phrase

__all__ = ["LANGUAGES", "N_", "N_plural", "Phrase", "current_language", "init_i18n", "translate", "translate_in", "translate_plural"]

LANGUAGES = ("nl", "en")
TRANSLATIONS = Path(__file__).parent / "translations"
babel = Babel()


def current_language() -> str:
    """The `lang` cookie, else the user's language, else Dutch; outside a request: the forced locale or Dutch."""
    if not has_request_context():
        return "nl"
    if "lang" in g:
        return g.lang
    lang = None
    if current_user and getattr(current_user, "is_authenticated", False):
        lang = current_user.language
    lang = request.cookies.get("lang") or lang
    g.lang = lang if lang in LANGUAGES else "nl"
    return g.lang


def _select_locale() -> str:
    return LOCALES[current_language()]


def translate(text: str, /, **values) -> str:
    """Translate a Dutch UI string into the current language and fill `{name}` values.

    A `Phrase` (engine/i18n.py) is looked up by its template; its values (translated when they are Phrases
    too) are filled in after. `text` is positional-only: a value may be called `text` too (the timer findings).
    """
    if isinstance(text, Phrase):
        return translate(text.template, **{key: translate(value) if isinstance(value, Phrase) else value
                                           for key, value in text.values.items()}, **values)
    out = _catalogue().ugettext(text)
    return out.format(**values) if values else out


def _catalogue():
    """The current locale's translations. Flask-Babel finds them on every call by turning the locale into a string
    (about 11 us; a queue page asks 130 times): remember the pair on Flask-Babel's own per-context namespace and
    reuse it while the locale object is the same one (`force_locale` sets another, so it is looked up again)."""
    if not g:
        return get_translations()
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    cached = getattr(ctx, "meldpunt_catalogue", None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    ctx = g._flask_babel  # made by the look-up above
    if ctx.babel_locale is not None:
        ctx.meldpunt_catalogue = (ctx.babel_locale, translations)
    return translations


def translate_plural(singular: str, plural: str, count: int, **values) -> str:
    """`singular` or `plural` by `count` in the current language; `{count}` and other values filled in."""
    return _catalogue().ungettext(singular, plural, count).format(count=count, **values)


def translate_in(language: str, text: str, /, **values) -> str:
    """`translate` in a given language ('nl' or 'en'), for mails and documents made outside the reader's request."""
    with force_locale(LOCALES.get(language, LOCALES["nl"])):
        return translate(text, **values)


def init_i18n(app: Flask) -> None:
    """Flask-Babel with the catalogues of web/translations; `_` and `ngettext` for templates (web/templating.py)."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES["nl"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Brussels")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=_select_locale)
    # Flask-Babel keeps the locale on `g`, which outlives a request when a test holds an app context
    app.before_request(refresh)
