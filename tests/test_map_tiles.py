"""Map tiles (#13 item 5): the tile URL and its attribution are configuration, OpenStreetMap's public tiles by
default; every map element carries both, and the Content-Security-Policy lets images come from that origin
only. The browser tests (tests/test_browser_*_map.py) serve the tiles from a local server through the same
setting, so no test needs the internet."""
from __future__ import annotations

import re

import pytest

from web.app import create_app

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def map_element(page: str, element_id: str) -> dict[str, str]:
    """The attributes of the element with this id, unescaped as a browser reads them."""
    import html

    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', page)
    assert tag is not None, f"no element #{element_id}"
    return {name: html.unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}


def img_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("img-src"))


def test_the_form_s_map_uses_openstreetmap_s_tiles_with_their_attribution_by_default(app, client):
    response = client.get("/melden?categorie=straatlamp-defect", follow_redirects=True)
    element = map_element(response.get_data(as_text=True), "report-map")
    assert element["data-tiles"] == OSM
    assert element["data-attribution"] == "&copy; OpenStreetMap-bijdragers"
    assert "https://tile.openstreetmap.org" in img_src(response)


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_city_s_own_tiles_and_attribution_reach_the_map_and_the_policy(app, tmp_path, monkeypatch):
    monkeypatch.setenv("MELDPUNT_MAP_TILE_URL", "https://kaart.stad.example/tegels/{z}/{x}/{y}.png")
    monkeypatch.setenv("MELDPUNT_MAP_ATTRIBUTION", "Kaart: Stad Mechelen, GRB")
    own = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
    response = own.test_client().get("/melden?categorie=straatlamp-defect", follow_redirects=True)
    assert response.status_code == 200
    element = map_element(response.get_data(as_text=True), "report-map")
    assert element["data-tiles"] == "https://kaart.stad.example/tegels/{z}/{x}/{y}.png"
    assert element["data-attribution"] == "Kaart: Stad Mechelen, GRB"
    policy = img_src(response)
    assert "https://kaart.stad.example" in policy and "openstreetmap" not in policy
