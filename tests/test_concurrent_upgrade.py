"""Two upgrades of one PostgreSQL database at once, each in its own schema (a schema per city; CI's test workers
do the same): the one that comes second waits for the first to have made pg_trgm, and does not fail on it."""
from __future__ import annotations

import importlib
import os
import threading
import time
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from web.app import create_app
from web.config import normalise_db_url

from .services import require
from .test_backup_restore import recreate, server_url

pytestmark = pytest.mark.postgres
EXTENSION_LOCK = importlib.import_module("web.migrations.versions.0017_search").EXTENSION_LOCK


@pytest.fixture
def fresh_database():
    """A database of its own, without pg_trgm, dropped afterwards."""
    require("postgres")
    name = f"meldpunt_upgrade_{os.getpid()}"
    recreate(name)
    try:
        yield name
    finally:
        recreate(name, drop_only=True)


def test_an_upgrade_while_another_one_makes_pg_trgm_waits_for_it_and_succeeds(fresh_database, tmp_path):
    engine = create_engine(normalise_db_url(server_url(fresh_database)))
    outcome: dict[str, object] = {}
    with engine.connect() as other:  # another city's upgrade, between making the extension and its commit
        other.execute(text("CREATE SCHEMA city_a"))
        other.commit()
        other.execute(text(f"SELECT pg_advisory_xact_lock({EXTENSION_LOCK})"))
        other.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        url = f"{server_url(fresh_database)}?options={quote('-csearch_path=city_a')}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(url), "TESTING": True,
                          "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})

        def upgrade_city_a() -> None:
            try:
                with app.app_context():
                    upgrade()
                    outcome["done"] = True
            except Exception as err:  # noqa: BLE001 (the test reports what the upgrade raised)
                outcome["error"] = err

        worker = threading.Thread(target=upgrade_city_a)
        worker.start()
        time.sleep(2)  # city_a's upgrade reaches 0017g and waits on the other's extension
        other.commit()
        worker.join(timeout=180)
    assert outcome == {"done": True}, outcome  # without the wait: UniqueViolation on pg_extension's name
    with engine.connect() as check:
        made = check.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
        version = check.execute(text("SELECT version_num FROM city_a.alembic_version")).scalar()
    engine.dispose()
    assert made == 1 and version is not None
