"""The city's boundary (MELDPUNT_CITY_BOUNDARY, a GeoJSON file; the demo's Mechelen outline when unset).

Read once per file and kept; web/config.py reads it at start-up so that a missing or invalid file stops
the start with a message naming the variable. Points outside it are refused on every channel.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Optional

from engine.geometry import Area, BadGeometry, area_from_geojson
from engine.i18n import N_
from engine.settings import ConfigError, settings

DEMO_BOUNDARY = Path(__file__).with_name("data") / "mechelen_boundary.geojson"
VARIABLE = "MELDPUNT_CITY_BOUNDARY"
SOME_CITY = N_("de stad")  # in "ligt buiten de stad" when neither the settings nor the boundary name the city

_areas: dict[str, Area] = {}
_names: dict[str, Optional[str]] = {}
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
        _names[key] = _name_in(data)
        return area


def _name_in(data: Any) -> Optional[str]:
    """properties.name of a GeoJSON Feature (of the first Feature of a FeatureCollection), if it is text."""
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        data = features[0] if isinstance(features, list) and features else None
    properties = data.get("properties") if isinstance(data, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def city_area() -> Area:
    """The running app's city boundary."""
    return load_boundary(settings().city_boundary)


def in_city(lat: float, lon: float) -> bool:
    """True when the point lies inside the city's boundary."""
    return city_area().contains(lat, lon)



def named_city() -> Optional[str]:
    """The city's name as configured: MELDPUNT_CITY_NAME, else the boundary Feature's properties.name, else None."""
    config = settings()
    if config.city_name:
        return config.city_name
    load_boundary(config.city_boundary)
    return _names.get(str(Path(config.city_boundary) if config.city_boundary else DEMO_BOUNDARY))


def city_name() -> str:
    """The city's name for messages ("ligt buiten Mechelen"): named_city(), else "de stad"."""
    return named_city() or SOME_CITY
