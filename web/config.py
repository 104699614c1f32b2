"""The app's configuration: the MELDPUNT_* environment variables (declared in engine/settings.py), read
once by create_app, plus the database and signing key made from them; safe defaults for embedded use."""
from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from engine.settings import ConfigError, read_environment
from handlers.city_boundary import load_boundary
from handlers.geocoding import check_address_csv
from handlers.post_deadlines import parse_terms

from .secret_key import secret_key


class Config:
    """Read once at app creation: the typed MELDPUNT_* settings (engine/settings.py) and Flask's own keys."""

    def __init__(self, instance_path: str, environ: Optional[Mapping[str, str]] = None) -> None:
        environ = os.environ if environ is None else environ
        values = read_environment(environ)  # the only read of the environment
        # prometheus_client's own variable: the folder of the worker processes' figures (web/metrics.py)
        self.PROMETHEUS_MULTIPROC_DIR = environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        database_url = values.pop("MELDPUNT_DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'meldpunt.sqlite'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_db_url(database_url)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY = secret_key(values.pop("MELDPUNT_SECRET_KEY"), instance_path, values["MELDPUNT_ENV"])
        values["MELDPUNT_STORAGE_PATH"] = values["MELDPUNT_STORAGE_PATH"] or str(Path(instance_path) / "files")
        check_formats(values)
        vars(self).update(values)
        self.JSON_SORT_KEYS = False
        self.MAX_CONTENT_LENGTH = 1024 * 1024


def check_formats(values: Mapping[str, Any]) -> None:
    """The settings whose format another layer knows (the kinds of letters); ConfigError naming the variable."""
    try:
        parse_terms(values["MELDPUNT_POST_DEADLINES"])
    except ValueError as err:
        raise ConfigError(str(err)) from None
    load_boundary(values["MELDPUNT_CITY_BOUNDARY"])  # ConfigError naming the variable
    if values["MELDPUNT_GEOCODER"] == "offline" or values["MELDPUNT_ADDRESS_CSV"]:
        csv_path = values["MELDPUNT_ADDRESS_CSV"]
        try:
            check_address_csv(csv_path)
        except FileNotFoundError:
            raise ConfigError(f"MELDPUNT_ADDRESS_CSV={csv_path!r}: no such file") from None
        except (OSError, UnicodeDecodeError, KeyError, ValueError, TypeError, AttributeError, csv.Error) as err:
            raise ConfigError(f"MELDPUNT_ADDRESS_CSV={csv_path!r} is not a CSV with the columns street, number, "
                              f"postcode, municipality, lat, lon: {err!r}") from None
    geocoder_url = values["MELDPUNT_GEOCODER_URL"]
    if values["MELDPUNT_GEOCODER"] == "basisregisters" and not geocoder_url.startswith(("https://", "http://")):
        raise ConfigError(f"MELDPUNT_GEOCODER_URL={geocoder_url!r} must be an http(s) URL")
    if values["MELDPUNT_STORAGE"] == "s3" and not values["MELDPUNT_S3_BUCKET"]:
        raise ConfigError("MELDPUNT_STORAGE=s3 needs MELDPUNT_S3_BUCKET (the bucket's name)")
    endpoint = values["MELDPUNT_S3_ENDPOINT_URL"]
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ConfigError(f"MELDPUNT_S3_ENDPOINT_URL={endpoint!r} must be an http(s) URL")
    tiles = values["MELDPUNT_MAP_TILE_URL"]
    if not (tiles.startswith(("https://", "http://")) and all(f"{{{p}}}" in tiles for p in "zxy")):
        raise ConfigError(f"MELDPUNT_MAP_TILE_URL={tiles!r} must be an http(s) URL with {{z}}, {{x}} and {{y}}")


def normalise_db_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict:
    """Pool settings per database: SQLite waits for the writer instead of failing at once."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # Recycle instead of pinging before every checkout: one round trip less per transaction.
    return {"pool_recycle": 1800, "pool_size": 10, "max_overflow": 10}

