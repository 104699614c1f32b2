"""Words of a routing rule: folding text for comparison and splitting the keyword list (used by matching and
by the rule's schema)."""
from __future__ import annotations

import unicodedata
from typing import Optional


def fold(text: str) -> str:
    """Lower case without accents, so 'Café' and 'cafe' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def split_keywords(keywords: Optional[str]) -> list[str]:
    """The rule's keywords: comma separated, trimmed, empty ones and repeats left out."""
    seen: dict[str, str] = {}
    for part in (keywords or "").split(","):
        word = " ".join(part.split())
        if word and fold(word) not in seen:
            seen[fold(word)] = word
    return list(seen.values())
