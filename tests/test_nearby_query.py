"""handlers.nearby.nearby_meldingen on SQLite and PostgreSQL (the `app` fixture runs every test on both):
the same small data set gives the same answers, nearest first, by the rule of the module."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import utcnow
from engine.db import db
from engine.geometry import METRES_PER_DEGREE_LAT, distance_m
from engine.models import Case
from handlers.categories import active_category
from handlers.groups import group_by_key
from handlers.nearby import nearby_meldingen
from intake.meldingen import register_melding

P = (51.0257, 4.4776)  # the centre of Mechelen
_seq = iter(range(1, 10_000))


def north(metres: float, east: float = 0.0) -> tuple[float, float]:
    """The point `metres` north (and `east` metres east) of P."""
    dlat = metres / METRES_PER_DEGREE_LAT
    dlon = east / (METRES_PER_DEGREE_LAT * 0.6293)  # cos(51.0257°): a few cm off at 50 m, checked below
    return P[0] + dlat, P[1] + dlon


def melding(at: tuple[float, float], category: str = "sluikstort", days_old: float = 1, **changes) -> Case:
    n = next(_seq)
    case = register_melding(description=f"Melding {n}", channel="web", category=category,
                            location={"address": f"Bruul {n}, 2800 Mechelen", "lat": at[0], "lon": at[1]})
    case.created_at = utcnow() - timedelta(days=days_old)
    for key, value in changes.items():
        setattr(case, key, value)
    db.session.commit()
    return case


def refs(found) -> list[str]:
    return [n.case.reference for n in found]


def test_nearest_first_with_the_distance(app):
    far, near, middle = melding(north(45)), melding(north(10)), melding(north(-30))
    found = nearby_meldingen(*P)
    assert refs(found) == [near.reference, middle.reference, far.reference]
    assert [round(n.distance_m) for n in found] == [10, 30, 45]
    assert nearby_meldingen(*P, limit=2) == found[:2]


def test_the_radius_edge_and_the_corners_of_the_box(app):
    inside, outside = melding(north(49.9)), melding(north(50.1))
    corner = melding(north(40, east=40))  # inside the search box, 56.6 m away: not within 50 m
    assert 56 < distance_m(*P, corner.lat, corner.lon) < 57.5
    assert refs(nearby_meldingen(*P, radius_m=50)) == [inside.reference]
    assert refs(nearby_meldingen(*P, radius_m=60)) == [inside.reference, outside.reference, corner.reference]
    assert nearby_meldingen(*P, radius_m=5) == []


def test_days_back_default_given_and_per_category(app):
    recent, old = melding(north(5), days_old=83), melding(north(6), days_old=85)
    assert refs(nearby_meldingen(*P)) == [recent.reference]  # MELDPUNT_NEARBY_DAYS: 84
    assert refs(nearby_meldingen(*P, days=100)) == [recent.reference, old.reference]
    assert nearby_meldingen(*P, days=10) == []
    category = active_category("sluikstort")
    category.duplicate_days = 90
    db.session.commit()
    assert refs(nearby_meldingen(*P, category=category)) == [recent.reference, old.reference]


def test_open_only_and_recently_closed(app):
    open_case = melding(north(5))
    closed_recently = melding(north(10), status="afgesloten", completed=True, closed_at=utcnow() - timedelta(days=2))
    closed_long_ago = melding(north(15), days_old=80, status="afgesloten", completed=True,
                              closed_at=utcnow() - timedelta(days=86))  # a bad clock, say: closed before `since`
    assert refs(nearby_meldingen(*P)) == [open_case.reference, closed_recently.reference]
    assert refs(nearby_meldingen(*P, open_only=True)) == [open_case.reference]
    assert closed_long_ago.reference not in refs(nearby_meldingen(*P, days=100, open_only=True))


def test_category_filter(app):
    litter, lamp = melding(north(5), "sluikstort"), melding(north(8), "straatlamp-defect")
    assert refs(nearby_meldingen(*P, category=active_category("straatlamp-defect"))) == [lamp.reference]
    assert refs(nearby_meldingen(*P, category=active_category("sluikstort"))) == [litter.reference]
    assert refs(nearby_meldingen(*P)) == [litter.reference, lamp.reference]


def test_duplicates_other_kinds_and_the_case_itself_are_left_out(app):
    original = melding(north(5))
    duplicate = melding(north(3))
    duplicate.duplicate_of_id = original.id
    duplicate.status = "duplicaat"
    db.session.commit()
    other = melding(north(4))
    other.kind = "infomail"
    db.session.commit()
    nowhere = register_melding(description="Geen punt", channel="web", category="sluikstort",
                               location={"address": "Nergensstraat 1, 2800 Mechelen"})  # unknown: no point
    assert nowhere.lat is None
    assert refs(nearby_meldingen(*P)) == [original.reference]
    assert nearby_meldingen(*P, exclude_case_id=original.id) == []


def test_group_scope(app):
    ood, netheid = group_by_key("onderhoud-openbaar-domein"), group_by_key("openbare-netheid")
    theirs, ours = melding(north(5), group_id=netheid.id), melding(north(7), group_id=ood.id)
    unassigned = melding(north(9))
    assert unassigned.group_id is None
    assert refs(nearby_meldingen(*P, group_ids=[ood.id])) == [ours.reference]
    assert refs(nearby_meldingen(*P, group_ids=[ood.id, netheid.id])) == [theirs.reference, ours.reference]
    assert nearby_meldingen(*P, group_ids=[]) == []
    assert refs(nearby_meldingen(*P)) == [theirs.reference, ours.reference, unassigned.reference]


@pytest.mark.parametrize("lat,lon", [(51.0257, 4.4776), (50.9900, 4.4000), (51.0700, 4.5300)])
def test_the_same_answers_on_a_grid_of_cases(app, lat, lon):
    """A grid every 7 m around the point, varied in age, status and category: checked against brute force."""
    made = []
    for i in range(-8, 9):
        for j in range(-8, 9):
            if (i * 17 + j) % 3:
                continue
            at = (lat + i * 7 / METRES_PER_DEGREE_LAT, lon + j * 7 / (METRES_PER_DEGREE_LAT * 0.63))
            status = {0: "ontvangen", 1: "afgesloten", 2: "in_behandeling"}[(i + j) % 3]
            case = melding(at, "sluikstort" if i % 2 else "zwerfvuil", days_old=abs(i * j) * 2,
                           status=status, closed_at=utcnow() - timedelta(days=abs(j) * 10) if status == "afgesloten"
                           else None)
            made.append(case)
    since = utcnow() - timedelta(days=84)
    expected = sorted((distance_m(lat, lon, c.lat, c.lon), c.id, c.reference) for c in made
                       if distance_m(lat, lon, c.lat, c.lon) <= 50 and c.created_at >= since
                       and (c.status != "afgesloten" or c.closed_at >= since))
    found = nearby_meldingen(lat, lon, limit=1000)
    assert refs(found) == [ref for _, _, ref in expected] and len(found) > 5
    # a few nearest: the database ranks the box by a flat-earth distance first, the answer stays the exact one
    assert refs(nearby_meldingen(lat, lon, limit=4)) == [ref for _, _, ref in expected[:4]]


def test_an_address_reported_over_and_over_gives_its_oldest_and_then_the_next_point(app):
    """Thirty meldingen at one point and one 5 m away: with room for three, the three oldest at the point; with
    room for all, the one 5 m away comes last (the database sends only the nearest few of the box to Python)."""
    same = [melding(north(0)) for _ in range(30)]
    beside = melding(north(5))
    assert refs(nearby_meldingen(*P, limit=3)) == [c.reference for c in same[:3]]
    assert refs(nearby_meldingen(*P, limit=31)) == [c.reference for c in same] + [beside.reference]
    assert refs(nearby_meldingen(*P, limit=31, exclude_case_id=same[0].id))[-1] == beside.reference


def test_meldingen_at_one_point_cost_one_distance_and_come_without_their_process_state(app, monkeypatch):
    """Meldingen at one address share its point: the distance is worked out once per point, and the nearest are
    loaded without their serialized process (kilobytes each, not shown)."""
    import handlers.nearby as nearby

    from .helpers import statements_sent

    same = [melding(north(20)) for _ in range(3)]
    other = melding(north(-30))
    calls = []
    monkeypatch.setattr(nearby, "distance_m", lambda *args: calls.append(args) or distance_m(*args))
    with statements_sent() as sent:
        found = nearby_meldingen(*P)
    assert refs(found) == [c.reference for c in same] + [other.reference]  # a tie: the older first
    assert len(calls) == 2
    assert [round(n.distance_m) for n in found] == [20, 20, 20, 30]
    assert not [s for s in sent if "cases.state" in s], "\n".join(sent)
