"""Staff correct a case's location, category or description (the case page's form, PATCH /api/v1/cases/<ref>).

Who may: the meldkamer, the members of the case's handling group and admins (the "case.correct" row of
handlers/permission_table.py). The same checks as a new melding (intake/melding_schema.py): an address of at
most 300 characters, latitude and longitude both or neither, a real point, inside the city's boundary
(handlers/city_boundary.py); a description of 10 to 5000 characters; a category that exists. A location
replaces the whole location; an address without a point gets the point of exactly that street and number
from the address register when it knows it (else the case has no point and its address counts as "niet
gecontroleerd").

Every change is one internal event "corrected" on the timeline: who, the old value and the new value (in
its note and in its data). The reporter's own text is kept in Case.original_description when the
description is first changed. A category change runs the routing suggestion again (handlers/routing.py);
when it suggests another group than the one handling the case and that group has open work on it, the
work moves to the suggested group (as a handover does) with a note on the timeline.

A value equal to the current one is no change: nothing is checked or written for it, so a form that is
sent with everything filled in changes only what was edited.
"""
from __future__ import annotations

import math
from typing import Any, Optional

from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.errors import InvalidInput
from engine.geometry import valid_point
from engine.i18n import N_, Phrase
from engine.locking import lock_case
from engine.models import Case, CaseEvent, WorkItem
from engine.registry import ServiceContext
from engine.runtime import commit_or_explain
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .actions import usable_suggestion
from .city_boundary import city_name, in_city
from .locations import locate
from .models import Category, User
from .permissions import require
from .privacy import CaseScrub, on_anonymise_case, on_export_case, scrub_text
from .routing import RoutingSample, record_suggestion

MIN_DESCRIPTION, MAX_DESCRIPTION, MAX_ADDRESS = 10, 5000, 300  # as intake/melding_schema.py
EVENT = "corrected"
FIELD_WORDS = {"location": "Locatie", "category": "Categorie", "description": "Omschrijving"}


def _number(value: Any) -> Optional[float]:
    """A coordinate as given (a number, or text with a point or comma); None when empty; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if not value:
            return None
        if len(value) > 40:
            raise ValueError(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def checked_location(location: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """(address, lat, lon) as stored, and the field errors (Dutch) of the location."""
    errors: dict[str, list] = {}
    address = location.get("address")
    if address is not None and not isinstance(address, str):
        errors["address"] = [N_("Geef tekst.")]
        address = None
    address = (address or "").strip() or None
    if address is not None and len(address) > MAX_ADDRESS:
        errors["address"] = [Phrase(N_("Het adres is te lang (maximaal {count} tekens)."), count=MAX_ADDRESS)]
    point: dict[str, Optional[float]] = {}
    for name, label, limit, example in (("lat", N_("breedtegraad"), 90, "51,0278"),
                                        ("lon", N_("lengtegraad"), 180, "4,4777")):
        try:
            point[name] = _number(location.get(name))
        except (TypeError, ValueError, OverflowError):
            errors[name] = [Phrase(N_("Geef een getal, bijvoorbeeld {example}."), example=example)]
            point[name] = None
            continue
        value = point[name]
        if value is not None and abs(value) > limit:
            errors[name] = [Phrase(N_("De {label} ligt tussen -{limit} en {limit}."), label=Phrase(label),
                                   limit=limit)]
    lat, lon = point["lat"], point["lon"]
    if not errors and (lat is None) != (lon is None):
        errors["lon" if lon is None else "lat"] = [
            N_("Geef breedtegraad en lengtegraad allebei, of laat ze allebei leeg.")]
    if not errors and lat is not None and lon is not None:
        if not valid_point(lat, lon):
            errors["lat"] = [N_("Dit punt bestaat niet.")]
        elif not in_city(lat, lon):
            errors["lat"] = [Phrase(N_("Deze plaats ligt buiten {city}. Via dit meldpunt meldt u alleen problemen in "
                                       "{city}."), city=city_name())]  # as intake/melding_schema.py says it
    if not errors and address is None and lat is None:
        errors["address"] = [N_("Vul het adres of de plaats in waar het probleem is.")]
    return {"address": address, "lat": lat, "lon": lon}, errors


def checked_description(description: Any) -> tuple[Optional[str], list]:
    if not isinstance(description, str):
        return None, [N_("Geef tekst.")]
    text = description.strip()
    if not text:
        return None, [N_("Beschrijf het probleem.")]
    if len(text) < MIN_DESCRIPTION:
        return None, [Phrase(N_("Beschrijf het probleem in minstens {count} tekens."), count=MIN_DESCRIPTION)]
    if len(text) > MAX_DESCRIPTION:
        return None, [Phrase(N_("De beschrijving is te lang: {count} tekens, maximaal {max} tekens."),
                             count=len(text), max=MAX_DESCRIPTION)]
    return text, []


def _same_point(a: Optional[float], b: Optional[float]) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-7


def location_label(address: Optional[str], lat: Optional[float], lon: Optional[float]) -> str:
    """How a location reads on the timeline: "Bruul 12, 2800 Mechelen (51.02716, 4.47781)"."""
    point = f"({lat:.5f}, {lon:.5f})" if lat is not None and lon is not None else ""
    return " ".join(part for part in (address or "", point) if part) or "–"


def _category_label(category: Optional[Category]) -> str:
    if category is None:
        return "–"
    return f"{category.parent.name} › {category.name}" if category.parent is not None else category.name


def correct(case: Case, user: User, location: Optional[dict[str, Any]] = None, category: Optional[str] = None,
            description: Optional[str] = None) -> Case:
    """Correct what is given (None: leave it); Forbidden for a role that may not, InvalidInput with Dutch field
    errors ("location" holds the address/lat/lon errors), Conflict when someone changed the case meanwhile."""
    require(user, "case.correct", case, "only the meldkamer, the handling group and admins correct a case")
    errors: dict[str, Any] = {}
    new_place: Optional[dict[str, Any]] = None
    if location is not None and not isinstance(location, dict):
        errors["location"] = [N_("Geef een adres, of breedtegraad en lengtegraad.")]
    elif location is not None:
        place, problems = checked_location(location)
        if not problems:  # completed as at intake: a point gets its address, an address its point (if known)
            where = locate(place)
            place.update(address=where.address, lat=where.lat, lon=where.lon, checked=where.checked)
        unchanged = not problems and place.get("address") == case.address and \
            _same_point(place.get("lat"), case.lat) and _same_point(place.get("lon"), case.lon)
        if problems:
            errors["location"] = problems
        elif not unchanged:
            new_place = place
    new_category: Optional[Category] = None
    if category is not None:
        key = category.strip() if isinstance(category, str) else ""
        found = db.session.scalar(select(Category).where(Category.key == key)) if key else None
        if found is None:
            errors["category"] = [Phrase(N_("Onbekende categorie '{value}'."), value=str(category)[:80])
                                  if key else N_("Kies een categorie.")]
        elif found.id != case.category_id:
            new_category = found
    new_description: Optional[str] = None
    if description is not None:
        text, wrong = checked_description(description)
        if wrong:
            errors["description"] = wrong
        elif text != (case.description or ""):
            new_description = text
    if errors:
        raise InvalidInput("the correction has errors", errors)
    if new_place is None and new_category is None and new_description is None:
        return case  # nothing changed: nothing to write

    case = lock_case(case.id)
    actor, user_id = user.display_name, user.id
    if new_place is not None:
        old: dict[str, Any] = {"address": case.address, "lat": case.lat, "lon": case.lon}
        checked = new_place.pop("checked")
        case.address, case.lat, case.lon = new_place["address"], new_place["lat"], new_place["lon"]
        # False: an address the register did not know or could not check now ("adres niet gecontroleerd").
        case.location_checked = checked
        add_event(case, EVENT, actor=actor, user_id=user_id,
                  note=f"Locatie gecorrigeerd: {location_label(old['address'], old['lat'], old['lon'])} → "
                       f"{location_label(new_place['address'], new_place['lat'], new_place['lon'])}",
                  data={"field": "location", "old": old, "new": new_place})
    if new_description is not None:
        old_text = case.description or ""
        if case.original_description is None:
            case.original_description = old_text  # the reporter's own words, kept once
        case.description = new_description
        add_event(case, EVENT, actor=actor, user_id=user_id,
                  note=f"Omschrijving gecorrigeerd: \u201c{old_text}\u201d → \u201c{new_description}\u201d",
                  data={"field": "description", "old": old_text, "new": new_description})
    if new_category is not None:
        old_category = case.category
        case.category = new_category
        add_event(case, EVENT, actor=actor, user_id=user_id,
                  note=f"Categorie gecorrigeerd: {_category_label(old_category)} → {_category_label(new_category)}",
                  data={"field": "category", "old": old_category.key if old_category is not None else None,
                        "new": new_category.key})
        _route_again(case, user)
    commit_or_explain(case.id)
    return case


def _route_again(case: Case, user: User) -> None:
    """Suggest a group for the new category; move the handling group's open work when the suggestion differs."""
    ctx = ServiceContext(case=case, data={}, task_name="correct", now=utcnow(), actor=user.display_name,
                         user_id=user.id)
    record_suggestion(ctx, RoutingSample.from_case(case))
    source, target = case.group, usable_suggestion(case)
    if source is None or target is None or target.id == source.id:
        return  # still at the meldkamer (triage shows the new suggestion), or the same group
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open",
                                                      WorkItem.group_id == source.id)).all()
    if not items:
        return  # no open work in the old group's queue: nothing to move
    case.group = target
    for item in items:
        item.group_id, item.assignee_id = target.id, None
    titles = ", ".join(item.title for item in items)
    note = (f"Na de correctie van de categorie ging het open werk ({titles}) van {source.name} naar "
            f"{target.name} (voorstel: {case.suggestion_reason or target.name}).")
    add_event(case, "moved", actor=user.display_name, user_id=user.id, note=note,
              data={"from": source.key, "to": target.key, "work_items": [item.id for item in items]})
    if target.email:
        queue_mail(case, target.email, "overdracht", recipient_kind="medewerker",
                   data={"from_group": source.name, "note": note, "by": user.display_name})


# -- privacy: the reporter's original text is theirs as much as the description is (handlers/privacy.py) ---------


@on_anonymise_case
def scrub_corrections(scrub: CaseScrub) -> int:
    """Scrub the kept original text and the old and new descriptions in the correction events, as the
    description itself is scrubbed (e-mail addresses, phone numbers, the reporter's name)."""
    case, names, changed = scrub.case, tuple(scrub.names), 0
    original = scrub_text(case.original_description, names)
    if original != case.original_description:
        case.original_description, changed = original, changed + 1
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == EVENT)):
        data = dict(event.data or {})
        if data.get("field") != "description":
            continue
        cleaned = {**data, **{key: scrub_text(data.get(key), names) for key in ("old", "new")
                              if isinstance(data.get(key), str)}}
        if cleaned != data:
            event.data, changed = cleaned, changed + 1
    return changed


@on_export_case
def export_original_description(case: Case) -> dict[str, Any]:
    """The reporter's own text in their data export, when staff corrected the description."""
    return {"original_description": case.original_description} if case.original_description is not None else {}
