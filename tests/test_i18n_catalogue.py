"""The gettext catalogues (web/translations) against the code: every text a person reads has Dutch and English.

The texts are extracted the way `make messages` does (babel.cfg and the keywords of the Makefile), so a new
`_('...')` in a template or `translate('...')` in Python fails here until both catalogues translate it, and a
catalogue edited without `make messages` fails on its stale .mo file.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "web" / "translations"
LANGUAGES = ("nl", "en")


def _keywords() -> dict:
    line = re.search(r"^BABEL_KEYWORDS := (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    names = [arg for arg in shlex.split(line) if arg != "-k"]
    return {**DEFAULT_KEYWORDS, **parse_keywords(names)}


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """msgid (the singular for plural forms; (msgctxt, msgid) for pgettext) -> the message as written in the code."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=_keywords()):
        if filename.startswith((".venv", "tests")):
            continue
        msgid = message[0] if isinstance(message, tuple) else message
        found[(context, msgid) if context else msgid] = message
    return found


def _catalogue(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


def _entry(catalogue, key):
    return catalogue.get(key[1], context=key[0]) if isinstance(key, tuple) else catalogue.get(key)


def _msg_key(message):
    """How `extracted` names a catalogue entry."""
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    context = message.context.decode() if isinstance(message.context, bytes) else message.context  # read_mo: bytes
    return (context, msgid) if context else msgid


def _translated(message) -> bool:
    return all(message.string) if isinstance(message.string, (list, tuple)) else bool(message.string)


def test_the_code_has_texts_to_translate(extracted):
    assert len(extracted) > 500
    assert "Deze pagina bestaat niet." in extracted  # web/errors.py, a table looked up later (N_)
    assert "Melding behandelen" in extracted  # bpmn/melding.bpmn, the title of a work item


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_has_a_translation(extracted, lang):
    catalogue = _catalogue(lang)
    missing = [key for key in extracted if _entry(catalogue, key) is None or not _translated(_entry(catalogue, key))]
    assert not missing, f"no {lang} translation in web/translations/{lang} (run `make messages`): {missing[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_holds_no_text_the_code_lost(extracted, lang):
    stale = [message.id for message in _catalogue(lang) if message.id and _msg_key(message) not in extracted]
    assert not stale, f"web/translations/{lang} has texts no code uses (run `make messages`): {stale[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang):
    wrong = []
    for message in _catalogue(lang):
        if not message.id or not _translated(message):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        wanted = set(re.findall(r"\{(\w+)\}", " ".join(ids)))
        for string in strings:
            if set(re.findall(r"\{(\w+)\}", string)) - wanted - {"count"}:
                wrong.append((ids[0], string))
    assert not wrong, f"{lang}: a translation names a value the code does not give: {wrong[:10]}"


def _strings(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_is_current(lang):
    """The committed .mo file says what the .po file says (`make messages` compiles it)."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {(_msg_key(m), _strings(m)) for m in read_mo(mo) if m.id}
    written = {(_msg_key(m), _strings(m)) for m in _catalogue(lang) if m.id and _translated(m) and not m.fuzzy}
    assert compiled == written, f"web/translations/{lang}/LC_MESSAGES/messages.mo is stale: run `make messages`"
