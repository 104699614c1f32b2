"""A real server (waitress, in a thread) on a free local port, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from waitress.server import create_server

from engine import deploy
from engine.db import db
from handlers.categories import forget_categories
from handlers.groups import forget_group_ids
from handlers.routing import forget_rules
from handlers.seed import DEMO_PASSWORD, seed_demo_users, seed_reference_data
from intake.meldingen import register_melding
from web.app import create_app
from web.config import normalise_db_url

from .services import CHROMIUM, POSTGRES_URL, require
from .tile_server import tile_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


@contextmanager
def live_app(tmp_path: Path, database: str = "sqlite") -> Iterator[tuple]:
    """Serve a freshly migrated app with demo staff; yields (app, base_url). `database` "postgresql" serves it
    from a schema of its own in MELDPUNT_TEST_POSTGRES_URL's database (dropped after), else SQLite.

    Its maps take their tiles from a local tile server (tests/tile_server.py), at app.config["TEST_TILES"].
    """
    if database == "postgresql":
        with _postgres_schema() as url, tile_server() as tiles:
            yield from _live_app(tmp_path, tiles.url, tiles, url)
        return
    with tile_server() as tiles:
        yield from _live_app(tmp_path, tiles.url, tiles)


@contextmanager
def _postgres_schema() -> Iterator[str]:
    require("postgres")
    base = normalise_db_url(POSTGRES_URL or "")
    schema = f"meldpunt_live_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def _live_app(tmp_path: Path, tile_url: str, tiles, database_url: str | None = None) -> Iterator[tuple]:
    deploy.forget_cached_specs()
    forget_group_ids()
    forget_rules()
    forget_categories()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'live.sqlite'}",
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files"), "MELDPUNT_SCHEDULER": False,
                      "MELDPUNT_MAP_TILE_URL": tile_url})
    app.config["TEST_TILES"] = tiles
    with app.app_context():
        upgrade()
        seed_reference_data()
        deploy.deploy_builtin()
        db.session.commit()
        seed_demo_users()
        db.session.commit()
        db.session.remove()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    base_url = f"http://127.0.0.1:{server.effective_port}"
    app.config["MELDPUNT_BASE_URL"] = base_url
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield app, base_url
    finally:
        # Close every socket inside the server's own loop (through its trigger): closing them from this thread
        # while the loop sits in select() made it fail with EBADF now and then. An empty map ends the loop.
        def stop() -> None:
            for channel in list(server._map.values()):
                channel.close()

        server.trigger.pull_trigger(stop)
        thread.join(5)
        server.task_dispatcher.shutdown()
        deploy.forget_cached_specs()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no pooled connection is left to hold up dropping a PostgreSQL schema


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    require("browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def login(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real login form."""
    page.goto(f"{base_url}/werk/aanmelden")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def lamp_melding(app) -> str:
    """A melding about the street light at Bruul 12 from Els, through the real intake; its reference."""
    with app.app_context():
        case = register_melding(description="Straatlamp aan paal 12 brandt niet", channel="telefoon",
                                category="straatlamp-defect", location={"address": "Bruul 12, 2800 Mechelen"},
                                reporter={"name": "Els", "email": "els@voorbeeld.example"})
        reference = case.reference
        db.session.remove()
    return reference
