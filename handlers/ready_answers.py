"""Ready-made answers (standaardantwoorden): texts staff choose in a form and edit before sending.

An answer is for some of the forms (FORMS: the close and question of the handler group's "behandelen" form,
the meldkamer's "doorverwijzen", the answer to an infomail), for everyone or for one group, and active or not.
Admins manage them at /werk/beheer/standaardantwoorden; every change is a row of the administration log.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Model, db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase

from .admin_changes import record_change
from .models import HandlerGroup, User

# form -> its Dutch name; the task form and text field each one fills are in FORM_FIELDS.
FORMS = {"close": N_("Afsluiten"), "refer": N_("Doorverwijzen"), "answer": N_("Antwoord op een infomail"),
         "question": N_("Vraag aan de melder")}
# form -> (form key of the user task, the field the answer fills)
FORM_FIELDS = {"close": ("handle", "public_text"), "question": ("handle", "question"),
               "refer": ("triage", "public_text"), "answer": ("mail_answer", "answer_text")}
MAX_TEXT = 4000


class ReadyAnswer(Model):
    """One ready-made answer: a title to choose it by, the text (Dutch, optionally English), where it is offered."""

    __tablename__ = "ready_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text_nl: Mapped[str] = mapped_column(Text)
    text_en: Mapped[Optional[str]] = mapped_column(Text)
    forms: Mapped[str] = mapped_column(String(100))  # space separated keys of FORMS
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    group = relationship(HandlerGroup)

    @property
    def form_list(self) -> list[str]:
        return [f for f in (self.forms or "").split() if f in FORMS]

    def text(self, language: str = "nl") -> str:
        """The text in the reporter's language (English where given, else Dutch)."""
        return (self.text_en or self.text_nl) if language == "en" else self.text_nl


def snapshot(answer: ReadyAnswer) -> dict[str, Any]:
    return {"title": answer.title, "text_nl": answer.text_nl, "text_en": answer.text_en, "forms": answer.form_list,
            "group": answer.group.key if answer.group is not None else None, "active": bool(answer.active)}


def save_answer(answer: Optional[ReadyAnswer], *, title: str, text_nl: str, text_en: str, forms: list[str],
                group: str, active: bool, actor: str, user_id: Optional[int] = None) -> ReadyAnswer:
    """Create (answer None) or change a ready-made answer; raises InvalidInput naming every bad field."""
    errors: dict[str, list] = {}
    title, text_nl, text_en = (title or "").strip(), (text_nl or "").strip(), (text_en or "").strip()
    if not title:
        errors["title"] = [N_("Geef het antwoord een titel.")]
    elif len(title) > 200:
        errors["title"] = [N_("Een titel is hoogstens 200 tekens lang.")]
    if not text_nl:
        errors["text_nl"] = [N_("Schrijf de tekst van het antwoord.")]
    elif len(text_nl) > MAX_TEXT:
        errors["text_nl"] = [Phrase(N_("Hoogstens {count} tekens."), count=MAX_TEXT)]
    if len(text_en) > MAX_TEXT:
        errors["text_en"] = [Phrase(N_("Hoogstens {count} tekens."), count=MAX_TEXT)]
    chosen = [f for f in FORMS if f in forms]
    if not chosen or len(chosen) != len(set(forms)):
        errors["forms"] = [N_("Kies bij welke formulieren het antwoord hoort.")]
    handler_group = None
    if (group or "").strip():
        handler_group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == group.strip()))
        if handler_group is None or not handler_group.active:
            errors["group"] = [Phrase(N_("'{value}' is geen actieve groep."), value=group.strip())]
    if errors:
        raise InvalidInput(N_("Het antwoord is niet bewaard: verbeter de aangeduide velden."), errors)
    old = snapshot(answer) if answer is not None else None
    if answer is None:
        answer = ReadyAnswer()
        db.session.add(answer)
    answer.title, answer.text_nl, answer.text_en = title, text_nl, text_en or None
    answer.forms, answer.group, answer.active = " ".join(chosen), handler_group, active
    db.session.flush()
    new = snapshot(answer)
    if old is None:
        record_change("ready_answer", "create", title, actor=actor, user_id=user_id,
                      detail=f"Nieuw standaardantwoord {title}", data={"id": answer.id, "new": new})
    else:
        changed = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if changed:
            record_change("ready_answer", "update", title, actor=actor, user_id=user_id,
                          detail="Gewijzigd: " + ", ".join(changed),
                          data={"id": answer.id, "old": old, "new": new, "changed": changed})
    return answer


def all_answers() -> list[ReadyAnswer]:
    return list(db.session.scalars(select(ReadyAnswer).order_by(ReadyAnswer.title, ReadyAnswer.id)))


def answers_for(user: User, form: str, usable: Optional[list[ReadyAnswer]] = None) -> list[ReadyAnswer]:
    """The active answers `user` may use in `form`: those for everyone and those of the user's groups (from
    `usable`, when the caller already has `usable_answers(user)`)."""
    if form not in FORMS:
        return []
    return [a for a in (usable_answers(user) if usable is None else usable) if form in a.form_list]


def usable_answers(user: User) -> list[ReadyAnswer]:
    """The active answers for everyone and for the user's groups, in one statement."""
    query = select(ReadyAnswer).where(ReadyAnswer.active.is_(True))
    keys = user.group_keys
    if keys:
        mine = select(HandlerGroup.id).where(HandlerGroup.key.in_(keys)).scalar_subquery()
        query = query.where(or_(ReadyAnswer.group_id.is_(None), ReadyAnswer.group_id.in_(mine)))
    else:
        query = query.where(ReadyAnswer.group_id.is_(None))
    return list(db.session.scalars(query.order_by(ReadyAnswer.title, ReadyAnswer.id)))
