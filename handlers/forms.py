"""The forms of the melding's user tasks (property `form` on the BPMN element), as marshmallow schemas.

Every field is loaded with a default of None, so a field left out in a later loop round cannot keep
a stale value from an earlier one. Values stay JSON primitives: they become process data.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.models import Case

from .groups import group_by_key
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
    def check_decision(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if data.get("category") and db.session.scalar(
                select(Category.id).where(Category.key == data["category"])) is None:
            errors["category"] = [f"unknown category '{data['category']}'"]
        if data["decision"] == "dispatch" and data.get("group"):
            group = group_by_key(data["group"])
            if group is None or group.kind != "internal":
                errors["group"] = [f"'{data['group']}' is not an active handler group"]
        if data["decision"] == "refer" and not (data.get("public_text") or "").strip():
            errors["public_text"] = ["explain to the reporter where to go instead"]
        if data["decision"] == "duplicate":
            ref = data.get("duplicate_of")
            if not ref:
                errors["duplicate_of"] = ["give the reference of the original case"]
            elif db.session.scalar(select(Case.id).where(Case.reference == ref)) is None:
                errors["duplicate_of"] = [f"no case with reference '{ref}'"]
        if errors:
            raise ValidationError(errors)


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
    def check_action(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        action = data["action"]
        if action == "close" and not (data.get("public_text") or "").strip():
            errors["public_text"] = ["write the closing text the reporter will read"]
        if action == "request_info" and not (data.get("question") or "").strip():
            errors["question"] = ["write the question for the reporter"]
        if action == "order_contractor":
            group = group_by_key(data.get("contractor"))
            if group is None or group.kind != "external":
                errors["contractor"] = ["choose an active external contractor"]
        if action == "send_back" and not (data.get("note") or "").strip():
            errors["note"] = ["say why the case goes back to the meldkamer"]
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
            raise ValidationError({"reason": ["explain to the reporter why the case stays closed"]})
