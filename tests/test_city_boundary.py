"""The city's boundary: the demo outline of Mechelen, the city's name in messages, and a missing or invalid
boundary or address file that stops the start with one line naming the variable."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.settings import ConfigError
from handlers.city_boundary import city_name, in_city, load_boundary, named_city
from web.config import Config

ROOT = Path(__file__).resolve().parents[1]
MELDPUNT = Path(sys.executable).with_name("meldpunt")


def test_the_demo_boundary_holds_mechelen_and_not_the_sea_or_antwerp(app):
    assert in_city(51.0257, 4.4776)  # the centre of Mechelen
    assert in_city(51.0279, 4.4803)  # the Grote Markt
    assert not in_city(51.5, 2.8)  # the North Sea
    assert not in_city(51.2211, 4.3997)  # the Grote Markt of Antwerp
    assert not in_city(0.0, 0.0)


def write(tmp_path: Path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


SQUARE = {"type": "Polygon", "coordinates": [[[4.0, 51.0], [5.0, 51.0], [5.0, 52.0], [4.0, 52.0], [4.0, 51.0]]]}


def test_the_city_is_named_by_the_settings_else_by_the_boundary_else_de_stad(app, tmp_path):
    assert (named_city(), city_name()) == ("Mechelen", "Mechelen")  # the demo boundary's properties.name
    app.config["MELDPUNT_CITY_NAME"] = "Stad Lier"
    assert city_name() == "Stad Lier"
    app.config["MELDPUNT_CITY_NAME"] = None
    app.config["MELDPUNT_CITY_BOUNDARY"] = write(tmp_path, "collection.geojson", {
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Duffel"},
                                                   "geometry": SQUARE}]})
    assert city_name() == "Duffel"
    app.config["MELDPUNT_CITY_BOUNDARY"] = write(tmp_path, "bare.geojson", SQUARE)
    assert (named_city(), city_name()) == (None, "de stad")
    assert in_city(51.5, 4.5) and not in_city(51.0257, 5.5)


@pytest.mark.parametrize("content, says", [
    (None, "no such file"),
    ("{not json", "is not a readable GeoJSON file"),
    ({"type": "Point", "coordinates": [4.47, 51.02]}, "holds no usable boundary"),
    ({"type": "Polygon", "coordinates": [[[4.0, 51.0], [5.0, 91.0], [5.0, 52.0], [4.0, 51.0]]]},
     "holds no usable boundary"),
])
def test_an_unusable_boundary_file_is_a_config_error_naming_the_variable(tmp_path, content, says):
    path = str(tmp_path / "missing.geojson") if content is None else write(tmp_path, "bad.geojson", content)
    with pytest.raises(ConfigError, match=f"^MELDPUNT_CITY_BOUNDARY='.*' {says}" if content else
                       "^MELDPUNT_CITY_BOUNDARY='.*': no such file"):
        load_boundary(path)
    with pytest.raises(ConfigError, match="^MELDPUNT_CITY_BOUNDARY="):
        Config(str(tmp_path / "instance"), {"MELDPUNT_CITY_BOUNDARY": path})


GOOD_CSV = "street,number,postcode,municipality,lat,lon\nBruul,12,2800,Mechelen,51.0262,4.4790\n"


@pytest.mark.parametrize("content", [
    None,  # missing
    "straat;nummer\nBruul;12\n",  # other columns
    "street,number,postcode,municipality,lat,lon\nBruul,12,2800,Mechelen,noord,4.47\n",  # not a number
    "street,number,postcode,municipality,lat,lon\nBruul,12,2800,Mechelen,95,4.47\n",  # out of range
    "street,number,postcode,municipality,lat,lon\nBruul,12,2800,Mechelen,nan,4.47\n",
    "street,number,postcode,municipality,lat,lon\n",  # no addresses
    "street,number,postcode,municipality,lat,lon\nBruul,12\n",  # a short line
    "\x00\x01\x02 not a csv",
])
def test_an_unusable_address_file_is_a_config_error_naming_the_variable(tmp_path, content):
    path = str(tmp_path / "missing.csv") if content is None else write(tmp_path, "addresses.csv", content)
    with pytest.raises(ConfigError, match="^MELDPUNT_ADDRESS_CSV="):
        Config(str(tmp_path / "instance"), {"MELDPUNT_ADDRESS_CSV": path})


def test_a_good_address_file_and_boundary_pass(tmp_path):
    config = Config(str(tmp_path / "instance"), {"MELDPUNT_ADDRESS_CSV": write(tmp_path, "a.csv", GOOD_CSV),
                                                 "MELDPUNT_CITY_BOUNDARY": write(tmp_path, "b.geojson", SQUARE)})
    assert config.MELDPUNT_ADDRESS_CSV.endswith("a.csv")


def test_the_remote_geocoder_needs_an_http_url(tmp_path):
    with pytest.raises(ConfigError, match="^MELDPUNT_GEOCODER_URL='file:///etc/passwd' must be an http"):
        Config(str(tmp_path / "instance"), {"MELDPUNT_GEOCODER": "basisregisters",
                                            "MELDPUNT_GEOCODER_URL": "file:///etc/passwd"})
    Config(str(tmp_path / "instance"), {"MELDPUNT_GEOCODER": "basisregisters",
                                        "MELDPUNT_GEOCODER_URL": "http://127.0.0.1:9"})


def run_meldpunt(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MELDPUNT_")}
    environment.update({"MELDPUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'start.sqlite'}",
                        "MELDPUNT_SECRET_KEY": "een-sleutel-van-minstens-zestien-tekens", **env})
    return subprocess.run([str(MELDPUNT), "db", "upgrade"], cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("variable, content", [
    ("MELDPUNT_CITY_BOUNDARY", None), ("MELDPUNT_CITY_BOUNDARY", "[1, 2, 3]"),
    ("MELDPUNT_ADDRESS_CSV", None), ("MELDPUNT_ADDRESS_CSV", "street,number\nBruul,12\n"),
])
def test_meldpunt_does_not_start_and_says_why_in_one_line(tmp_path, variable, content):
    path = str(tmp_path / "absent") if content is None else write(tmp_path, "file", content)
    done = run_meldpunt(tmp_path, **{variable: path})
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {variable}='{path}'"), done.stderr
    assert not (tmp_path / "start.sqlite").exists() or (tmp_path / "start.sqlite").stat().st_size == 0


def test_meldpunt_starts_with_good_files(tmp_path):
    done = run_meldpunt(tmp_path, MELDPUNT_CITY_BOUNDARY=write(tmp_path, "b.geojson", SQUARE),
                        MELDPUNT_ADDRESS_CSV=write(tmp_path, "a.csv", GOOD_CSV))
    assert done.returncode == 0, done.stderr
