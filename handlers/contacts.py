"""First-line contacts (issue #16), everything but registering one (that is intake/contacts.py, which can start a
melding): the topics a contact can be about, the contacts of a citizen, the citizen found twice, and a contact as
the API and the pages show it (the caller's data by role).

Topics: every active category of the melding tree (handlers/categories.py) and the general topics of the table
contact_topics ("afval", "parkeren", "burgerzaken", ...; the seed loads GENERAL_TOPICS, a city adds its own).
Both are named by their key; a category key wins when a general topic has the same key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, or_, select

from engine.db import db
from engine.models import Reporter

from .contact_models import GENERAL_TOPICS, OUTCOMES, Contact, ContactTopic, ReporterLink  # noqa: F401 (re-exported)
from .models import Category, User
from .permission_table import ALL, scope
from .permissions import may


@dataclass(frozen=True)
class Topic:
    """What a contact is about: a category of the melding tree, or a general topic."""

    key: str
    name: str
    category: Optional[Category] = None
    general: Optional[ContactTopic] = None

    @property
    def kind(self) -> str:
        """"category" or "general"."""
        return "category" if self.category is not None else "general"


def find_topic(key: Optional[str]) -> Optional[Topic]:
    """The active category or general topic with this key (a category first), or None."""
    key = (key or "").strip()
    if not key:
        return None
    category = db.session.scalar(select(Category).where(Category.key == key, Category.active.is_(True)))
    if category is not None:
        return Topic(category.key, category.name, category=category)
    general = db.session.scalar(select(ContactTopic).where(ContactTopic.key == key, ContactTopic.active.is_(True)))
    if general is not None:
        return Topic(general.key, general.name, general=general)
    return None


def topic_choices() -> list[Topic]:
    """Every topic a contact can have, for a select: the general topics (in their order), then the categories
    (main categories with their subcategories after them)."""
    general = db.session.scalars(select(ContactTopic).where(ContactTopic.active.is_(True))
                                 .order_by(ContactTopic.position, ContactTopic.name))
    topics = [Topic(t.key, t.name, general=t) for t in general]
    categories = list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name)))
    for main in [c for c in categories if c.parent_id is None]:
        topics.append(Topic(main.key, main.name, category=main))
        topics += [Topic(c.key, f"{main.name} – {c.name}", category=c) for c in categories if c.parent_id == main.id]
    return topics


def seed_general_topics() -> None:
    """Create the default general topics that are missing, by key (running it twice changes nothing)."""
    existing = set(db.session.scalars(select(ContactTopic.key)))
    for position, (key, name) in enumerate(GENERAL_TOPICS, start=1):
        if key not in existing:
            db.session.add(ContactTopic(key=key, name=name, position=position * 10))
    db.session.flush()


# --- the citizen: contacts, history, the same person under two addresses ---------------------------------------

def linked_reporter_ids(reporter_id: int) -> set[int]:
    """The reporter and every reporter row staff linked to it (directly or through another link)."""
    found, todo = {reporter_id}, [reporter_id]
    while todo:
        current = todo.pop()
        rows = db.session.execute(select(ReporterLink.reporter_id, ReporterLink.other_id).where(
            or_(ReporterLink.reporter_id == current, ReporterLink.other_id == current))).tuples()
        for a, b in rows:
            for other in (a, b):
                if other not in found:
                    found.add(other)
                    todo.append(other)
    return found


def contacts_of_reporter(reporter_id: int, limit: int = 50) -> list[Contact]:
    """The contacts of a citizen (and of the reporter rows linked to them), newest first."""
    ids = linked_reporter_ids(reporter_id)
    return list(db.session.scalars(select(Contact).where(Contact.reporter_id.in_(ids))
                                   .order_by(Contact.created_at.desc(), Contact.id.desc()).limit(limit)))


def _digits(phone: Optional[str]) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0032"):
        digits = "0" + digits[4:]
    elif digits.startswith("32") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def link_candidates(reporter: Reporter, limit: int = 10) -> list[Reporter]:
    """Other reporter rows that may be the same citizen: the same phone number (digits compared, +32 as 0) or
    the same full name, under another e-mail address, not linked yet. Offered to staff to link; never merged."""
    linked = linked_reporter_ids(reporter.id)
    conditions = []
    if reporter.name and reporter.name.strip():
        conditions.append(func.lower(Reporter.name) == reporter.name.strip().lower())
    phone = _digits(reporter.phone)
    if len(phone) >= 6:
        conditions.append(Reporter.phone.is_not(None))
    if not conditions:
        return []
    rows = db.session.scalars(select(Reporter).where(Reporter.id.not_in(linked), or_(*conditions))
                              .order_by(Reporter.id).limit(500))
    found = []
    for row in rows:
        same_name = bool(reporter.name and row.name and row.name.strip().lower() == reporter.name.strip().lower())
        same_phone = bool(len(phone) >= 6 and _digits(row.phone) == phone)
        if (same_name or same_phone) and (row.email or None) != (reporter.email or None):
            found.append(row)
        if len(found) >= limit:
            break
    return found


def link_reporters(reporter: Reporter, other: Reporter, *, by: User) -> ReporterLink:
    """Record that staff confirmed two reporter rows are one citizen (nothing is merged); the caller commits.
    Linking a row to itself or a pair twice changes nothing."""
    if reporter.id == other.id:
        raise ValueError("a reporter cannot be linked to itself")
    low, high = sorted((reporter.id, other.id))
    existing = db.session.scalar(select(ReporterLink).where(ReporterLink.reporter_id == low,
                                                            ReporterLink.other_id == high))
    if existing is not None:
        return existing
    link = ReporterLink(reporter_id=low, other_id=high, linked_by=by.display_name, linked_by_id=by.id)
    db.session.add(link)
    return link


# --- a contact as people see it ---------------------------------------------------------------------------------

def may_see_contact(user: User, contact: Contact) -> bool:
    """Whether the user may see this contact at all: the roles of the first line see every contact; a handler
    group the contacts handed over to it or added to its cases."""
    if not may(user, "contact.see"):
        return False
    if scope(user, "contact.see") == ALL:
        return True
    group = contact.group or (contact.case.group if contact.case is not None else None)
    return group is not None and may(user, "contact.see", group)


def contact_view(contact: Contact, user: User) -> dict[str, Any]:
    """The contact as a JSON-friendly dict; the citizen's name, e-mail and phone only for a role that may see a
    reporter's contact data (case.see_contact), the question and answer only for one that may read reporters'
    texts (reporter_data.see)."""
    case = contact.case
    reporter = None
    target = case if case is not None else contact.group
    shown = scope(user, "case.see_contact") == ALL or (target is not None and may(user, "case.see_contact", target))
    if contact.reporter is not None and shown:
        reporter = {"id": contact.reporter.id, "name": contact.reporter.name, "email": contact.reporter.email,
                    "phone": contact.reporter.phone}
    texts = may(user, "reporter_data.see")
    return {
        "id": contact.id, "channel": contact.channel, "created_at": contact.created_at.isoformat(),
        "question": contact.question if texts else None, "answer": contact.answer if texts else None,
        "note": contact.note if texts else None,
        "topic": {"key": contact.topic_key, "name": contact.topic_name,
                  "kind": "category" if contact.category_id is not None else "general"},
        "outcome": contact.outcome, "outcome_label": OUTCOMES.get(contact.outcome, contact.outcome),
        "group": ({"key": contact.group.key, "name": contact.group.name} if contact.group is not None else None),
        "case": ({"reference": case.reference, "kind": case.kind, "status": case.status}
                 if case is not None else None),
        "anonymous": contact.anonymous, "reporter": reporter,
        "taken_by": contact.taken_by_name, "related_contact": contact.related_contact_id,
    }

