"""Fixtures: an app per database backend (SQLite always, PostgreSQL when MELDPUNT_TEST_POSTGRES_URL is set),
migrated with Alembic once per session and emptied after every test."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from engine import deploy
from engine.db import db
from handlers.seed import seed_reference_data
from web.app import create_app
from web.config import normalise_db_url

from .helpers import Staff

POSTGRES_URL = os.environ.get("MELDPUNT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _reset_postgres(url: str) -> None:
    engine = create_engine(normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, str]:
    """One migrated database per backend for the whole session."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'meldpunt.sqlite'}"}
    if POSTGRES_URL:
        _reset_postgres(POSTGRES_URL)
        urls["postgresql"] = POSTGRES_URL
    for url in urls.values():
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(url), "TESTING": True})
        with app.app_context():
            upgrade()
            db.engine.dispose()
    return urls


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture(params=BACKENDS)
def app(request, database_urls, tmp_path):
    """The app on one backend, with groups, categories and the built-in BPMN models deployed."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(database_urls[request.param]), "TESTING": True,
                      "MELDPUNT_BASE_URL": "https://meldpunt.stad.example",
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
    with app.app_context():
        _empty_tables()
        deploy.forget_cached_specs()
        seed_reference_data()
        deploy.deploy_builtin()
        db.session.commit()
        yield app
        db.session.rollback()
        _empty_tables()
        deploy.forget_cached_specs()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(app, client) -> Staff:
    """Demo staff with API tokens: staff.meldkamer, staff.ood (handler), staff.ood_lead, staff.netheid, staff.admin."""
    return Staff.create(client)


# ../shared beside the checkout (the MIWG models, Open311 contract, mail fixtures); tests using it skip
# with a reason when it is absent.
SHARED = Path(__file__).resolve().parents[2] / "shared"
