"""General contact topics managed by the functional administrator (/werk/beheer/onderwerpen, issue #16).

The general topics ("afval", "parkeren", "burgerzaken", ...) sit beside the category tree on the contact page. A city
adds its own, renames them, puts them in its order (position) and deactivates them. A topic's key never changes once
made (the API and the reports name a topic by its key) and a topic is never deleted: contacts keep pointing at it,
and the reports keep counting them. A deactivated topic is no longer offered on /werk/contact nor accepted for a new
contact (handlers/contacts.find_topic and topic_choices only see active topics).

One function saves a topic from what was typed, in the manner of handlers/category_admin.py: every problem collected
per field (Dutch), nothing written unless all of it is right, every change one row of the administration log.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase

from .admin_changes import record_change
from .admin_keys import new_key
from .category_admin import _flag, _shown
from .contact_models import ContactTopic

MAX_POSITION = 9999
TRACKED = ("name", "position", "active")
LABELS = {"name": "naam", "position": "volgorde", "active": "actief"}


def snapshot(topic: ContactTopic) -> dict[str, Any]:
    """The values the log keeps of one topic."""
    return {"key": topic.key, "name": topic.name, "position": topic.position, "active": bool(topic.active)}


def topics_in_order() -> list[ContactTopic]:
    """Every general topic, active or not, in the order of the contact page."""
    return list(db.session.scalars(select(ContactTopic).order_by(ContactTopic.position, ContactTopic.name)))


def next_position() -> int:
    """A new topic's default position: after the last one, in steps of ten."""
    positions = [t.position or 0 for t in topics_in_order()]
    return min((max(positions) if positions else 0) + 10, MAX_POSITION)


def save_topic(topic: Optional[ContactTopic], values: dict[str, Any], *, actor: str,
               user_id: Optional[int] = None) -> ContactTopic:
    """Create (topic None) or change a general topic from `values`; raises InvalidInput naming every bad field.

    `values` may hold: key (new only; empty: made from the name), name, position (a whole number, empty: after the
    last one), active. For a change, a value left out keeps what the topic has; a key given for a change is ignored.
    """
    errors: dict[str, list] = {}
    old = snapshot(topic) if topic is not None else None

    name = str(values.get("name", topic.name if topic else "") or "").strip()
    if not name:
        errors["name"] = [N_("Geef het onderwerp een naam.")]
    elif len(name) > 200:
        errors["name"] = [N_("Een naam is hoogstens 200 tekens lang.")]

    key = topic.key if topic is not None else new_key(values, name, errors)

    position = topic.position if topic is not None else None
    if topic is None or "position" in values:
        text = str(values.get("position") or "").strip()
        if not text and topic is None:
            position = next_position()
        elif not re.fullmatch(r"\d{1,4}", text):
            errors["position"] = [Phrase(N_("Geef een geheel getal van {low} tot {high}."), low=0, high=MAX_POSITION)]
        else:
            position = int(text)
    active = _flag(values.get("active")) if (topic is None or "active" in values) else bool(topic.active)

    if errors:
        raise InvalidInput(N_("Het onderwerp is niet bewaard: verbeter de aangeduide velden."), errors)

    if topic is None:
        topic = ContactTopic(key=key)
        db.session.add(topic)
    topic.name = name
    topic.position = position if position is not None else next_position()
    topic.active = active
    db.session.flush()
    new = snapshot(topic)
    if old is None:
        record_change("contact_topic", "create", topic.key, actor=actor, user_id=user_id,
                      detail=f"Nieuw onderwerp {topic.name}", data={"new": new})
    else:
        changed = {field: [old[field], new[field]] for field in TRACKED if old[field] != new[field]}
        if changed:
            action = "deactivate" if changed.get("active") == [True, False] and len(changed) == 1 else "update"
            record_change("contact_topic", action, topic.key, actor=actor, user_id=user_id,
                          detail="Gewijzigd: " + "; ".join(f"{LABELS[f]} van {_shown(a)} naar {_shown(b)}"
                                                           for f, (a, b) in changed.items()),
                          data={"old": old, "new": new, "changed": changed})
    return topic
