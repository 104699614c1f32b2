"""The forms of the melding's user tasks (property `form` on the BPMN element), as marshmallow schemas.

Every field is loaded with a default of None, so a field left out in a later loop round cannot keep
a stale value from an earlier one. Values stay JSON primitives: they become process data.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema
from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.workitems import form_case, form_case_id

from .actions import NO_GROUP, suggestion_usable
from .groups import group_by_key
from .merged_cases import normalise_reference, original_for
from .models import Category

TEXT = validate.Length(max=4000)


def _text(**kw) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=TEXT, **kw)


class TaskForm(Schema):
    class Meta:
        unknown = RAISE

    note = _text()


@registry.form("triage")
class TriageForm(TaskForm):
    """Meldkamer: dispatch to a group, refer elsewhere (public explanation) or mark as duplicate."""

    decision = fields.String(required=True, validate=validate.OneOf(["dispatch", "refer", "duplicate"]))
    group = fields.String(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    public_text = _text()
    duplicate_of = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def check_decision(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Everything the decision's service task would refuse is refused here, before the process runs:
        # a refusal there would leave a process error on the case instead of a message on the form.
        errors: dict[str, list[str]] = {}
        if data.get("category") and db.session.scalar(
                select(Category.id).where(Category.key == data["category"], Category.active.is_(True))) is None:
            errors["category"] = [Phrase(N_("Onbekende categorie '{value}'."), value=data["category"])]
        if data["decision"] == "dispatch":
            if data.get("group"):
                group = group_by_key(data["group"])
                if group is None or group.kind != "internal":
                    errors["group"] = [Phrase(N_("'{value}' is geen actieve behandelaarsgroep."), value=data["group"])]
            elif not suggestion_usable(form_case_id()):
                errors["group"] = [NO_GROUP]
        if data["decision"] == "refer" and not (data.get("public_text") or "").strip():
            errors["public_text"] = [N_("Leg de melder uit waar die wel terechtkan.")]
        if data["decision"] == "duplicate":
            try:
                original_for(form_case(), data.get("duplicate_of"))
            except InvalidInput as err:
                errors.update(err.fields)
        if errors:
            raise ValidationError(errors)

    @post_load
    def normalise_reference(self, data, **kwargs):
        if data.get("duplicate_of"):
            data["duplicate_of"] = normalise_reference(data["duplicate_of"])
        return data


@registry.form("take")
class TakeForm(TaskForm):
    """Handler group: take the case in handling (the reporter gets the 'in behandeling' mail)."""


@registry.form("handle")
class HandleForm(TaskForm):
    """Handler group: close, ask the reporter for information, order a contractor, or send back."""

    action = fields.String(required=True, validate=validate.OneOf(
        ["close", "request_info", "order_contractor", "send_back"]))
    public_text = _text()
    question = _text()
    contractor = fields.String(load_default=None, allow_none=True)
    instructions = _text()

    @validates_schema
    def check_action(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        action = data["action"]
        if action == "close" and not (data.get("public_text") or "").strip():
            errors["public_text"] = [N_("Schrijf de tekst die de melder bij het afsluiten leest.")]
        if action == "request_info" and not (data.get("question") or "").strip():
            errors["question"] = [N_("Schrijf de vraag aan de melder.")]
        if action == "order_contractor":
            group = group_by_key(data.get("contractor"))
            if group is None or group.kind != "external":
                errors["contractor"] = [N_("Kies een actieve aannemer.")]
        if action == "send_back" and not (data.get("note") or "").strip():
            errors["note"] = [N_("Zeg waarom de melding terug naar de meldkamer gaat.")]
        if errors:
            raise ValidationError(errors)


@registry.form("review_reopen")
class ReviewReopenForm(TaskForm):
    """Handler group: decide on a reopen request after negative feedback."""

    reopen = fields.Boolean(required=True)
    reason = _text()

    @validates_schema
    def check_reason(self, data, **kwargs):
        if not data["reopen"] and not (data.get("reason") or "").strip():
            raise ValidationError({"reason": [N_("Leg de melder uit waarom de melding gesloten blijft.")]})
