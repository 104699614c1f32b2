"""The OpenAPI 3 document of the staff API, generated from the marshmallow schemas."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from . import bp
from .idempotent import HEADER, MAX_LENGTH, REPLAYED
from .schemas import (
    CaseCorrectionIn,
    CaseOut,
    ContactCreated,
    ContactIn,
    ContactPage,
    Error,
    LocationIn,
    MeldingCreated,
    MeldingIn,
    MessageIn,
    NearbyPage,
    OutboxOut,
    ReporterIn,
    WorkItemPage,
)


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _errors(*codes: int) -> dict:
    """The documented error answers; every operation can also answer 400 (a query parameter out of range, or
    text no database can store: NUL, a lone surrogate) and 503 (the database cannot be reached right now)."""
    words = {400: "Bad request: the body is not JSON, a parameter is out of range, or text holds a NUL character",
             401: "Missing or invalid API token", 403: "Not allowed for your role or group", 404: "Not found",
             409: "No longer open, or changed by someone else", 422: "Field errors",
             503: "The database cannot be reached right now; retry after the Retry-After header's seconds"}
    answers = {str(code): {"description": words[code], **_json("Error")} for code in sorted({*codes, 400, 503})}
    answers["503"]["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again",
                                                 "schema": {"type": "integer"}}}
    return answers


BIGINT_MAX = 2**63 - 1


IDEMPOTENCY_KEY = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "A unique value the client chooses per melding (a UUID, say). The same key with the same body "
                   "from the same API user within 24 hours gives the first answer again (the same reference) "
                   "and makes no second case; the same key with another body is refused (422). Keys are per "
                   "API user; failed requests keep no key. At most 255 visible ASCII characters."}


@lru_cache(maxsize=1)
def build_spec() -> dict:
    """Build the document once; it only changes with the code."""
    spec = APISpec(title="Meldpunt staff API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Register meldingen, follow cases and work the queues. Every call needs "
                                        "`Authorization: Bearer <token>` (see `meldpunt user add --token`)."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    # Nested schemas first, so the plugin refers to them instead of registering them again.
    for name, schema in [("LocationIn", LocationIn), ("ReporterIn", ReporterIn), ("MeldingIn", MeldingIn),
                         ("MeldingCreated", MeldingCreated), ("Case", CaseOut), ("WorkItemPage", WorkItemPage),
                         ("MessageIn", MessageIn), ("OutboxMessage", OutboxOut), ("Error", Error),
                         ("NearbyPage", NearbyPage), ("CaseCorrectionIn", CaseCorrectionIn)]:
        spec.components.schema(name, schema=schema)
    ref = {"in": "path", "name": "reference", "required": True,
           "schema": {"type": "string", "pattern": "^[A-Z][0-9]{4}-[0-9]{6,}$", "example": "M2026-000042"}}
    spec.path("/api/v1/meldingen", operations={"post": {
        "summary": "Register a melding", "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {"required": True, **_json("MeldingIn")},
        "responses": {"201": {"description": "Created (or, for a repeated Idempotency-Key, the first answer again)",
                              "headers": {REPLAYED: {"description": "`true` when this is the answer kept for an "
                                                                    "earlier request with the same Idempotency-Key",
                                                     "schema": {"type": "string", "enum": ["true"]}}},
                              **_json("MeldingCreated")},
                      **_errors(400, 401, 403),
                      "422": {"description": "Field errors, or the Idempotency-Key was used before with another body",
                              **_json("Error")}}}})
    spec.path("/api/v1/cases/nearby", operations={"get": {
        "summary": "Open and recently closed meldingen near a point, nearest first",
        "description": "Meldingen (not duplicates of another) within `radius` metres of the point, reported in "
                       "the last `days` days, still open or closed within those days. A handler sees only the "
                       "cases of their own groups; the reporting role has no access (403). A parameter out of "
                       "range or unknown is a 422 naming it in `fields`.",
        "parameters": [
            {"in": "query", "name": "lat", "required": True,
             "schema": {"type": "number", "minimum": -90, "maximum": 90}, "description": "Latitude (WGS84)"},
            {"in": "query", "name": "lon", "required": True,
             "schema": {"type": "number", "minimum": -180, "maximum": 180}, "description": "Longitude (WGS84)"},
            {"in": "query", "name": "radius", "schema": {"type": "number", "minimum": 1, "maximum": 1000},
             "description": "Metres; default MELDPUNT_NEARBY_METRES (50)"},
            {"in": "query", "name": "category", "schema": {"type": "string"},
             "description": "A category key: only meldingen of that category"},
            {"in": "query", "name": "days", "schema": {"type": "integer", "minimum": 1, "maximum": 3660},
             "description": "How far back; default the category's own number, else MELDPUNT_NEARBY_DAYS (84)"},
            {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                        "default": 20}}],
        "responses": {"200": {"description": "The meldingen, nearest first", **_json("NearbyPage")},
                      **_errors(401, 403, 422)}}})
    spec.path("/api/v1/cases/{reference}", operations={
        "get": {"summary": "A case with status, timeline and open work items", "parameters": [ref],
                "responses": {"200": {"description": "The case", **_json("Case")}, **_errors(401, 403, 404)}},
        "patch": {
            "summary": "Correct a case's location, category or description",
            "description": "For the meldkamer, the case's handling group and admins. Every change is an event on "
                           "the timeline (who, old value, new value); the reporter's own text is kept as "
                           "`original_description`. A location replaces the whole location; a point must lie "
                           "inside the city. A new category runs the routing suggestion again and moves the "
                           "handling group's open work to the suggested group, with a note on the timeline.",
            "parameters": [ref], "requestBody": {"required": True, **_json("CaseCorrectionIn")},
            "responses": {"200": {"description": "The case", **_json("Case")},
                          **_errors(400, 401, 403, 404, 409, 422)}}})
    spec.path("/api/v1/cases/{reference}/messages", operations={"post": {
        "summary": "Deliver a message the case waits for",
        "description": "Only messages that are staff's to send. The reporter's reaction and feedback and the "
                       "contractor's report come through their own channels (reply mail, feedback link, contractor "
                       "portal) and are refused here with 403.", "parameters": [ref],
        "requestBody": {"required": True, **_json("MessageIn")},
        "responses": {"200": {"description": "The case", **_json("Case")}, **_errors(400, 401, 403, 404, 409, 422)}}})
    spec.path("/api/v1/work-items", operations={"get": {
        "summary": "A queue of work items (keyset pagination)",
        "parameters": [{"in": "query", "name": "group", "schema": {"type": "string"}},
                       {"in": "query", "name": "status", "schema": {"type": "string",
                                                                    "enum": ["open", "completed", "cancelled"]}},
                       {"in": "query", "name": "after", "schema": {"type": "integer", "format": "int64", "minimum": 0,
                                                                   "maximum": BIGINT_MAX}},
                       {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 0,
                                                                   "maximum": BIGINT_MAX}}],
        "responses": {"200": {"description": "One page", **_json("WorkItemPage")}, **_errors(401, 403, 422)}}})
    spec.path("/api/v1/work-items/{id}/complete", operations={"post": {
        "summary": "Complete a work item with its form data",
        "description": "The fields of the work item's built-in `form`, or of the form its process model declares "
                       "(`form_fields`): text at most 2000 characters, longtext at most 10000, choice one of the "
                       "values, yesno a boolean, date an ISO date, number a finite number, file the id of a file "
                       "of the case; a refused field is named in the 422 answer's `fields`.",
        "parameters": [{"in": "path", "name": "id", "required": True,
                        "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "The case", **_json("Case")},
                      **_errors(400, 401, 403, 404, 409, 422)}}})
    spec.path("/api/v1/outbox", operations={"get": {
        "summary": "Outbox rows (admin)", "parameters": [{"in": "query", "name": "status", "schema": {
            "type": "string", "enum": ["pending", "sent", "failed"]}}],
        "responses": {"200": {"description": "Rows", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/OutboxMessage"}}}}}, **_errors(401, 403, 422)}}})
    spec.path("/api/v1/processes/{key}/versions/{version}/move", operations={"post": {
        "summary": "Move running cases to this version of their process (admin)",
        "description": "Checks every running case of the other versions of the process (or of `from`, or only "
                       "the `references` given) and, unless `dry_run`, moves the movable ones: a case moves only "
                       "when every task it waits on exists in this version as the same kind of step, and every "
                       "step it went through too. Each moved case gets an internal timeline event and a row in "
                       "the administration log. The answer has a verdict per case, with the reasons in Dutch.",
        "parameters": [{"in": "path", "name": "key", "required": True, "schema": {"type": "string"}},
                       {"in": "path", "name": "version", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "properties": {
                "references": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 30},
                               "maxItems": 1000},
                "dry_run": {"type": "boolean", "default": False},
                "from": {"type": "integer", "minimum": 1}}}}}},
        "responses": {"200": {"description": "The report per case", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "process": {"type": "string"}, "to": {"type": "string"}, "dry_run": {"type": "boolean"},
                "moved": {"type": "integer"},
                "cases": {"type": "array", "items": {"type": "object", "properties": {
                    "reference": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
                    "status": {"type": "string"}, "movable": {"type": "boolean"}, "moved": {"type": "boolean"},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "codes": {"type": "array", "items": {"type": "string"}}}}}}}}}},
                      **_errors(400, 401, 403, 404, 422)}}})
    _category_paths(spec)
    _process_paths(spec)
    _contact_paths(spec)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


CATEGORY_FIELDS = {
    "name": {"type": "string", "maxLength": 200},
    "parent": {"type": "string", "nullable": True, "description": "The main category's key; empty or null: a main "
                                                                   "category (never a sub category's key)"},
    "synonyms": {"type": "string", "maxLength": 4000, "description": "Search words, used by the public search at "
                                                                     "once"},
    "default_group": {"type": "string", "nullable": True, "description": "Key of an active handler group"},
    "deadline_days": {"type": "integer", "minimum": 1, "maximum": 365, "description": "Working days"},
    "duplicate_days": {"type": "integer", "minimum": 1, "maximum": 730, "nullable": True,
                       "description": "How far back \"Is dit uw melding?\" looks; null: MELDPUNT_NEARBY_DAYS"},
    "public": {"type": "boolean", "description": "Offered on the public form, search and Open311; staff can always "
                                                 "choose it"},
    "active": {"type": "boolean"},
    "allow_anonymous": {"type": "boolean", "description": "Citizens may report without any contact data (the public "
                                                          "form and Open311); default true"}}


def _category_paths(spec: APISpec) -> None:
    """GET/POST /api/v1/categories and PATCH /api/v1/categories/{key} (admin)."""
    category = {"type": "object", "properties": {"id": {"type": "integer"}, "key": {"type": "string"},
                                                 **CATEGORY_FIELDS}}
    spec.components.schema("Category", category)
    spec.components.schema("CategoryIn", {"type": "object", "additionalProperties": False, "properties": {
        "key": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$",
                "description": "Only when creating; default made from the name. Never changes."}, **CATEGORY_FIELDS}})
    one = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}}
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CategoryIn"}}}}
    spec.path("/api/v1/categories", operations={
        "get": {"summary": "Every category (admin)", "responses": {"200": {"description": "Main categories, each "
                                                                                          "followed by its subs",
                                                                           "content": {"application/json": {
                                                                               "schema": {"type": "array", "items": {
                                                                                   "$ref": "#/components/schemas/"
                                                                                           "Category"}}}}},
                                                                   **_errors(401, 403)}},
        "post": {"summary": "Create a category (admin; audited)", "requestBody": body,
                 "responses": {"201": {"description": "Created", **one}, **_errors(401, 403, 422)}}})
    spec.path("/api/v1/categories/{key}", operations={"patch": {
        "summary": "Change a category (admin; audited); fields left out stay as they are",
        "parameters": [{"in": "path", "name": "key", "required": True, "schema": {"type": "string"}}],
        "requestBody": body, "responses": {"200": {"description": "The category", **one},
                                           **_errors(401, 403, 404, 422)}}})
PROBLEM = {"type": "object", "properties": {
    "element_id": {"type": "string", "nullable": True, "description": "The BPMN element's id"},
    "element_name": {"type": "string", "nullable": True, "description": "The element's name, as the diagram shows it"},
    "line": {"type": "integer", "nullable": True, "description": "The line in the file"},
    "message": {"type": "string", "description": "What is wrong (Dutch)"}}}
PROCESS_VERSION = {"type": "object", "properties": {
    "version": {"type": "integer"}, "deployed_at": {"type": "string", "format": "date-time"},
    "deployed_by": {"type": "string", "nullable": True},
    "origin": {"type": "string", "enum": ["shipped", "city"], "description": "Shipped with Meldpunt or the city's"},
    "filename": {"type": "string"}, "sha256": {"type": "string"},
    "cases": {"type": "integer", "description": "Cases on this version"},
    "active": {"type": "boolean", "description": "New cases start on this version"},
    "download_url": {"type": "string", "description": "The staff page's download (a logged-in admin)"},
    "xml_url": {"type": "string", "description": "The XML through this API (GET, with the token)"}}}
PROCESS = {"type": "object", "properties": {
    "key": {"type": "string"}, "active_version": {"type": "integer", "nullable": True},
    "chosen_by_city": {"type": "boolean", "description": "The city deployed or chose the version in use: seeding "
                                                          "never replaces it with a shipped model"},
    "versions": {"type": "array", "items": {"$ref": "#/components/schemas/ProcessVersion"}}}}
MODEL_BODY = {"required": True, "description": "The BPMN file as the body (at most 5 MB), or JSON {\"xml\": \"...\"}",
              "content": {"application/xml": {"schema": {"type": "string"}},
                          "application/json": {"schema": {"type": "object", "required": ["xml"],
                                                          "properties": {"xml": {"type": "string"}}}}}}


def _process_paths(spec: APISpec) -> None:
    """Process models (admin): list, check, deploy, choose the version in use."""
    spec.components.schema("ProcessProblem", PROBLEM)
    spec.components.schema("ProcessVersion", PROCESS_VERSION)
    spec.components.schema("Process", PROCESS)
    check_answer = {"type": "object", "properties": {"ok": {"type": "boolean"}, "problems": {
        "type": "array", "items": {"$ref": "#/components/schemas/ProcessProblem"}}}}
    refused = {"description": "The model was refused; nothing was stored. `problems` lists every problem",
               "content": {"application/json": {"schema": {"type": "object", "properties": {
                   "error": {"type": "string"}, "message": {"type": "string"}, "ok": {"type": "boolean"},
                   "problems": {"type": "array", "items": {"$ref": "#/components/schemas/ProcessProblem"}},
                   "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {
                       "type": "string"}}}}}}}}
    key = {"in": "path", "name": "key", "required": True, "schema": {"type": "string"}, "example": "melding"}
    spec.path("/api/v1/processes", operations={
        "get": {"summary": "Every process with its versions, the version in use, origin and case counts (admin)",
                "responses": {"200": {"description": "The processes", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Process"}}}}},
                    **_errors(401, 403)}},
        "post": {"summary": "Check and deploy a BPMN model as the version new cases start on (admin)",
                 "description": "Every deploy is in the administration log. Running cases stay on their version.",
                 "parameters": [{"in": "query", "name": "key", "schema": {"type": "string"},
                                 "description": "Refuse the model unless it holds this process"},
                                {"in": "query", "name": "filename", "schema": {"type": "string", "maxLength": 255}}],
                 "requestBody": MODEL_BODY,
                 "responses": {"201": {"description": "Deployed and in use", "content": {"application/json": {
                     "schema": {"type": "object", "properties": {
                         "ok": {"type": "boolean"}, "created": {"type": "boolean"}, "key": {"type": "string"},
                         "version": {"type": "integer"}, "url": {"type": "string"},
                         "process": {"$ref": "#/components/schemas/Process"}}}}}},
                               "200": {"description": "The same model was already in use; nothing new stored",
                                       "content": {"application/json": {"schema": {"type": "object"}}}},
                               **_errors(400, 401, 403), "422": refused}}})
    spec.path("/api/v1/processes/{key}/check", operations={"post": {
        "summary": "Every problem that would stop this model's deploy; never deploys (admin)",
        "parameters": [key], "requestBody": MODEL_BODY,
        "responses": {"200": {"description": "ok, and the problems (element id, name, line, message)",
                              "content": {"application/json": {"schema": check_answer}}},
                      **_errors(400, 401, 403, 422)}}})
    spec.path("/api/v1/processes/{key}/versions/{version}", operations={"get": {
        "summary": "The XML of one stored version, byte for byte as deployed (admin)",
        "parameters": [key, {"in": "path", "name": "version", "required": True,
                             "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
        "responses": {"200": {"description": "The BPMN file", "content": {"application/xml": {"schema": {
            "type": "string"}}}}, **_errors(401, 403, 404)}}})
    spec.path("/api/v1/processes/{key}/versions/{version}/activate", operations={"post": {
        "summary": "Make a stored version the one new cases start on, without a new deploy (admin)",
        "parameters": [key, {"in": "path", "name": "version", "required": True,
                             "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
        "responses": {"200": {"description": "The process", **_json("Process")}, **_errors(401, 403, 404)}}})


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of this API."""
    return jsonify(build_spec())


def _contact_paths(spec: APISpec) -> None:
    """POST and GET /api/v1/contacts: the first line's phone calls and counter visits (issue #16)."""
    for name, schema in [("ContactIn", ContactIn), ("ContactCreated", ContactCreated), ("ContactPage", ContactPage)]:
        spec.components.schema(name, schema=schema)
    spec.path("/api/v1/contacts", operations={
        "post": {
            "summary": "Register a phone call or counter visit (onthaal, meldkamer, admin)",
            "description": "Every contact is counted. `outcome` says what happened: `answered` (give `answer`), "
                           "`melding` (a melding with the contact's channel, reporter, `melding.location`; "
                           "description and category default to the question and the topic; the receipt mail goes "
                           "when the reporter has an e-mail address), `handover` (give `group`: a case in that "
                           "group's queue with an answer deadline and the `note`; the group sees who took the call) "
                           "or `existing_case` (give `case`: the note goes on its timeline). A second registration "
                           "of the same citizen by another colleague within 15 minutes is linked to the first "
                           "(`related_contact`); both are kept. Field errors are a 422 with Dutch messages.",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {"required": True, **_json("ContactIn")},
            "responses": {"201": {"description": "Registered (or, for a repeated Idempotency-Key, the first answer "
                                                 "again)", **_json("ContactCreated")},
                          **_errors(400, 401, 403),
                          "422": {"description": "Field errors, or the Idempotency-Key was used before with another "
                                                 "body", **_json("Error")}}},
        "get": {
            "summary": "A citizen's contacts, or the newest contacts",
            "description": "With `reporter` (a reporter id or e-mail address): that citizen's contacts, also those "
                           "under reporter rows staff linked to them, and the rows that may be the same citizen "
                           "(`link_candidates`, for roles that see contact data). A handler group sees only the "
                           "contacts handed over to it or added to its cases; the reporting role has no access.",
            "parameters": [
                {"in": "query", "name": "reporter", "schema": {"type": "string", "maxLength": 254},
                 "description": "A reporter id or e-mail address"},
                {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                            "default": 20}}],
            "responses": {"200": {"description": "Newest first", **_json("ContactPage")},
                          **_errors(401, 403, 422)}}})
