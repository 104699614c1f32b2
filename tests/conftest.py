"""Fixtures: an app per database backend (SQLite always, PostgreSQL when MELDPUNT_TEST_POSTGRES_URL is set,
and always in CI), migrated with Alembic once per session (per xdist worker) and emptied after every test;
the markers of every test (browser, imap, postgres, slow) and what a missing service does (tests/services.py)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import freezegun
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from engine import deploy
from engine.db import db
from handlers.categories import forget_categories
from handlers.groups import forget_group_ids
from handlers.routing import forget_rules
from handlers.seed import seed_reference_data
from web.app import create_app
from web.config import normalise_db_url

from .helpers import Staff
from .services import POSTGRES_URL, backends, require, summary

# pytest's own clock stays real while a test freezes time, so --durations reports seconds, not years.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


def pytest_report_header(config) -> str:
    return summary()


# Markers by module name, for modules whose every test needs the service or takes long (setup.cfg lists them).
MODULE_MARKERS = {
    "browser": re.compile(r"test_browser_"),
    "ocr": re.compile(r"test_letter_ocr"),
    "slow": re.compile(r"test_(fuzz_|browser_|open311_contract)"),
}
FIXTURE_MARKERS = {"dovecot": "imap", "dovecot_tls": "imap"}


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with the services it needs (browser, imap, postgres) and `slow` where it takes long."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        for marker, pattern in MODULE_MARKERS.items():
            if pattern.match(module):
                item.add_marker(marker)
        for fixture in item.fixturenames:
            if fixture in FIXTURE_MARKERS:
                item.add_marker(FIXTURE_MARKERS[fixture])
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker("postgres")


def pytest_runtest_setup(item) -> None:
    """A test whose service is missing skips with the reason (outside CI) or fails (in CI)."""
    for marker in ("browser", "imap", "ocr", "postgres"):
        if item.get_closest_marker(marker) is not None:
            require(marker)


# Fixtures of the test servers and data sets, for every test module: smtp_server, dovecot, dovecot_tls, data,
# s3_server and s3_bucket (a local S3-compatible server).
pytest_plugins = ["tests.smtp_server", "tests.dovecot", "tests.report_data", "tests.s3_server"]

BACKENDS = backends()


def _schema_url(url: str, schema: str) -> str:
    """The URL with every connection's search_path set to `schema`."""
    joiner = "&" if "?" in url else "?"
    return f"{normalise_db_url(url)}{joiner}options=-csearch_path%3D{schema}"


def _postgres_schema(url: str, schema: str, create: bool) -> None:
    engine = create_engine(normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One migrated database per backend for the whole session (a schema of its own on PostgreSQL,
    so test runs side by side do not disturb each other)."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'meldpunt.sqlite'}"}
    schema = f"meldpunt_test_{os.getpid()}"
    if POSTGRES_URL:
        _postgres_schema(POSTGRES_URL, schema, create=True)
        urls["postgresql"] = _schema_url(POSTGRES_URL, schema)
    for url in urls.values():
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(url), "TESTING": True})
        with app.app_context():
            upgrade()
            db.engine.dispose()
    yield urls
    if POSTGRES_URL:
        _postgres_schema(POSTGRES_URL, schema, create=False)


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
    if request.param == "postgresql":
        require("postgres")
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(database_urls[request.param]), "TESTING": True,
                      "MELDPUNT_BASE_URL": "https://meldpunt.stad.example",
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
    with app.app_context():
        _empty_tables()
        deploy.forget_cached_specs()
        forget_group_ids()
        forget_rules()
        forget_categories()
        seed_reference_data()
        deploy.deploy_builtin()
        db.session.commit()
        yield app
        db.session.rollback()
        _empty_tables()
        deploy.forget_cached_specs()
        forget_group_ids()
        forget_rules()
        forget_categories()
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


@pytest.fixture
def gathered(monkeypatch):
    """The dashboard cache's real gatherings of figures, counted (every other answer came from the cache):
    tests/test_dashboard_cache.py and test_dashboard_staleness.py."""
    from reports import dashboard_cache
    from reports.bundle import gather

    calls: list[tuple] = []

    def counting(period, previous, group_key=None):
        calls.append((period, previous, group_key))
        return gather(period, previous, group_key)

    monkeypatch.setattr(dashboard_cache, "gather", counting)
    return calls
