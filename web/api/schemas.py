"""Request and response schemas of the staff API (they also generate the OpenAPI document)."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from handlers.case_kinds import CHANNELS


def check_email(value: str) -> None:
    """Syntax check with email-validator (no DNS lookups: intake must not depend on the network)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as err:
        raise ValidationError(str(err)) from err


class Strict(Schema):
    class Meta:
        unknown = RAISE


class LocationIn(Strict):
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))

    @validates_schema
    def both_or_neither(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("give both lat and lon, or neither")


class ReporterIn(Strict):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=254), check_email])
    phone = fields.String(load_default=None, allow_none=True,
                          validate=validate.Regexp(r"^\+?[0-9 ()./-]{6,30}$", error="not a phone number"))
    language = fields.String(load_default="nl", validate=validate.OneOf(["nl", "en"]))


class MeldingIn(Strict):
    description = fields.String(required=True, validate=validate.Length(min=3, max=5000))
    category = fields.String(load_default=None, allow_none=True)
    location = fields.Nested(LocationIn, load_default=dict)
    reporter = fields.Nested(ReporterIn, load_default=dict)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class MeldingCreated(Schema):
    reference = fields.String()
    status = fields.String()
    tracking_url = fields.String()


class EventOut(Schema):
    at = fields.DateTime()
    kind = fields.String()
    actor = fields.String()
    public = fields.Boolean()
    status = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class WorkItemOut(Schema):
    id = fields.Integer()
    case = fields.String(attribute="case.reference")
    task = fields.String(attribute="task_name")
    title = fields.String()
    form = fields.String(attribute="form_key", allow_none=True)
    group = fields.String(attribute="group.key", allow_none=True)
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    assignee = fields.String(attribute="assignee.username", allow_none=True)
    # Why the work came back (reactie, aannemer, geen_reactie) until its assignee opens it or someone takes it.
    returned_reason = fields.String(allow_none=True)


class CaseOut(Schema):
    reference = fields.String()
    kind = fields.String()
    channel = fields.String()
    status = fields.String()
    status_label = fields.String()
    description = fields.String(allow_none=True)  # null for the reporting role: it is the reporter's text
    public_description = fields.String(allow_none=True)
    category = fields.String(attribute="category.key", allow_none=True)
    group = fields.String(attribute="group.key", allow_none=True)
    suggested_group = fields.String(attribute="suggested_group.key", allow_none=True)
    suggestion_reason = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    process = fields.String()
    error = fields.String(allow_none=True)
    reporter = fields.Dict(allow_none=True)
    timeline = fields.List(fields.Nested(EventOut))
    work_items = fields.List(fields.Nested(WorkItemOut))


class WorkItemPage(Schema):
    items = fields.List(fields.Nested(WorkItemOut))
    next_after = fields.Integer(allow_none=True)


class MessageIn(Strict):
    name = fields.String(required=True, validate=validate.OneOf(
        ["reporter_reaction", "contractor_report", "feedback"]))
    payload = fields.Dict(required=True)


class OutboxOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    recipient = fields.String()
    recipient_kind = fields.String()
    template = fields.String()
    language = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    data = fields.Dict()


class Error(Schema):
    error = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields")
