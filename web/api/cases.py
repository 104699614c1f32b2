"""Cases in the staff API: register a melding, read a case, deliver a message to it."""
from __future__ import annotations

import math
from typing import Optional

from flask import g, jsonify, request
from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.geometry import valid_point
from engine.messages import deliver_message
from engine.models import Case, CaseEvent, WorkItem
from engine.timeline import events_of
from engine.workitems import validate_form
from handlers.case_corrections import correct
from handlers.merged_cases import normalise_reference
from handlers.message_senders import refusal_for_staff
from handlers.models import Category
from handlers.nearby import MAX_DAYS, MAX_RADIUS_M, days_for, nearby_meldingen
from handlers.permissions import ALL, may, require, scope
from handlers.reporter_view import EventView, reporter_names, without_reporter_data
from intake.meldingen import register_melding
from notifications.outbox import tracking_url

from . import bp
from .auth import token_required
from .common import json_body, load
from .idempotent import answer_once
from .schemas import CaseCorrectionIn, CaseOut, MeldingCreated, MeldingIn, MessageIn, NearbyPage

# Which messages staff may send at all: handlers/message_senders.py; who may send them: handlers/permissions.py.


def case_by_reference(reference: str) -> Case:
    """The case with this reference (typed in any case) or 404."""
    case = db.session.scalar(select(Case).where(Case.reference == normalise_reference(reference)))
    if case is None:
        raise NotFound(f"no case with reference '{reference}'")
    return case


def case_view(case: Case, user) -> dict:
    """The case as the user may see it: contact data and internal notes by role."""
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open")
                               .order_by(WorkItem.id))
    reporter = None
    if case.reporter is not None and may(user, "case.see_contact", case):
        reporter = {"name": case.reporter.name, "email": case.reporter.email, "phone": case.reporter.phone}
    shown = {name: getattr(case, name) for name in CaseOut().fields if hasattr(Case, name)}
    events = events_of(case.id)
    timeline: list[CaseEvent] | list[EventView] = events
    if not may(user, "reporter_data.see"):  # the reporting role: facts and course only
        shown |= {"description": None, "suggestion_reason": None, "original_description": None}
        timeline = without_reporter_data(events, reporter_names(case))
    shown |= {
        "status_label": statuses.label(case.status, definition_id=case.definition_id), "reporter": reporter,
        "timeline": timeline,
        "work_items": list(items), "process": f"{case.definition.key} v{case.definition.version}",
        "category": case.category, "group": case.group, "suggested_group": case.suggested_group}
    return CaseOut().dump(shown)


@bp.post("/v1/meldingen")
@token_required
def create_melding():
    """Register a melding taken by phone, at the desk or from another system; starts its process."""
    require(g.user, "melding.register")
    raw = json_body()
    data = load(MeldingIn(), raw)

    def create(commit: bool):
        case = register_melding(description=data["description"], channel=data["channel"],
                                category=data["category"], location=data["location"], reporter=data["reporter"],
                                actor=g.user.display_name, user_id=g.user.id, commit=commit)
        body = MeldingCreated().dump({"reference": case.reference, "status": case.status,
                                      "tracking_url": tracking_url(case)})
        return body, 201, {"Location": f"/api/v1/cases/{case.reference}"}

    return answer_once(g.user.id, "meldingen", raw, create)  # once per Idempotency-Key (web/api/idempotent.py)


@bp.get("/v1/cases/<reference>")
@token_required
def get_case(reference: str):
    """A case with its status, timeline and open work items."""
    case = case_by_reference(reference)
    require(g.user, "case.see", case, "this case belongs to another group")
    return jsonify(case_view(case, g.user))


@bp.post("/v1/cases/<reference>/messages")
@token_required
def post_message(reference: str):
    """Deliver a message the case waits for, when it is staff's to send (the reporter's and contractor's are not)."""
    require(g.user, "message.deliver")
    case = case_by_reference(reference)
    require(g.user, "message.deliver", case, "this case belongs to another group")
    data = load(MessageIn(), json_body())
    refused = refusal_for_staff(data["name"])
    if refused:
        raise Forbidden(refused)
    payload = validate_form(f"message:{data['name']}", data["payload"])
    case = deliver_message(case.id, data["name"], payload, actor=g.user.display_name, user_id=g.user.id)
    return jsonify(case_view(case, g.user))


NEARBY_LIMIT, NEARBY_DEFAULT = 100, 20


def _number_arg(name: str, errors: dict, low: float, high: float, required: bool = False,
                whole: bool = False) -> Optional[float]:
    """A numeric query parameter within [low, high] (None when left out); a problem goes into `errors`."""
    raw = request.args.get(name)
    if raw is None:
        if required:
            errors[name] = ["required"]
        return None
    try:
        value = float(raw.strip()) if len(raw) <= 40 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (whole and value != int(value)):
        errors[name] = ["a whole number" if whole else "a number"]
        return None
    if not low <= value <= high:
        errors[name] = [f"between {low:g} and {high:g}"]
        return None
    return value


@bp.get("/v1/cases/nearby")
@token_required
def nearby_cases():
    """Open and recently closed meldingen near a point, nearest first; a handler sees only their groups' cases."""
    require(g.user, "case.nearby")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(request.args) - {"lat", "lon", "radius", "category", "days", "limit"})
    for name in unknown:
        errors[name] = ["unknown parameter"]
    lat = _number_arg("lat", errors, -90, 90, required=True)
    lon = _number_arg("lon", errors, -180, 180, required=True)
    radius = _number_arg("radius", errors, 1, MAX_RADIUS_M)
    days = _number_arg("days", errors, 1, MAX_DAYS, whole=True)
    limit = _number_arg("limit", errors, 1, NEARBY_LIMIT, whole=True)
    category = None
    key = request.args.get("category")
    if key is not None:
        category = db.session.scalar(select(Category).where(Category.key == key.strip())) if key.strip() else None
        if category is None:
            errors["category"] = [f"no category '{key[:80]}'"]
    if lat is not None and lon is not None and not valid_point(lat, lon):
        errors["lat"] = ["not a point on earth"]
    if errors:
        raise InvalidInput("the query has errors", errors)
    assert lat is not None and lon is not None  # else errors held them
    groups = None if scope(g.user, "case.nearby") == ALL else [grp.id for grp in g.user.groups]
    found = nearby_meldingen(lat, lon, radius_m=radius, category=category,
                             days=int(days) if days is not None else days_for(category), group_ids=groups,
                             limit=int(limit) if limit is not None else NEARBY_DEFAULT)
    items = [{"case": n.case, "distance_m": round(n.distance_m, 1),
              "status_label": statuses.label(n.case.status, definition_id=n.case.definition_id)} for n in found]
    return jsonify(NearbyPage().dump({"items": items}))


@bp.patch("/v1/cases/<reference>")
@token_required
def correct_case(reference: str):
    """Correct a case's location, category or description; every change is an event on its timeline."""
    require(g.user, "case.correct")
    case = case_by_reference(reference)
    require(g.user, "case.correct", case, "this case belongs to another group")
    data = load(CaseCorrectionIn(), json_body())
    given = {name: data[name] for name in ("location", "category", "description") if data.get(name) is not None}
    if not given:
        raise InvalidInput("nothing to correct", {"_schema": ["give location, category or description"]})
    case = correct(case, g.user, **given)
    return jsonify(case_view(case, g.user))
