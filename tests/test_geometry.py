"""Points on the earth: distances between known places, the search box around a point, points in polygons
(with a hole, and in a MultiPolygon), and Belgian Lambert coordinates turned into WGS84."""
from __future__ import annotations

import math
import random

import pytest

from engine.geometry import (
    BadGeometry,
    area_from_geojson,
    box_around,
    distance_m,
    parse_coordinate,
    valid_point,
)
from engine.lambert import lambert72_to_wgs84, lambert2008_to_wgs84

PARIS, LONDON = (48.8566, 2.3522), (51.5074, -0.1278)


@pytest.mark.parametrize("one, other, metres, within", [
    (PARIS, LONDON, 343_560, 100),  # the textbook haversine figure, 343.56 km on a 6371 km sphere
    ((36.12, -86.67), (33.94, -118.40), 2_887_260 * 6371.0088 / 6372.8, 1),  # Rosetta Code's BNA-LAX, our radius
    ((0.0, 0.0), (0.0, 1.0), 111_195, 1),  # one degree along the equator
    ((51.0, 4.0), (52.0, 4.0), 111_195, 1),  # one degree along a meridian
    ((51.0279, 4.4803), (51.0279, 4.4803), 0, 0),
])
def test_distances_between_known_places(one, other, metres, within):
    assert abs(distance_m(*one, *other) - metres) <= within
    assert distance_m(*one, *other) == pytest.approx(distance_m(*other, *one))


def test_fifty_metres_in_mechelen():
    # 50 m north of the Grote Markt is 50/111195 degrees of latitude; 50 m east is more degrees of longitude.
    lat, lon = 51.0279, 4.4803
    assert distance_m(lat, lon, lat + 50 / 111_195, lon) == pytest.approx(50, abs=0.01)
    east = 50 / (111_195 * math.cos(math.radians(lat)))
    assert distance_m(lat, lon, lat, lon + east) == pytest.approx(50, abs=0.01)


def point_at(lat: float, lon: float, bearing: float, metres: float) -> tuple[float, float]:
    """The point `metres` from (lat, lon) in direction `bearing` (radians) on the same sphere."""
    r = 6_371_008.8
    p1, l1, d = math.radians(lat), math.radians(lon), metres / r
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


@pytest.mark.parametrize("lat, lon, radius", [(51.0279, 4.4803, 50), (51.0279, 4.4803, 5000), (0.0, 0.0, 100),
                                              (-33.9, 18.4, 250), (69.6, 18.9, 1000)])
def test_the_box_holds_every_point_of_the_circle_and_not_much_more(lat, lon, radius):
    box = box_around(lat, lon, radius)
    rng = random.Random(13)
    for _ in range(2000):
        p = point_at(lat, lon, rng.uniform(0, 2 * math.pi), radius * rng.uniform(0.5, 1.0))
        assert box.holds(*p), p
    for bearing in (0, math.pi / 2, math.pi, 3 * math.pi / 2):  # the four points that touch the box
        assert box.holds(*point_at(lat, lon, bearing, radius))
    # A point just outside the box in each direction is further away than the radius.
    assert distance_m(lat, lon, box.north + 1e-7, lon) > radius
    assert distance_m(lat, lon, lat, box.east + 1e-7) > radius
    assert distance_m(lat, lon, box.north, lon) < radius * 1.02  # only 1% to spare


SQUARE_WITH_HOLE = {"type": "Polygon", "coordinates": [
    [[4.0, 51.0], [5.0, 51.0], [5.0, 52.0], [4.0, 52.0], [4.0, 51.0]],
    [[4.4, 51.4], [4.6, 51.4], [4.6, 51.6], [4.4, 51.6], [4.4, 51.4]]]}


def test_a_point_in_the_hole_of_a_polygon_is_outside():
    area = area_from_geojson(SQUARE_WITH_HOLE)
    assert area.contains(51.2, 4.2)
    assert not area.contains(51.5, 4.5)  # in the hole
    assert area.contains(51.5, 4.3)  # beside the hole
    assert not area.contains(52.5, 4.5) and not area.contains(51.5, 3.9)


def test_a_multipolygon_holds_the_points_of_each_of_its_polygons():
    area = area_from_geojson({"type": "Feature", "properties": {"name": "Baarle"}, "geometry": {
        "type": "MultiPolygon", "coordinates": [
            SQUARE_WITH_HOLE["coordinates"],
            [[[6.0, 50.0], [6.5, 50.0], [6.25, 50.5], [6.0, 50.0]]]]}})
    assert area.contains(51.2, 4.2) and area.contains(50.2, 6.25)
    assert not area.contains(51.5, 4.5) and not area.contains(50.45, 6.05) and not area.contains(51.2, 5.5)
    assert (area.bounds().south, area.bounds().north, area.bounds().west, area.bounds().east) == (50.0, 52.0, 4.0, 6.5)


@pytest.mark.parametrize("data", [None, {"type": "Point", "coordinates": [4, 51]}, {"type": "Polygon"},
                                  {"type": "Polygon", "coordinates": [[[4, 51], [5, 51], [4, 51]]]},
                                  {"type": "Polygon", "coordinates": [[[4, 51], [5, 91], [5, 52], [4, 51]]]},
                                  {"type": "FeatureCollection", "features": []}])
def test_geojson_that_is_no_area_is_refused(data):
    with pytest.raises(BadGeometry):
        area_from_geojson(data)


@pytest.mark.parametrize("lat, lon, valid", [(51.0, 4.0, True), (90, -180, True), (90.001, 0, False),
                                             (0, 180.5, False), (math.nan, 4, False), (51, math.inf, False),
                                             ("51", 4, False), (True, 4, False), (None, None, False)])
def test_valid_points(lat, lon, valid):
    assert valid_point(lat, lon) is valid


@pytest.mark.parametrize("text, number", [("51,0278", 51.0278), (" 4.4777 ", 4.4777), ("", None), ("nan", None),
                                          ("inf", None), ("noord", None), ("1" * 41, None)])
def test_typed_coordinates(text, number):
    assert parse_coordinate(text) == number


# Belgian Lambert 72 (EPSG:31370) with WGS84 from elsewhere: the geolocation service of Digitaal Vlaanderen
# answers both for an address (Korte Lozanastraat, Antwerpen); proj4js gives the second pair.
@pytest.mark.parametrize("x, y, lat, lon, within", [
    (152751.98, 209640.76, 51.196736398586616, 4.408126870334539, 0.05),
    (180048.06920228814, 190702.69932892825, 51.02573170365698, 4.7970552913413025, 0.5),
])
def test_lambert72_to_wgs84_at_known_points(x, y, lat, lon, within):
    found = lambert72_to_wgs84(x, y)
    assert distance_m(*found, lat, lon) < within


def test_lambert2008_to_wgs84():
    # The projection's origin (EPSG:3812: 50°47'52.134"N 4°21'33.177"E at 649328, 665262) ...
    lat, lon = lambert2008_to_wgs84(649328.0, 665262.0)
    assert distance_m(lat, lon, 50 + 47 / 60 + 52.134 / 3600, 4 + 21 / 60 + 33.177 / 3600) < 0.01
    # ... and the Antwerp address again: Lambert 2008 is roughly Lambert 72 plus 500 km east and north
    # (the two differ by a few metres, the datums by less than that).
    lat, lon = lambert2008_to_wgs84(152751.98 + 500_000, 209640.76 + 500_000)
    assert distance_m(lat, lon, 51.196736398586616, 4.408126870334539) < 10
