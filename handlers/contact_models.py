"""Tables of the first-line contacts (issue #16): every phone call or counter visit registered, its general topics,
and the links staff made between two reporter rows of one citizen.

A contact is a light record (who took it, on which channel, the question, the topic, what happened). Only a
contact that needs follow-up is also a case: a melding (kind "melding"), a hand-over to a group (kind "contact",
bpmn/contact.bpmn) or the existing case it was added to; `case_id` names it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime
from engine.i18n import N_

# What happened with the contact, with its Dutch label (English in web/translations).
OUTCOMES: dict[str, str] = {
    "answered": N_("Meteen beantwoord"),
    "melding": N_("Melding gemaakt"),
    "handover": N_("Overgedragen aan een dienst"),
    "existing_case": N_("Toegevoegd aan een bestaand dossier"),
}

# The general topics every installation starts with (key, Dutch name); a city adds its own to the table. Keys are
# stable: the API and the reports name a topic by its key.
GENERAL_TOPICS: list[tuple[str, str]] = [
    ("afval", N_("Afval en containerpark")),
    ("parkeren", N_("Parkeren")),
    ("burgerzaken", N_("Burgerzaken")),
    ("belastingen", N_("Belastingen")),
    ("wonen", N_("Wonen en bouwen")),
    ("mobiliteit", N_("Mobiliteit en wegenwerken")),
    ("evenementen", N_("Evenementen en vrije tijd")),
    ("sociaal", N_("Sociale dienstverlening")),
    ("andere", N_("Andere vraag")),
]


class ContactTopic(Model):
    """A general topic of contacts beside the category tree ("afval", "parkeren", "burgerzaken", ...)."""

    __tablename__ = "contact_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contact(Model):
    """One registered contact with a citizen (phone, counter, ...): counted in the reports whatever its outcome.

    Exactly one of `category_id` and `topic_id` says what it was about. `reporter_id` is the citizen (None when
    anonymous or not given). `related_contact_id` links a second registration of the same call by another staff
    member to the first; both are kept.
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))
    topic_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contact_topics.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    answer: Mapped[Optional[str]] = mapped_column(Text)
    note: Mapped[Optional[str]] = mapped_column(Text)  # the warm-handover note, or what was added to a case
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))  # handed over to
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)  # made or joined
    reporter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reporters.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    taken_by_name: Mapped[str] = mapped_column(String(200))
    related_contact_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    category = relationship("Category")
    topic = relationship(ContactTopic)
    group = relationship("HandlerGroup")
    case = relationship("Case")  # set by id (a new case joins the session only after its start)
    reporter = relationship("Reporter")
    taken_by = relationship("User")
    related_contact = relationship("Contact", remote_side=[id])

    @property
    def outcome_label(self) -> str:
        """The Dutch label of the outcome."""
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def topic_key(self) -> Optional[str]:
        """The key the contact's topic has in the API: the category's or the general topic's."""
        if self.category is not None:
            return str(self.category.key)
        return self.topic.key if self.topic is not None else None

    @property
    def topic_name(self) -> Optional[str]:
        """The name of the contact's topic (category or general topic)."""
        if self.category is not None:
            return str(self.category.name)
        return self.topic.name if self.topic is not None else None


class ReporterLink(Model):
    """Staff confirmed that two reporter rows (e.g. under two e-mail addresses) are one citizen.

    Nothing is merged: both rows and their cases stay as they are; the contact page and the API show the linked
    rows' history together. `reporter_id` < `other_id` always, so a pair is stored once.
    """

    __tablename__ = "reporter_links"
    __table_args__ = (UniqueConstraint("reporter_id", "other_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporters.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("reporters.id"), index=True)
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
