"""The key of a new category or general contact topic (/werk/beheer/categorieen, /werk/beheer/onderwerpen).

A key is what the API, the public form, the reports and a contact's topic name it by; it never changes once
made. Categories and general topics share one space of keys: a contact's topic is looked up by its key among
both (handlers/contacts.find_topic, a category first), so a new category may not take a topic's key, nor a new
topic a category's.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from engine.db import db
from engine.i18n import N_, Phrase

from .contact_models import ContactTopic
from .models import Category

KEY_PATTERN = r"[a-z0-9][a-z0-9-]{0,79}"
TAKEN = ((Category.id, Category.key, N_("Er bestaat al een categorie met sleutel '{key}'.")),
         (ContactTopic.id, ContactTopic.key, N_("Er bestaat al een onderwerp met sleutel '{key}'.")))


def slug(name: str) -> str:
    """A key from a name: lower case, no accents, words joined by hyphens ("Graffiti op gevels": graffiti-op-gevels)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))[:80].strip("-")


def new_key(values: dict[str, Any], name: str, errors: dict[str, list]) -> str:
    """The key typed in `values`, else one made from `name`. When it is not a key, or a category or a topic has
    it, the error goes under the field it came from ("key", or "name" when it was made from the name)."""
    typed = str(values.get("key") or "").strip()
    key = typed or slug(name)
    field = "key" if typed else "name"
    if (typed or name) and not re.fullmatch(KEY_PATTERN, key):
        errors[field] = [N_("Een sleutel bestaat uit kleine letters, cijfers en koppeltekens.")]
        return key
    for row_id, row_key, message in TAKEN:
        if key and db.session.scalar(select(row_id).where(row_key == key)) is not None:
            errors[field] = [Phrase(message, key=key)]
            break
    return key
