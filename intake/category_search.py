"""The citizen's search box: plain words ("lamp kapot", "put in het voetpad") to the right sub category.

A small scoring search over a sub category's name, its synonyms and its main category's name; accent- and
case-insensitive, with word-prefix matching (kapot: kapotte), plurals (lampen: lamp) and Dutch compounds
(lamp: straatlamp).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine.db import db
from handlers.models import Category

# Small Dutch words that say nothing about the category.
STOPWORDS = frozenset(
    "de het een in op aan van en of is er bij met voor naar te ik mijn mij me we wij onze ons u uw die dat deze "
    "dit daar hier al nog ook wel zeer erg heel staat staan ligt liggen zit zitten zijn was werd wordt niet "
    "geen meer straat".split())
FIELD_WEIGHTS = {"name": 3.0, "synonyms": 2.0, "parent": 1.0}
PHRASE_BONUS = 3.0
MAX_QUERY_WORDS = 12


def normalise(text: str) -> str:
    """Lower case without accents, words separated by single spaces (café → cafe)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def query_words(query: str) -> list[str]:
    """The words of a query that can identify a category (no stop words, no single letters)."""
    words = [w for w in normalise(query).split() if len(w) > 1 and w not in STOPWORDS]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def word_match(query_word: str, word: str) -> float:
    """How well one query word matches one word of a category (0 = not at all)."""
    if word == query_word:
        return 1.0
    if len(query_word) >= 3 and word.startswith(query_word):  # kapot: kapotte, sluik: sluikstort
        return 0.9
    if len(word) >= 4 and query_word.startswith(word):  # lampen: lamp, sluikstorten: sluikstort
        return 0.8
    if len(query_word) >= 4 and word.endswith(query_word):  # lamp: straatlamp, tegel: stoeptegel
        return 0.7
    return 0.0


def score(query: str, name: str, synonyms: str = "", parent_name: str = "") -> float:
    """The relevance of one sub category for a query; 0 when no word matches."""
    words = query_words(query)
    if not words:
        return 0.0
    fields = {"name": normalise(name), "synonyms": normalise(synonyms), "parent": normalise(parent_name)}
    field_words = {key: value.split() for key, value in fields.items()}
    total = 0.0
    for q in words:
        total += max((FIELD_WEIGHTS[key] * word_match(q, w) for key, ws in field_words.items() for w in ws),
                     default=0.0)
    if total == 0:
        return 0.0
    phrase = normalise(query)
    if len(phrase.split()) > 1 and any(f" {phrase} " in f" {fields[key]} " for key in ("name", "synonyms")):
        total += PHRASE_BONUS
    return round(total, 3)


@dataclass(frozen=True)
class Match:
    key: str
    name: str
    parent_name: str
    score: float


def active_sub_categories() -> list[tuple[Category, str]]:
    """Every active public sub category whose main category is active and public too, with the main's name."""
    parent = aliased(Category)
    rows = db.session.execute(
        select(Category, parent.name).join(parent, Category.parent_id == parent.id)
        .where(Category.active.is_(True), parent.active.is_(True), Category.public.is_(True), parent.public.is_(True))
        .order_by(parent.name, Category.name))
    return [(category, parent_name) for category, parent_name in rows]


def search(query: str, limit: int = 8) -> list[Match]:
    """The best matching active sub categories, best first; empty when nothing matches."""
    if not query_words(query):
        return []
    found = []
    for category, parent_name in active_sub_categories():
        value = score(query, category.name, category.synonyms or "", parent_name)
        if value > 0:
            found.append(Match(category.key, category.name, parent_name, value))
    found.sort(key=lambda m: (-m.score, m.name))
    if found:  # drop the long tail: a match on one weak word next to a strong match only distracts
        found = [m for m in found if m.score >= found[0].score / 3]
    return found[:limit]
