"""GET /api/v1/cases/nearby: open and recently closed meldingen near a point, nearest first, scoped like the
queues (a handler sees only their groups' cases), with its parameters checked (a JSON error naming the field)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.clock import utcnow
from engine.db import db
from engine.geometry import METRES_PER_DEGREE_LAT
from engine.models import Case
from handlers.models import User

LAT, LON = 51.0257, 4.4776  # the centre of Mechelen


def north(metres: float) -> dict:
    return {"lat": LAT + metres / METRES_PER_DEGREE_LAT, "lon": LON}


def at(staff, metres: float, category: str = "straatlamp-defect", dispatch: bool = False) -> str:
    ref = staff.meldkamer.file_melding(f"Melding op {metres} meter van het midden", category=category,
                                       location={"address": "Bruul 12, 2800 Mechelen", **north(metres)})["reference"]
    if dispatch:
        staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    return ref


def change(reference: str, **values) -> None:
    db.session.execute(update(Case).where(Case.reference == reference).values(**values))
    db.session.commit()


def nearby(actor, **params):
    query = {"lat": LAT, "lon": LON, **params}
    return actor.get("/api/v1/cases/nearby", query_string=query)


def references(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["reference"] for item in response.get_json()["items"]]


def test_nearest_first_within_the_radius_with_what_a_list_needs(staff):
    far, near, middle = at(staff, 45), at(staff, 5), at(staff, 20)
    outside = at(staff, 70)
    assert references(nearby(staff.meldkamer)) == [near, middle, far]  # the default radius: 50 m
    assert references(nearby(staff.meldkamer, radius=25)) == [near, middle]
    assert references(nearby(staff.meldkamer, radius=100)) == [near, middle, far, outside]
    first = nearby(staff.meldkamer).get_json()["items"][0]
    assert set(first) >= {"reference", "distance_m", "status", "category", "address", "lat", "lon", "created_at"}
    assert abs(first["distance_m"] - 5) < 0.2 and first["status"] == "ontvangen"
    assert first["category"] == "straatlamp-defect" and first["address"] == "Bruul 12, 2800 Mechelen"


def test_category_and_days(staff):
    lamp, tile = at(staff, 10), at(staff, 15, category="voetpad-losse-tegel")
    old = at(staff, 20)
    change(old, created_at=utcnow() - timedelta(days=100))
    assert references(nearby(staff.meldkamer)) == [lamp, tile]  # 84 days back by default
    assert references(nearby(staff.meldkamer, category="voetpad-losse-tegel")) == [tile]
    assert references(nearby(staff.meldkamer, days=120)) == [lamp, tile, old]
    change(lamp, created_at=utcnow() - timedelta(days=3))
    assert references(nearby(staff.meldkamer, days=2)) == [tile]


def test_open_and_recently_closed_but_not_long_closed_nor_duplicates(staff):
    recent, long_ago, open_one = at(staff, 10), at(staff, 20), at(staff, 30)
    change(recent, status="afgesloten", closed_at=utcnow() - timedelta(days=5))
    change(long_ago, status="afgesloten", closed_at=utcnow() - timedelta(days=90),
           created_at=utcnow() - timedelta(days=100))
    duplicate = at(staff, 12)
    staff.meldkamer.complete(duplicate, "triage", {"decision": "duplicate", "duplicate_of": open_one})
    assert references(nearby(staff.meldkamer)) == [recent, open_one]
    assert references(nearby(staff.meldkamer, days=365)) == [recent, long_ago, open_one]


def test_a_handler_sees_only_the_cases_of_their_groups(staff):
    lamp = at(staff, 10, dispatch=True)  # onderhoud openbaar domein
    litter = at(staff, 15, category="sluikstort", dispatch=True)  # openbare netheid
    waiting = at(staff, 20)  # at the meldkamer: no group yet
    assert references(nearby(staff.meldkamer)) == [lamp, litter, waiting]
    assert references(nearby(staff.admin)) == [lamp, litter, waiting]
    assert references(nearby(staff.ood)) == [lamp]
    assert references(nearby(staff.ood_lead)) == [lamp]
    assert references(nearby(staff.netheid)) == [litter]


def test_the_reporting_role_and_strangers_have_no_access(staff, client):
    at(staff, 10)
    user = User(username="rita", display_name="Rita", role="rapportage", email="rita@stad.example")
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    refused = client.get("/api/v1/cases/nearby", query_string={"lat": LAT, "lon": LON},
                         headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "Forbidden"
    assert client.get("/api/v1/cases/nearby", query_string={"lat": LAT, "lon": LON}).status_code == 401


@pytest.mark.parametrize(("params", "field"), [
    ({"lat": None}, "lat"), ({"lon": None}, "lon"), ({"lat": "abc"}, "lat"), ({"lat": "91"}, "lat"),
    ({"lon": "-181"}, "lon"), ({"lat": "NaN"}, "lat"), ({"lon": "inf"}, "lon"), ({"lat": "1" * 500}, "lat"),
    ({"radius": "0"}, "radius"), ({"radius": "1001"}, "radius"), ({"radius": "veel"}, "radius"),
    ({"days": "0"}, "days"), ({"days": "3661"}, "days"), ({"days": "1.5"}, "days"),
    ({"category": "bestaat-niet"}, "category"), ({"category": ""}, "category"), ({"straal": "5"}, "straal"),
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit")])
def test_bad_input_is_a_json_error_naming_the_field(staff, params, field):
    query = {"lat": str(LAT), "lon": str(LON), **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = staff.meldkamer.get("/api/v1/cases/nearby", query_string=query)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert field in response.get_json()["fields"]


def test_the_limits_of_the_parameters_are_accepted(staff):
    ref = at(staff, 10)
    assert references(nearby(staff.meldkamer, radius=1000, days=3660, limit=100)) == [ref]
    assert references(nearby(staff.meldkamer, radius=1, days=1, limit=1)) == []


def test_documented_in_openapi(client):
    document = client.get("/api/openapi.json").get_json()
    get = document["paths"]["/api/v1/cases/nearby"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"lat", "lon", "radius", "category", "days"}
    radius = next(p for p in get["parameters"] if p["name"] == "radius")
    assert (radius["schema"]["minimum"], radius["schema"]["maximum"]) == (1, 1000)
    assert "NearbyPage" in document["components"]["schemas"]
    item = document["components"]["schemas"]["NearbyCaseOut"]["properties"]
    assert {"reference", "distance_m", "status", "category", "address", "lat", "lon", "created_at"} <= set(item)
    patch = document["paths"]["/api/v1/cases/{reference}"]["patch"]
    assert {"200", "403", "404", "422"} <= set(patch["responses"])
    body = document["components"]["schemas"]["CaseCorrectionIn"]["properties"]
    assert {"location", "category", "description"} <= set(body)
