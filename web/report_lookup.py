"""What the map on the public report form asks while the citizen fills it in (web/static/report_map.js).

Three public JSON answers, each counted against a per-client rate and never a 500:
- GET /melden/adressen?q=...: up to five address suggestions for what was typed;
- GET /melden/adres?lat=..&lon=..: the address nearest a point and whether the point lies in the city;
- GET /melden/in-de-buurt?lat=..&lon=..&categorie=KEY: the open meldingen of that category near the point
  ("Is dit uw melding?"), with only what anyone may see: reference, public status, category, street, date
  and distance. Never another reporter's description, name, contact data, photos, tokens or links.

A geocoder that cannot answer gives an empty answer marked "unavailable": the form still sends what was typed.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.geometry import parse_coordinate, valid_point
from handlers.city_boundary import city_name, in_city
from handlers.geocoding import MAX_QUERY, GeocoderUnavailable, geocoder
from handlers.models import Category
from handlers.nearby import nearby_meldingen
from intake.rate_limit import Hit

from .i18n import current_language, translate, translate_plural
from .input_guard import UnstorableText
from .rate_limits import client, minutes, rate_limit_store
from .templating import local_time

log = logging.getLogger(__name__)

bp = Blueprint("report_lookup", __name__)

# Lookups per client: typing an address asks once per pause, so a citizen stays far below this.
LOOKUP_LIMIT = 300
LOOKUP_SECONDS = 600
MAX_SUGGESTIONS = 5
MAX_NEARBY = 10
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


@bp.after_request
def _headers(response):
    response.headers.update(HEADERS)
    return response


def _json(body: dict[str, Any], status: int = 200, headers: Optional[dict[str, str]] = None):
    return jsonify(body), status, headers or {}


@bp.errorhandler(UnstorableText)
def _unstorable(_err: UnstorableText):
    """A NUL character (or a lone surrogate) in the query: JSON the map can read, as every other refusal here."""
    return _json({"error": translate("Deze zoekopdracht bevat een teken dat we niet kunnen lezen (een nul-teken). "
                                     "Verwijder het en probeer opnieuw."), "items": []}, 400)


def _counted() -> Optional[tuple[Any, int, dict[str, str]]]:
    """None when this client may look up again; else the 429 answer."""
    hit: Hit = rate_limit_store().hit(f"lookup:{client()}", LOOKUP_LIMIT, LOOKUP_SECONDS)
    if hit.allowed:
        return None
    message = translate_plural("Te veel opzoekingen vanaf deze verbinding. Typ het adres gewoon in; over {count} "
                               "minuut kan de kaart weer zoeken.",
                               "Te veel opzoekingen vanaf deze verbinding. Typ het adres gewoon in; over {count} "
                               "minuten kan de kaart weer zoeken.", minutes(hit.retry_after))
    return _json({"error": message, "items": []}, 429, {"Retry-After": str(hit.retry_after)})


def _point() -> Optional[tuple[float, float]]:
    """(lat, lon) from the query string, or None when either is missing or no real coordinate."""
    lat = parse_coordinate(request.args.get("lat"))
    lon = parse_coordinate(request.args.get("lon"))
    if lat is None or lon is None or not valid_point(lat, lon):
        return None
    return lat, lon


def _bad_point():
    return _json({"error": translate("Deze plaats kunnen we niet lezen: geef een breedtegraad (tussen -90 en 90) en "
                                     "een lengtegraad (tussen -180 en 180).")}, 400)


def outside_message() -> str:
    """The Dutch sentence for a point outside the city, naming the city (as the intake's refusal does)."""
    return translate("Deze plaats ligt buiten {city}. Via dit meldpunt meldt u alleen problemen in {city}: "
                     "kies een plaats binnen de stippellijn op de kaart.", city=translate(city_name()))


@bp.get("/melden/adressen")
def suggestions():
    """Up to five addresses for the typed text: {"items": [...]} ("unavailable": true when the lookup failed)."""
    refused = _counted()
    if refused:
        return refused
    text = request.args.get("q", "").strip()
    if len(text) < 2 or len(text) > MAX_QUERY:
        return _json({"items": []})
    try:
        found = geocoder().search(text, limit=MAX_SUGGESTIONS)
    except GeocoderUnavailable as error:
        log.warning("address suggestions unavailable: %s", error)
        return _json({"items": [], "unavailable": True})
    return _json({"items": [address.as_json() for address in found[:MAX_SUGGESTIONS]]})


def _checked_point():
    """(the request's point, None), or (None, the answer that refuses it: the rate limit, bad coordinates)."""
    refused = _counted()
    if refused:
        return None, refused
    point = _point()
    if point is None:
        return None, _bad_point()
    return point, None


@bp.get("/melden/adres")
def nearest_address():
    """The address nearest the point, and whether the point lies inside the city (with why not)."""
    point, refused = _checked_point()
    if refused is not None:
        return refused
    if not in_city(*point):
        return _json({"address": None, "inside": False, "message": outside_message()})
    try:
        address = geocoder().reverse(*point)
    except GeocoderUnavailable as error:
        log.warning("reverse address lookup unavailable: %s", error)
        return _json({"address": None, "inside": True, "unavailable": True})
    return _json({"address": address.as_json() if address is not None else None, "inside": True})


def _category(key: str) -> Optional[Category]:
    if not key:
        return None
    return db.session.scalar(select(Category).where(Category.key == key, Category.active.is_(True),
                                                    Category.public.is_(True), Category.parent_id.is_not(None)))


class _Streets:
    """The street of each case's point, looked up once per answer; a geocoder that fails is not asked again."""

    def __init__(self) -> None:
        self.working = True

    def at(self, lat: float, lon: float) -> Optional[str]:
        if not self.working:
            return None
        try:
            address = geocoder().reverse(lat, lon)
        except GeocoderUnavailable as error:
            log.warning("street of a nearby melding unavailable: %s", error)
            self.working = False
            return None
        return address.street if address is not None else None


@bp.get("/melden/in-de-buurt")
def nearby():
    """Open meldingen of the category near the point: only public facts (see the module's docstring)."""
    point, refused = _checked_point()
    if refused is not None:
        return refused
    category = _category(request.args.get("categorie", "").strip()[:80])
    if category is None:  # "Ik vind mijn categorie niet", or a category that is gone: nothing to compare with
        return _json({"items": []})
    lang = current_language()
    streets = _Streets()
    items = []
    for near in nearby_meldingen(point[0], point[1], category=category, open_only=True, limit=MAX_NEARBY):
        case = near.case
        assert case.lat is not None and case.lon is not None  # nearby_meldingen only finds cases with a point
        items.append({"reference": case.reference, "status": case.status,
                      "status_label": statuses.label(case.status, lang, case.definition_id), "category": category.name,
                      "street": streets.at(case.lat, case.lon), "distance_m": round(near.distance_m),
                      "reported": local_time(case.created_at).strftime("%d/%m/%Y")})
    return _json({"items": items})
