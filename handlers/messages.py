"""Payloads of the BPMN messages a waiting melding accepts, as marshmallow schemas.

Registered as forms named `message:<name>`, so every way in (staff API, contractor portal, feedback
page) validates a payload the same way before it becomes process data.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from engine import registry


class _Payload(Schema):
    class Meta:
        unknown = RAISE


@registry.form("message:reporter_reaction")
class ReporterReaction(_Payload):
    """The reporter's answer to a question from the handler group."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


@registry.form("message:contractor_report")
class ContractorReport(_Payload):
    """A contractor reports: planned (with a date), done, or refused (with a reason)."""

    result = fields.String(required=True, validate=validate.OneOf(["planned", "done", "refused"]))
    planned_for = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))

    @validates_schema
    def check(self, data, **kwargs):
        if data["result"] == "planned" and data.get("planned_for") is None:
            raise ValidationError({"planned_for": ["give the planned date"]})
        if data["result"] == "refused" and not (data.get("note") or "").strip():
            raise ValidationError({"note": ["give the reason for refusing"]})

    def load(self, *args, **kwargs):  # dates travel as ISO strings in process data
        data = super().load(*args, **kwargs)
        if data.get("planned_for") is not None:
            data["planned_for"] = data["planned_for"].isoformat()
        return data


@registry.form("message:feedback")
class Feedback(_Payload):
    """The reporter's answer to 'are you satisfied with how your melding was handled?'."""

    satisfied = fields.Boolean(required=True)
    answer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    # Set when the answer is a merged melding's reporter's (handlers/feedback_giving.py): recorded without a name.
    from_duplicate = fields.Boolean(load_default=False)


MESSAGE_NAMES = ("reporter_reaction", "contractor_report", "feedback")
