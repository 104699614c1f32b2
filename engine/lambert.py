"""Belgian Lambert coordinates to WGS84 (lat, lon in degrees), written out so that no projection library is needed.

The Flemish address register gives positions in Belgian Lambert 72 (EPSG:31370) and, on request, in
Belgian Lambert 2008 (EPSG:3812). Both are Lambert conformal conic projections (EPSG method 9802, the
inverse formulas of EPSG Guidance Note 7-2):

- Lambert 72 lies on the Belgian Datum 1972 (the International 1924 ellipsoid); its geographic
  coordinates are moved to WGS84 with the 7-parameter Helmert transformation EPSG:15929 ("BD72 to
  WGS 84 (3)", position vector convention), good to about a metre, which is what an address point needs;
- Lambert 2008 lies on ETRS89 (GRS80), which equals WGS84 to well under a metre in Belgium, so only the
  projection is undone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

ARCSEC = math.pi / (180 * 3600)


@dataclass(frozen=True)
class Ellipsoid:
    a: float  # semi-major axis, metres
    f: float  # flattening

    @property
    def e2(self) -> float:
        return self.f * (2 - self.f)


INTERNATIONAL_1924 = Ellipsoid(6_378_388.0, 1 / 297.0)
GRS80 = Ellipsoid(6_378_137.0, 1 / 298.257222101)
WGS84 = Ellipsoid(6_378_137.0, 1 / 298.257223563)


def _dms(degrees: float, minutes: float = 0.0, seconds: float = 0.0) -> float:
    return math.radians(degrees + minutes / 60 + seconds / 3600)


@dataclass(frozen=True)
class LambertConic:
    """A Lambert conformal conic projection with two standard parallels (angles in radians)."""

    ellipsoid: Ellipsoid
    lat_origin: float
    lon_origin: float
    lat_1: float
    lat_2: float
    false_easting: float
    false_northing: float

    def _m(self, lat: float) -> float:
        return math.cos(lat) / math.sqrt(1 - self.ellipsoid.e2 * math.sin(lat) ** 2)

    def _t(self, lat: float) -> float:
        e = math.sqrt(self.ellipsoid.e2)
        s = e * math.sin(lat)
        return math.tan(math.pi / 4 - lat / 2) / float(((1 - s) / (1 + s)) ** (e / 2))

    def to_geographic(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) in radians on the projection's own ellipsoid for easting x and northing y in metres."""
        e = math.sqrt(self.ellipsoid.e2)
        m1, m2 = self._m(self.lat_1), self._m(self.lat_2)
        t1, t2 = self._t(self.lat_1), self._t(self.lat_2)
        n = (math.log(m1) - math.log(m2)) / (math.log(t1) - math.log(t2))
        big_f = m1 / (n * t1 ** n)
        t_origin = max(self._t(self.lat_origin), 0.0)  # 0 at the pole (Lambert 72's origin)
        r_origin = self.ellipsoid.a * big_f * t_origin ** n
        dx, dy = x - self.false_easting, r_origin - (y - self.false_northing)
        r = math.copysign(math.hypot(dx, dy), n)
        theta = math.atan2(dx, dy) if n > 0 else math.atan2(-dx, -dy)
        t = (r / (self.ellipsoid.a * big_f)) ** (1 / n)
        lat = math.pi / 2 - 2 * math.atan(t)
        for _ in range(10):
            s = e * math.sin(lat)
            nxt = math.pi / 2 - 2 * math.atan(t * ((1 - s) / (1 + s)) ** (e / 2))
            if abs(nxt - lat) < 1e-12:
                lat = nxt
                break
            lat = nxt
        return lat, theta / n + self.lon_origin


LAMBERT_72 = LambertConic(INTERNATIONAL_1924, lat_origin=math.pi / 2, lon_origin=_dms(4, 22, 2.952),
                          lat_1=_dms(51, 10, 0.00204), lat_2=_dms(49, 50, 0.00204),
                          false_easting=150_000.013, false_northing=5_400_088.438)
LAMBERT_2008 = LambertConic(GRS80, lat_origin=_dms(50, 47, 52.134), lon_origin=_dms(4, 21, 33.177),
                            lat_1=_dms(49, 50), lat_2=_dms(51, 10),
                            false_easting=649_328.0, false_northing=665_262.0)

# EPSG:15929, BD72 to WGS 84 (3): metres, arc-seconds and parts per million (position vector rotation).
BD72_TO_WGS84 = (-106.8686, 52.2978, -103.7239, 0.3366, -0.457, 1.8422, -1.2747)


def _geocentric(lat: float, lon: float, ellipsoid: Ellipsoid) -> tuple[float, float, float]:
    nu = ellipsoid.a / math.sqrt(1 - ellipsoid.e2 * math.sin(lat) ** 2)
    return (nu * math.cos(lat) * math.cos(lon), nu * math.cos(lat) * math.sin(lon),
            nu * (1 - ellipsoid.e2) * math.sin(lat))


def _geographic(x: float, y: float, z: float, ellipsoid: Ellipsoid) -> tuple[float, float]:
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - ellipsoid.e2))
    for _ in range(10):
        nu = ellipsoid.a / math.sqrt(1 - ellipsoid.e2 * math.sin(lat) ** 2)
        nxt = math.atan2(z + ellipsoid.e2 * nu * math.sin(lat), p)
        if abs(nxt - lat) < 1e-12:
            lat = nxt
            break
        lat = nxt
    return lat, math.atan2(y, x)


def _helmert(x: float, y: float, z: float) -> tuple[float, float, float]:
    tx, ty, tz, rx, ry, rz, ppm = BD72_TO_WGS84
    rx, ry, rz, scale = rx * ARCSEC, ry * ARCSEC, rz * ARCSEC, 1 + ppm * 1e-6
    return (tx + scale * (x - rz * y + ry * z),
            ty + scale * (rz * x + y - rx * z),
            tz + scale * (-ry * x + rx * y + z))


def lambert72_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) in WGS84 degrees for a Belgian Lambert 72 (EPSG:31370) easting and northing in metres."""
    lat, lon = LAMBERT_72.to_geographic(x, y)
    lat, lon = _geographic(*_helmert(*_geocentric(lat, lon, INTERNATIONAL_1924)), WGS84)
    return math.degrees(lat), math.degrees(lon)


def lambert2008_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) in WGS84 degrees for a Belgian Lambert 2008 (EPSG:3812) easting and northing in metres."""
    lat, lon = LAMBERT_2008.to_geographic(x, y)
    return math.degrees(lat), math.degrees(lon)
