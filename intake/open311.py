"""Open311 GeoReport v2 on top of the case engine: services, service definitions and service requests.

A service is an active sub category (service_code = category key); a service request is a melding case
(service_request_id = case reference). Creating a request needs an api_key: the key of an Open311 client
app (intake/open311_keys.py), sent in the POST body; every request names the app on its timeline.

Reading is public and shows only what the city chose to publish: category, status, staff's public texts
(status_notes), the place, the dates, the description staff wrote for the public (`public_description`;
empty: none) and photos staff published (under an unguessable token). Never what the reporter typed or
sent as such: their text can hold their name, phone number or e-mail address.

The extra questions of a service (Open311 "attributes") are defined here per category; the answers are
kept in the case description under "Extra informatie:" because the case has no column for them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Optional, cast, overload

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine import statuses
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from engine.timeline import add_event
from handlers.city_boundary import SOME_CITY
from handlers.models import Category
from handlers.privacy import scrub_text
from handlers.reporter_view import reporter_names

from .melding_schema import MeldingSchema, problems
from .meldingen import register_melding
from .open311_keys import Open311Key, app_for_key

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00Z"
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
STATUS_EVENTS = {"status", "created"}  # timeline entries that only word the new status

# Extra questions per service (category key), in the GeoReport v2 ServiceAttribute shape.
ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "straatlamp-defect": [
        {"variable": True, "code": "paalnummer", "datatype": "string", "required": False,
         "datatype_description": "Het nummer op de paal, bv. 12345", "order": 1,
         "description": "Paalnummer (sticker of plaatje op de lichtpaal), als u het ziet"},
    ],
    "sluikstort": [
        {"variable": True, "code": "soort_afval", "datatype": "singlevaluelist", "required": True,
         "datatype_description": "Kies één soort", "order": 1, "description": "Wat voor afval ligt er?",
         "values": [{"key": "huisvuil", "name": "Vuilniszakken of huisvuil"},
                    {"key": "grofvuil", "name": "Grofvuil (matras, meubels)"},
                    {"key": "bouwafval", "name": "Bouw- of sloopafval"},
                    {"key": "gevaarlijk", "name": "Gevaarlijk afval (asbest, chemicaliën, olie)"},
                    {"key": "andere", "name": "Iets anders"}]},
    ],
    "vuilbak-vol": [
        {"variable": True, "code": "aantal_vuilbakken", "datatype": "number", "required": False,
         "datatype_description": "Een getal", "order": 1, "description": "Hoeveel vuilbakken zijn vol?"},
    ],
}
MAX_ATTRIBUTE_LENGTH = {"string": 200, "text": 2000}


class Open311Error(Exception):
    """An error to answer in the GeoReport v2 error format (code and description)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _bad(description: str) -> Open311Error:
    return Open311Error(400, description)


# ---------------------------------------------------------------- formatting

@overload
def w3c(value: datetime) -> str: ...
@overload
def w3c(value: Optional[datetime]) -> Optional[str]: ...
def w3c(value: Optional[datetime]) -> Optional[str]:
    """A timestamp in the W3C format the spec uses, in UTC: 2026-03-01T09:30:00Z."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _keywords(synonyms: str) -> str:
    words = [w.strip() for w in re.split(r",|\s+", synonyms or "") if w.strip()]
    return ", ".join(dict.fromkeys(words))


# ---------------------------------------------------------------- discovery and services

def discovery(base_url: str) -> dict[str, Any]:
    """The discovery document: one production endpoint in both formats."""
    return {"changeset": CHANGESET, "contact": "Meldpunt van de stad",
            "key_service": "Elke app krijgt een eigen api_key: vraag ze aan bij de beheerder van Meldpunt. "
                           "Stuur de api_key mee in de POST body (een formulierveld), nooit in de URL.",
            "endpoints": [{"specification": SPECIFICATION, "url": base_url.rstrip("/"), "changeset": CHANGESET,
                           "type": "production", "formats": ["text/xml", "application/json"]}]}


def _active_services() -> list[Category]:
    return list(db.session.scalars(select(Category).options(joinedload(Category.parent))
                                   .where(Category.parent_id.is_not(None), Category.active.is_(True),
                                          Category.public.is_(True))
                                   .order_by(Category.id)))


def service_dict(category: Category) -> dict[str, Any]:
    main = category.parent.name if category.parent else None
    return {"service_code": category.key, "service_name": category.name,
            "description": f"{category.name} ({main}); afhandeling binnen {category.deadline_days} werkdagen"
                           if main else category.name,
            "metadata": bool(ATTRIBUTES.get(category.key)), "type": "realtime",
            "keywords": _keywords(category.synonyms), "group": main}


def services() -> list[dict[str, Any]]:
    """Every active sub category as a GeoReport service."""
    return [service_dict(c) for c in _active_services()]


def find_service(code: Optional[str]) -> Category:
    """The active sub category with this key, or a 404."""
    category = None
    if code and "\x00" not in code and len(code) <= 80:
        category = db.session.scalar(select(Category)
                                     .options(joinedload(Category.parent), joinedload(Category.default_group))
                                     .where(Category.key == code, Category.parent_id.is_not(None),
                                            Category.active.is_(True), Category.public.is_(True)))
    if category is None:
        raise Open311Error(404, f"unknown service_code '{code}'" if code else "unknown service_code")
    return category


def service_definition(code: str) -> dict[str, Any]:
    """The attributes (extra questions) of one service."""
    category = find_service(code)
    return {"service_code": category.key, "attributes": [dict(a) for a in ATTRIBUTES.get(category.key, [])]}


# ---------------------------------------------------------------- creating a request

def app_for_api_key(api_key: Optional[str]) -> Open311Key:
    """The Open311 app whose active key this is, or a 403 (staff API tokens are no Open311 keys)."""
    app = app_for_key(api_key)
    if app is None:
        raise Open311Error(403, "invalid api_key: send the key of your Open311 app (the city's Meldpunt "
                                "administrator gives each app its own)")
    return app


ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def parse_attributes(category: Category, form: Any) -> list[tuple[str, str]]:
    """Validate `attribute[code]` (and `attribute[code][]` for multivaluelist) answers against the service
    definition; returns (question, answer) pairs in the definition's order."""
    definition = {a["code"]: a for a in ATTRIBUTES.get(category.key, [])}
    given: dict[str, list[str]] = {}
    for key in form.keys():
        match = ATTRIBUTE_KEY.match(key)
        if not match:
            continue  # a bare `attribute` (no code) carries nothing we can use
        code = match.group(1)
        if code not in definition:
            raise _bad(f"attribute[{code}]: service '{category.key}' has no attribute '{code}'")
        values = [v.strip() for v in form.getlist(key) if v.strip()]
        given.setdefault(code, []).extend(values)
    answers = []
    for code, attr in sorted(definition.items(), key=lambda item: item[1].get("order", 0)):
        values = given.get(code, [])
        if not values:
            if attr["required"]:
                raise _bad(f"attribute[{code}] is required for service '{category.key}'")
            continue
        datatype = attr["datatype"]
        if datatype != "multivaluelist" and len(values) > 1:
            raise _bad(f"attribute[{code}] takes one value")
        if datatype in ("singlevaluelist", "multivaluelist"):
            names = {v["key"]: v["name"] for v in attr.get("values", [])}
            unknown = [v for v in values if v not in names]
            if unknown:
                raise _bad(f"attribute[{code}]: '{unknown[0]}' is not one of {', '.join(names)}")
            answer = ", ".join(names[v] for v in values)
        elif datatype == "number":
            try:
                number = float(values[0].replace(",", "."))
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise _bad(f"attribute[{code}] must be a number")
            answer = values[0]
        elif datatype == "datetime":
            answer = w3c(_parse_datetime(values[0], f"attribute[{code}]"))
        else:
            limit = MAX_ATTRIBUTE_LENGTH.get(datatype, 200)
            if len(values[0]) > limit:
                raise _bad(f"attribute[{code}] is longer than {limit} characters")
            answer = values[0]
        answers.append((attr["description"], answer))
    return answers


def _text(form: Any, name: str, limit: int) -> Optional[str]:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise _bad(f"{name} is longer than {limit} characters")
    return value or None


# Open311's names for the fields of the melding schema, and its English wording of the schema's problems.
OPEN311_FIELDS = {("description",): "description", ("location", "address"): "address_string",
                  ("location", "lat"): "lat", ("location", "lon"): "long", ("reporter", "name"): "first_name and "
                  "last_name", ("reporter", "email"): "email", ("reporter", "phone"): "phone"}
OPEN311_WORDING = {
    "required": "{field} is required",
    "too_short": "{field} is shorter than {limit} characters",
    "too_long": "{field} is longer than {limit} characters",
    "number": "{field} must be a number (WGS-84 degrees)",
    "range": "{field} must be between -{limit} and {limit}",
    "pair": "send lat and long together",
    "place": "a location is required: lat and long, or address_string",
    "email": "email is not a valid e-mail address",
    "phone": "phone is not a phone number: use digits, spaces and + ( ) . / -",
    "letters": "{field} is not an address: it has no letters (send a street and house number)",
    "outside": "lat and long lie outside {city}: this service takes requests within {city} only",
}


def checked_melding(form: Any, name: Optional[str]) -> dict[str, Any]:
    """The melding's fields checked by the one melding schema (description optional), or a 400 in English."""
    raw = {"channel": "app", "location": {"address": form.get("address_string") or "", "lat": form.get("lat") or "",
                                          "lon": form.get("long") or ""},
           "reporter": {"name": name or "", "email": form.get("email") or "", "phone": form.get("phone") or ""}}
    if (form.get("description") or "").strip():
        raw["description"] = form.get("description")
    try:
        return MeldingSchema(require_location=True).load(raw, partial=("description",))
    except ValidationError as err:
        path, problem = problems(err.messages)[0]
        field = OPEN311_FIELDS.get(path, ".".join(path))
        wording = OPEN311_WORDING.get(getattr(problem, "code", ""), "{field}: {problem}")
        params = dict(getattr(problem, "params", {}))
        if params.get("city") == SOME_CITY:
            params["city"] = "the city"
        raise _bad(wording.format(field=field, problem=problem, **params)) from None


def _check_inputs(form: Any) -> None:
    for key in form.keys():
        if "\x00" in key or any("\x00" in v for v in form.getlist(key)):
            raise _bad(f"{key or 'a parameter'} contains a NUL character")


def create_request(form: Any, api_key: Optional[str]) -> dict[str, Any]:
    """Register a melding from a GeoReport POST (form fields as in the spec); returns the RequestResponse."""
    app = app_for_api_key(api_key)
    _check_inputs(form)
    code = (form.get("service_code") or "").strip()
    if not code:
        raise _bad("service_code is required")
    category = find_service(code)
    address_given = bool((form.get("address_string") or "").strip() or (form.get("lat") or "").strip()
                         or (form.get("long") or "").strip())
    if not address_given and (form.get("address_id") or "").strip():
        raise _bad("address_id is not supported here; send lat and long or address_string")
    name = " ".join(p for p in (_text(form, "first_name", 100), _text(form, "last_name", 100)) if p) or None
    melding = checked_melding(form, name)
    contact = melding["reporter"]
    if not (contact.get("email") or contact.get("phone")) and not category.allow_anonymous:
        # Without contact data the melding is anonymous (nobody hears of it again); this service needs a way back.
        raise _bad("this service does not take anonymous requests: send email or phone")
    media_url = _text(form, "media_url", 1000)
    if media_url and not re.match(r"^https?://[^\s/]+\S*$", media_url):
        raise _bad("media_url must be an http(s) URL")
    answers = parse_attributes(category, form)

    text = melding.get("description") or category.name
    if answers:
        text += "\n\nExtra informatie:\n" + "\n".join(f"- {q}: {a}" for q, a in answers)
    if media_url:
        text += f"\n\nFoto of media (link van de melder, niet opgehaald): {media_url}"
    actor = f"Open311-app {app.name}"
    reporter = melding["reporter"]
    case = register_melding(description=text, channel="app", category=category.key, location=melding["location"],
                            reporter={"name": reporter["name"], "email": reporter["email"], "phone": reporter["phone"]},
                            actor=actor, commit=False)
    add_event(case, "open311_app", actor=actor, note=f"via {actor}", data={"app": app.name, "key_id": app.id})
    app.last_used_at = utcnow()
    db.session.commit()
    notice = (f"Uw melding is geregistreerd als {case.reference}. "
              f"We streven ernaar ze binnen {category.deadline_days} werkdagen af te handelen.")
    return {"service_request_id": case.reference, "service_notice": notice, "account_id": None}


# ---------------------------------------------------------------- reading requests

def _parse_datetime(raw: str, name: str) -> datetime:
    value = raw.strip()
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in "zZ" and value else value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _bad(f"{name} must be a W3C date and time such as 2026-01-31T00:00:00Z") from None


def _csv(args: Any, name: str) -> list[str]:
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _date_range(args: Any) -> tuple[datetime, Optional[datetime]]:
    start = _parse_datetime(args["start_date"], "start_date") if args.get("start_date") else None
    end = _parse_datetime(args["end_date"], "end_date") if args.get("end_date") else None
    try:
        if start and end:
            if end < start:
                raise _bad("end_date is before start_date")
            if end - start > DEFAULT_SPAN:
                raise _bad("start_date and end_date may not span more than 90 days")
            return start, end
        if start:
            return start, start + DEFAULT_SPAN
        if end:
            return end - DEFAULT_SPAN, end
    except OverflowError:
        raise _bad("start_date or end_date is out of range") from None
    return utcnow() - DEFAULT_SPAN, None


def _visible() -> Any:
    """Cases Open311 shows: meldingen with a service (category)."""
    return select(Case).options(joinedload(Case.category), joinedload(Case.group), joinedload(Case.reporter)).where(
        Case.kind == "melding", Case.category_id.is_not(None), Case.reference.is_not(None))


def find_requests(args: Any) -> list[dict[str, Any]]:
    """GET /requests: service_request_id (overrides all else), service_code, start_date, end_date, status;
    by default the last 90 days, newest first, at most 1000."""
    _check_inputs(args)
    ids = _csv(args, "service_request_id")
    query = _visible()
    if ids:
        query = query.where(Case.reference.in_([i for i in ids if len(i) <= 30][:MAX_RESULTS]))
    else:
        codes = _csv(args, "service_code")
        if codes:
            query = query.where(Case.category_id.in_(
                select(Category.id).where(Category.key.in_([c for c in codes if len(c) <= 80]))))
        wanted = set(_csv(args, "status"))
        if wanted - {"open", "closed"}:
            raise _bad("status must be open or closed (comma separated)")
        if wanted == {"open"}:
            query = query.where(Case.status.not_in(statuses.CLOSED))
        elif wanted == {"closed"}:
            query = query.where(Case.status.in_(statuses.CLOSED))
        start, end = _date_range(args)
        query = query.where(Case.created_at >= start)
        if end is not None:
            query = query.where(Case.created_at <= end)
    cases = list(db.session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_RESULTS)))
    return request_dicts(cases)


def find_request(reference: str) -> dict[str, Any]:
    """GET /requests/<id>: one request, or a 404."""
    case = None
    if reference and len(reference) <= 30 and "\x00" not in reference:
        case = db.session.scalar(_visible().where(Case.reference == reference))
    if case is None:
        raise Open311Error(404, f"no service request '{reference}'")
    return request_dicts([case])[0]


def public_photo(reference: str, token: str) -> CaseFile:
    """A photo staff published of a visible case, by its public token (the target of media_url), or a 404."""
    photo = None
    if reference and token and len(reference) <= 30 and len(token) <= 64:
        photo = db.session.scalar(select(CaseFile).join(Case, Case.id == CaseFile.case_id).where(
            Case.reference == reference, Case.kind == "melding", CaseFile.public_token == token,
            CaseFile.public.is_(True), CaseFile.content_type.like("image/%")))
    if photo is None:
        raise Open311Error(404, "no such public photo")
    return photo


def _latest_public_texts(case_ids: Iterable[int]) -> dict[int, str]:
    """Per case, the latest public explanation (e.g. the closing text) when no further status change came
    after the one it explains; otherwise the wording of the latest status."""
    timeline: dict[int, list[tuple[str, str]]] = {}
    rows = db.session.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.text).where(
        CaseEvent.case_id.in_(list(case_ids)), CaseEvent.public.is_(True), CaseEvent.text.is_not(None),
        CaseEvent.text != "").order_by(CaseEvent.id))
    for case_id, kind, text in rows:
        timeline.setdefault(case_id, []).append((kind, text))
    notes = {}
    for case_id, events in timeline.items():
        note = events[-1][1]
        status_changes_after = 0
        for kind, text in reversed(events):
            if kind in STATUS_EVENTS:
                status_changes_after += 1
                if status_changes_after > 1:
                    break
            else:
                note = text
                break
        notes[case_id] = note
    return notes


def _first_public_photos(case_ids: Iterable[int]) -> dict[int, str]:
    """Per case, the public token of its first published photo."""
    photos: dict[int, str] = {}
    rows = db.session.execute(select(CaseFile.case_id, CaseFile.public_token).where(
        CaseFile.case_id.in_(list(case_ids)), CaseFile.public.is_(True), CaseFile.content_type.like("image/%"))
        .order_by(CaseFile.id))
    for case_id, token in rows:
        photos.setdefault(case_id, token)
    return photos


def media_path(reference: str, token: str) -> str:
    return f"/requests/{reference}/media/{token}"


def request_dicts(cases: list[Case]) -> list[dict[str, Any]]:
    """GeoReport Request objects with only what the city publishes: never the reporter's own text or data,
    internal notes or unpublished files."""
    ids = [c.id for c in cases]
    notes = _latest_public_texts(ids) if ids else {}
    photos = _first_public_photos(ids) if ids else {}
    result = []
    for case in cases:
        # Staff write public texts to the reporter and sometimes greet them by name: never in the feed.
        names = reporter_names(case)
        closed = case.status in statuses.CLOSED
        updated = (case.closed_at or case.updated_at) if closed else case.updated_at
        result.append({
            "service_request_id": case.reference,
            "status": "closed" if closed else "open",
            "status_notes": scrub_text(notes.get(case.id), names),
            "service_name": case.category.name,
            "service_code": case.category.key,
            "description": scrub_text(case.public_description, names),  # staff's text; None: no element
            "agency_responsible": case.group.name if case.group else None,
            "service_notice": None,
            "requested_datetime": w3c(case.created_at),
            "updated_datetime": w3c(updated),
            "expected_datetime": w3c(case.deadline_at),
            "address": case.address,
            "lat": case.lat,
            "long": case.lon,
            "media_url": media_path(cast(str, case.reference), photos[case.id]) if case.id in photos else None,
        })
    return result
