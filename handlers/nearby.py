"""Meldingen near a point: "Is dit uw melding?" on the form, the case page's neighbours, /api/v1/cases/nearby.

The rule: meldingen (not duplicates of another: their original is the one to find) within `radius_m`
of the point, reported within the last `days` days (the category's own number, else
MELDPUNT_NEARBY_DAYS), still open or (unless `open_only`) closed within those days; nearest first.

The query takes a box around the point on the (lat, lon, created_at) index (migration 0014), which a B-tree
serves on SQLite and PostgreSQL alike, and the exact distance (engine.geometry) decides in Python, so both
databases give the same answers. It does so in two steps: the id and point of the candidates in the box nearest
first, then only the nearest `limit` cases as objects (with their category), so a busy spot (the old town holds
well over a hundred recent cases in a 50 m box at a million cases) never loads a hundred full rows with their
process state. The first step orders the box by a flat-earth distance (exact enough to rank points a kilometre
apart: the longitude scaled by the cosine of the latitude) and the case id, and returns CANDIDATES_PER_RESULT
times `limit` of them: an address reported over and over (a thousand meldingen at one point) is not sent to
Python row by row. Ties go to the lowest id, as the exact distances sort them.
The index has created_at in it so that PostgreSQL decides "the last N days" in the same index scan instead of
ANDing the box with a bitmap of every recent case (which cost ~6 ms of the 7.5 ms at the Grote Markt at 1,000,000
cases); see benchmarks/nearby.py (`make bench`, --location) for the figures.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import defer, joinedload

from engine import statuses
from engine.clock import utcnow
from engine.db import db
from engine.geometry import box_around, distance_m
from engine.models import Case
from engine.settings import settings

from .models import Category

MAX_RADIUS_M = 1000
CANDIDATES_PER_RESULT = 5  # the box's nearest by the flat-earth distance, of which the haversine keeps `limit`
MAX_DAYS = 3660


@dataclass
class NearbyCase:
    case: Case
    distance_m: float


def days_for(category: Optional[Category]) -> int:
    """How many days back "Is dit uw melding?" looks for this category."""
    if category is not None and category.duplicate_days:
        return category.duplicate_days
    return settings().nearby_days


def nearby_meldingen(lat: float, lon: float, *, radius_m: Optional[float] = None,
                     category: Optional[Category] = None, days: Optional[int] = None, open_only: bool = False,
                     exclude_case_id: Optional[int] = None, group_ids: Optional[Sequence[int]] = None,
                     limit: int = 20) -> list[NearbyCase]:
    """The meldingen near (lat, lon) by the rule above, nearest first (at most `limit`).

    `category` limits them to that category; `group_ids` to cases of those groups (a handler's scope).
    """
    radius = float(radius_m if radius_m is not None else settings().nearby_metres)
    since = utcnow() - timedelta(days=days if days is not None else days_for(category))
    box = box_around(lat, lon, radius)
    closed = list(statuses.CLOSED)
    query = (select(Case.id, Case.lat, Case.lon)
             .where(Case.lat.between(box.south, box.north), Case.lon.between(box.west, box.east),
                    Case.kind == "melding", Case.duplicate_of_id.is_(None), Case.created_at >= since))
    if open_only:
        query = query.where(Case.status.not_in(closed))
    else:
        query = query.where(or_(Case.status.not_in(closed), Case.closed_at >= since))
    if category is not None:
        query = query.where(Case.category_id == category.id)
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    if group_ids is not None:
        query = query.where(Case.group_id.in_(list(group_ids)))
    north, east = Case.lat - lat, (Case.lon - lon) * math.cos(math.radians(lat))
    query = query.order_by(north * north + east * east, Case.id).limit(limit * CANDIDATES_PER_RESULT)
    within = []
    known: dict[tuple[float, float], float] = {}  # meldingen at one address share its point: one distance each
    # plain rows from the connection, not through the ORM's row processing (which cost 4 us a row)
    for case_id, case_lat, case_lon in db.session.connection().execute(query):
        d = known.get((case_lat, case_lon))
        if d is None:
            d = known[case_lat, case_lon] = distance_m(lat, lon, case_lat, case_lon)
        if d <= radius:
            within.append((d, case_id))
    within.sort()
    nearest = within[:limit]
    if not nearest:
        return []
    cases = {case.id: case for case in db.session.scalars(
        select(Case).options(joinedload(Case.category), defer(Case.state))  # the process state: kilobytes each, unused
        .where(Case.id.in_([case_id for _, case_id in nearest])))}
    return [NearbyCase(cases[case_id], d) for d, case_id in nearest if case_id in cases]
