"""The city's boundary (MELDPUNT_CITY_BOUNDARY, a GeoJSON file; the demo's Mechelen outline when unset).

Read once per file and kept; web/config.py reads it at start-up so that a missing or invalid file stops
the start with a message naming the variable. Points outside it are refused on every channel.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Optional

from engine.geometry import Area, BadGeometry, area_from_geojson
from engine.settings import ConfigError, settings

DEMO_BOUNDARY = Path(__file__).with_name("data") / "mechelen_boundary.geojson"
VARIABLE = "MELDPUNT_CITY_BOUNDARY"

_areas: dict[str, Area] = {}
_lock = threading.Lock()


def load_boundary(path: Optional[str]) -> Area:
    """The Area in the file `path` (None: the demo's); ConfigError naming the variable when it is unusable."""
    file = Path(path) if path else DEMO_BOUNDARY
    key = str(file)
    with _lock:
        if key in _areas:
            return _areas[key]
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{VARIABLE}={path!r}: no such file") from None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ConfigError(f"{VARIABLE}={path!r} is not a readable GeoJSON file: {error}") from None
        try:
            area = area_from_geojson(data)
        except BadGeometry as error:
            raise ConfigError(f"{VARIABLE}={path!r} holds no usable boundary: {error}") from None
        _areas[key] = area
        return area


def city_area() -> Area:
    """The running app's city boundary."""
    return load_boundary(settings().city_boundary)


def in_city(lat: float, lon: float) -> bool:
    """True when the point lies inside the city's boundary."""
    return city_area().contains(lat, lon)
