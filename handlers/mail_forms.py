"""The forms of the infomail's user tasks (bpmn/infomail.bpmn), as marshmallow schemas.

As in handlers.forms, every field loads with a default of None so a later round of the same task
cannot keep a stale value, and values stay JSON primitives because they become process data.
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.i18n import N_, Phrase

from .forms import TaskForm
from .groups import group_by_key
from .models import Category

TEXT = validate.Length(max=10000)
MAX_ANSWER_DAYS = 60
# Staff read these next to the field, in the Dutch UI.
CHOOSE = N_("Kies wat er met de mail gebeurt.")
ANSWER = N_("Schrijf het antwoord dat de afzender krijgt.")
DAYS = Phrase(N_("Geef een aantal werkdagen van 1 tot {max}."), max=MAX_ANSWER_DAYS)


def _text(limit: validate.Length = TEXT) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=limit)


def _blank(value) -> bool:
    return not (value or "").strip()


@registry.form("mail_triage")
class MailTriageForm(TaskForm):
    """Onthaal: answer directly, turn into a melding, route to a group with a deadline, or close unanswered."""

    decision = fields.String(required=True, error_messages={"required": CHOOSE},
                             validate=validate.OneOf(["answer", "convert", "route", "no_answer"], error=CHOOSE))
    answer_text = _text()
    category = fields.String(load_default=None, allow_none=True)
    group = fields.String(load_default=None, allow_none=True)
    days = fields.Integer(load_default=None, allow_none=True, error_messages={"invalid": DAYS},
                          validate=validate.Range(min=1, max=MAX_ANSWER_DAYS, error=DAYS))
    reason = _text(validate.Length(max=4000))

    @validates_schema
    def check_decision(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        decision = data["decision"]
        if decision == "answer" and _blank(data.get("answer_text")):
            errors["answer_text"] = [ANSWER]
        if decision == "convert" and data.get("category") and db.session.scalar(
                select(Category.id).where(Category.key == data["category"], Category.active.is_(True))) is None:
            errors["category"] = [Phrase(N_("Onbekende categorie '{value}'."), value=data["category"])]
        if decision == "route":
            group = group_by_key(data.get("group"))
            if not data.get("group"):
                errors["group"] = [N_("Kies de behandelaarsgroep die antwoordt.")]
            elif group is None or group.kind != "internal":
                errors["group"] = [Phrase(N_("'{value}' is geen actieve behandelaarsgroep."), value=data["group"])]
        if decision == "no_answer" and _blank(data.get("reason")):
            errors["reason"] = [N_("Zeg waarom er geen antwoord nodig is (intern).")]
        if errors:
            raise ValidationError(errors)


@registry.form("mail_answer")
class MailAnswerForm(TaskForm):
    """Handler group: answer the sender, or send the mail back to the onthaal with a reason."""

    action = fields.String(required=True, error_messages={"required": CHOOSE},
                           validate=validate.OneOf(["answer", "send_back"], error=CHOOSE))
    answer_text = _text()
    reason = _text(validate.Length(max=4000))

    @validates_schema
    def check_action(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["action"] == "answer" and _blank(data.get("answer_text")):
            raise ValidationError({"answer_text": [ANSWER]})
        if data["action"] == "send_back" and _blank(data.get("reason")):
            raise ValidationError({"reason": [N_("Zeg waarom de mail terug naar het onthaal gaat.")]})
