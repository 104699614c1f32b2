"""Points on the earth in WGS84 (lat, lon in degrees): distances, a search box around a point, polygons.

A city is small enough for these to be exact to well under a metre at the distances we ask (tens to
hundreds of metres): the haversine distance on a sphere of the earth's mean radius, and a bounding box
that is a little larger than the circle it must hold, so that an index on lat and lon finds every
candidate and the exact distance decides.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180

Ring = Sequence[tuple[float, float]]  # (lon, lat) pairs as GeoJSON writes them, first == last or not


def valid_point(lat: Any, lon: Any) -> bool:
    """True for real numbers within -90..90 and -180..180 (NaN, infinity and text are not)."""
    if isinstance(lat, bool) or isinstance(lon, bool):
        return False
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    """A lat/lon box: south <= lat <= north, west <= lon <= east."""

    south: float
    west: float
    north: float
    east: float

    def holds(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


def box_around(lat: float, lon: float, radius_m: float) -> Box:
    """A box holding every point within `radius_m` of (lat, lon), with 1% to spare (not across the poles)."""
    dlat = radius_m * 1.01 / METRES_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 1e-6)
    dlon = dlat / cos_lat
    return Box(lat - dlat, lon - dlon, lat + dlat, lon + dlon)


def _in_ring(lat: float, lon: float, ring: Ring) -> bool:
    """Even-odd ray casting on one ring of (lon, lat) pairs."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


@dataclass(frozen=True)
class Area:
    """One or more polygons (outer ring plus holes), as in a GeoJSON Polygon or MultiPolygon."""

    polygons: tuple[tuple[Ring, ...], ...]

    def contains(self, lat: float, lon: float) -> bool:
        for rings in self.polygons:
            if rings and _in_ring(lat, lon, rings[0]) and not any(_in_ring(lat, lon, hole) for hole in rings[1:]):
                return True
        return False

    def bounds(self) -> Box:
        lons = [p[0] for rings in self.polygons for p in rings[0]]
        lats = [p[1] for rings in self.polygons for p in rings[0]]
        return Box(min(lats), min(lons), max(lats), max(lons))

    def centre(self) -> tuple[float, float]:
        """The middle of the bounds (lat, lon): where a map of the city opens."""
        b = self.bounds()
        return (b.south + b.north) / 2, (b.west + b.east) / 2


class BadGeometry(ValueError):
    """GeoJSON that is not a usable (Multi)Polygon; the message says what is wrong, in English for the log."""


def _ring(value: Any, where: str) -> Ring:
    if not isinstance(value, list) or len(value) < 4:
        raise BadGeometry(f"{where}: a ring needs at least 4 positions")
    ring: list[tuple[float, float]] = []
    for position in value:
        if (not isinstance(position, list) or len(position) < 2
                or not valid_point(position[1], position[0])):
            raise BadGeometry(f"{where}: {position!r} is not a [lon, lat] position")
        ring.append((float(position[0]), float(position[1])))
    return tuple(ring)


def _polygon(value: Any, where: str) -> tuple[Ring, ...]:
    if not isinstance(value, list) or not value:
        raise BadGeometry(f"{where}: a Polygon needs a list of rings")
    return tuple(_ring(r, f"{where} ring {i}") for i, r in enumerate(value))


def area_from_geojson(data: Any) -> Area:
    """The Area of a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection of those; BadGeometry if not."""
    polygons: list[tuple[Ring, ...]] = []

    def take(obj: Any, where: str) -> None:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "FeatureCollection":
            for i, feature in enumerate(obj.get("features") or []):
                take(feature, f"{where} feature {i}")
        elif kind == "Feature":
            take(obj.get("geometry"), where)
        elif kind == "Polygon":
            polygons.append(_polygon(obj.get("coordinates"), where))
        elif kind == "MultiPolygon":
            coordinates = obj.get("coordinates")
            if not isinstance(coordinates, list):
                raise BadGeometry(f"{where}: a MultiPolygon needs a list of polygons")
            polygons.extend(_polygon(p, f"{where} polygon {i}") for i, p in enumerate(coordinates))
        else:
            raise BadGeometry(f"{where}: expected a Polygon, MultiPolygon, Feature or FeatureCollection, "
                              f"got {kind!r}")

    take(data, "boundary")
    if not polygons:
        raise BadGeometry("boundary: no polygon in it")
    return Area(tuple(polygons))


def parse_coordinate(value: Optional[str]) -> Optional[float]:
    """A typed coordinate ("51.02", "51,02") as a float; None when empty or not a finite number."""
    if value is None:
        return None
    text = str(value).strip().replace(",", ".")
    if not text or len(text) > 40:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
