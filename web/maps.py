"""What every map needs from the server: tiles, attribution, the city's centre and boundary.

Pages that show a map include web/static/map.js (after the vendored Leaflet) and put `map_config()` on
the map's element as data-* attributes (see templates/map_assets.html); the CSP lets images come from the
tile server's origin (`tile_origin`).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from engine.settings import settings
from handlers.city_boundary import city_area

from .i18n import translate


def tile_origin() -> str:
    """The origin of the configured tiles for the CSP's img-src ("https://*.tile.example" with {s})."""
    parts = urlsplit(settings().map_tile_url)
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def map_config() -> dict[str, str]:
    """The data-* attributes of a map element: tiles, attribution, centre, bounds and boundary of the city, and the
    names of its zoom buttons in the reader's language."""
    area = city_area()
    lat, lon = area.centre()
    bounds = area.bounds()
    config = settings()
    outline = [[[p[1], p[0]] for p in rings[0]] for rings in area.polygons]  # Leaflet's [lat, lon]
    return {"data-tiles": config.map_tile_url, "data-attribution": config.map_attribution,
            "data-centre": f"{lat:.6f},{lon:.6f}",
            "data-bounds": f"{bounds.south:.6f},{bounds.west:.6f},{bounds.north:.6f},{bounds.east:.6f}",
            "data-boundary": json.dumps(outline, separators=(",", ":")),
            # the zoom buttons' names (Leaflet's own are English)
            "data-text-zoom-in": translate("Inzoomen"), "data-text-zoom-out": translate("Uitzoomen")}
