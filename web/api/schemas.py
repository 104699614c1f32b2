"""Request and response schemas of the staff API (they also generate the OpenAPI document)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from engine.workitems import task_form_fields
from intake.melding_schema import LocationSchema, MeldingSchema, ReporterSchema


class Strict(Schema):
    class Meta:
        unknown = RAISE


# A new melding: the one schema every channel uses (intake/melding_schema.py).
LocationIn, ReporterIn, MeldingIn = LocationSchema, ReporterSchema, MeldingSchema


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
    # The form the process model declares for the task (`form` is then null): what POST .../complete takes.
    form_fields = fields.Method("_form_fields", metadata={
        "type": "array", "items": {"type": "object"},
        "description": "The fields the model declares for this task: name, type (text, longtext, choice, yesno, "
                       "date, number, file), label {nl, en}, required, choices [{value, label}]"})

    def _form_fields(self, item) -> list[dict]:
        return [{"name": d.name, "type": d.type, "label": d.label, "required": d.required,
                 "choices": [{"value": c.value, "label": c.label} for c in d.choices]}
                for d in task_form_fields(item)]


class CaseOut(Schema):
    reference = fields.String()
    kind = fields.String()
    channel = fields.String()
    status = fields.String()
    status_label = fields.String()
    description = fields.String(allow_none=True)  # null for the reporting role: it is the reporter's text
    # The reporter's own text when staff corrected the description (null: never corrected, or the reporting role).
    original_description = fields.String(allow_none=True)
    public_description = fields.String(allow_none=True)
    category = fields.String(attribute="category.key", allow_none=True)
    group = fields.String(attribute="group.key", allow_none=True)
    suggested_group = fields.String(attribute="suggested_group.key", allow_none=True)
    suggestion_reason = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    # true: the address or point was checked (address register, or a point inside the city); false: "adres
    # niet gecontroleerd" (the register did not know it or did not answer); null: no place given.
    location_checked = fields.Boolean(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    process = fields.String()
    error = fields.String(allow_none=True)
    reporter = fields.Dict(allow_none=True)
    timeline = fields.List(fields.Nested(EventOut))
    work_items = fields.List(fields.Nested(WorkItemOut))


class NearbyCaseOut(Schema):
    reference = fields.String(attribute="case.reference")
    distance_m = fields.Float(metadata={"description": "Metres from the given point (rounded to 0.1 m)"})
    status = fields.String(attribute="case.status")
    status_label = fields.String()
    category = fields.String(attribute="case.category.key", allow_none=True)
    address = fields.String(attribute="case.address", allow_none=True)
    lat = fields.Float(attribute="case.lat")
    lon = fields.Float(attribute="case.lon")
    created_at = fields.DateTime(attribute="case.created_at")


class NearbyPage(Schema):
    items = fields.List(fields.Nested(NearbyCaseOut), metadata={"description": "Nearest first"})


class LocationPatch(Strict):
    """A corrected location: the whole location is replaced (an address, a point, or both)."""

    address = fields.Raw(allow_none=True, metadata={"type": "string", "maxLength": 300})
    lat = fields.Raw(allow_none=True, metadata={"type": "number", "minimum": -90, "maximum": 90})
    lon = fields.Raw(allow_none=True, metadata={"type": "number", "minimum": -180, "maximum": 180})


class CaseCorrectionIn(Strict):
    """What staff correct on a case; give any of the three. A point must lie inside the city."""

    location = fields.Nested(LocationPatch, allow_none=True)
    category = fields.String(allow_none=True, metadata={"description": "A category key"})
    description = fields.Raw(allow_none=True, metadata={"type": "string", "minLength": 10, "maxLength": 5000})


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


# -- first-line contacts (issue #16): POST /api/v1/contacts, GET /api/v1/contacts -----------------------------------

class ContactReporterIn(Strict):
    """The citizen: an existing reporter by `id`, or their data (found again by e-mail address, else created)."""

    id = fields.Integer(allow_none=True, metadata={"description": "An existing reporter's id", "minimum": 1})
    name = fields.String(allow_none=True, metadata={"maxLength": 200})
    email = fields.String(allow_none=True, metadata={"maxLength": 254})
    phone = fields.String(allow_none=True, metadata={"maxLength": 30})
    language = fields.String(allow_none=True, metadata={"enum": ["nl", "en"]})


class ContactMeldingIn(Strict):
    """The melding a contact becomes (outcome "melding"); description and category default to the contact's."""

    description = fields.String(allow_none=True, metadata={"minLength": 10, "maxLength": 5000})
    category = fields.String(allow_none=True, metadata={"description": "A category key (default: the topic)"})
    location = fields.Nested(LocationIn, allow_none=True)


OUTCOME_NAMES = ["answered", "melding", "handover", "existing_case"]


class ContactIn(Strict):
    """A phone call or counter visit, and what happened with it."""

    channel = fields.String(required=True, metadata={"enum": ["web", "telefoon", "balie", "app", "mail", "brief",
                                                              "sociale_media"]})
    question = fields.String(required=True, metadata={"maxLength": 1000, "description": "In a few words"})
    topic = fields.String(required=True, metadata={"description": "A category key or a general topic's key "
                                                                  "(afval, parkeren, burgerzaken, ...)"})
    outcome = fields.String(required=True, metadata={"enum": OUTCOME_NAMES})
    answer = fields.String(allow_none=True, metadata={"description": "The answer given (required for answered)"})
    note = fields.String(allow_none=True, metadata={"description": "The warm-handover note, or the information "
                                                                   "for the existing case"})
    group = fields.String(allow_none=True, metadata={"description": "handover: the handler group's key"})
    deadline_days = fields.Integer(allow_none=True, metadata={"minimum": 1, "maximum": 60,
                                                              "description": "handover: working days to answer"})
    case = fields.String(allow_none=True, metadata={"description": "existing_case: the case's reference"})
    reporter = fields.Nested(ContactReporterIn, allow_none=True)
    anonymous = fields.Boolean(load_default=False)
    related_contact = fields.Integer(allow_none=True, metadata={
        "description": "The id of a colleague's registration of the same call (found by itself when the same "
                       "citizen was registered by someone else in the last 15 minutes)"})
    melding = fields.Nested(ContactMeldingIn, allow_none=True)


class ContactTopicOut(Schema):
    key = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": ["category", "general"]})


class ContactGroupOut(Schema):
    key = fields.String()
    name = fields.String()


class ContactCaseOut(Schema):
    reference = fields.String(allow_none=True)
    kind = fields.String()
    status = fields.String()


class ContactPersonOut(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ContactOut(Schema):
    id = fields.Integer()
    channel = fields.String()
    created_at = fields.String()
    question = fields.String(allow_none=True, metadata={"description": "null for a role without reporters' texts"})
    answer = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    topic = fields.Nested(ContactTopicOut)
    outcome = fields.String(metadata={"enum": OUTCOME_NAMES})
    outcome_label = fields.String()
    group = fields.Nested(ContactGroupOut, allow_none=True)
    case = fields.Nested(ContactCaseOut, allow_none=True)
    anonymous = fields.Boolean()
    reporter = fields.Nested(ContactPersonOut, allow_none=True,
                             metadata={"description": "null for a role without reporters' contact data"})
    taken_by = fields.String()
    related_contact = fields.Integer(allow_none=True)


class ContactCaseCreated(Schema):
    reference = fields.String(allow_none=True)
    status = fields.String()
    tracking_url = fields.String(allow_none=True)


class ContactCreated(Schema):
    contact = fields.Nested(ContactOut)
    case = fields.Nested(ContactCaseCreated, allow_none=True,
                         metadata={"description": "The case the contact made or joined (null when answered)"})


class ContactPage(Schema):
    items = fields.List(fields.Nested(ContactOut), metadata={"description": "Newest first"})
    link_candidates = fields.List(fields.Nested(ContactPersonOut), metadata={
        "description": "Other reporter rows that may be the same citizen (same name or phone, another e-mail "
                       "address): offered for linking, never merged"})
