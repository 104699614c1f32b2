"""A database that cannot be reached answers 503 with Retry-After everywhere, never an HTML 500.

PostgreSQL restarting or unreachable, a connection killed under a request, a lock not granted in time,
an exhausted pool, or SQLite's file locked or unreadable: the API answers its JSON error shape, Open311 its
error format, every page a Dutch page; a form that registered it with `give_back_on_outage` is shown again
with what was typed. No page shown here touches the database (the language comes from the cookie, the
visitor counts as not logged in), and the request's teardown never raises after the answer was built.

Recovery needs no ping before every checkout (a round trip per transaction): SQLAlchemy invalidates a
connection that failed as disconnected, and the pool's older connections with it, also for the engine's raw
driver cursors (engine.raw_rows.raise_driver_error); the next request connects afresh.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Optional

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy import exc

from engine.db import db
from engine.i18n import N_

from .i18n import LANGUAGES, translate

log = logging.getLogger(__name__)

RETRY_AFTER = 30  # seconds: a restart or failover of the database usually takes that long
PAGE_TEXT = N_("De databank is even niet bereikbaar. Probeer het over een minuut opnieuw.")
_give_back: dict[str, Callable[[], object]] = {}


def _outage_itself(err: BaseException) -> bool:
    if isinstance(err, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    if isinstance(err, exc.DBAPIError):
        # A lost connection, whatever the driver called it; SQLite's "file is not a database" (unreadable file).
        return err.connection_invalidated or type(err.orig) is sqlite3.DatabaseError
    return False


def is_outage(err: Optional[BaseException]) -> bool:
    """True for errors that say the database cannot be reached or used right now, not that a query is wrong,
    also when a service task's wrapper (ProcessError, from the model's run) carries one as its cause."""
    seen = 0
    while err is not None and seen < 10:
        if _outage_itself(err):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def give_back_on_outage(endpoint: str) -> Callable:
    """Register `view() -> response` that shows the form of `endpoint` again with what was typed (status 503)."""

    def register(view: Callable[[], object]) -> Callable[[], object]:
        _give_back[endpoint] = view
        return view

    return register


def _without_database() -> None:
    """Make the templates' language and user lookups stay away from the database."""
    from .auth import login_manager

    if "lang" not in g:
        lang = request.cookies.get("lang")
        g.lang = lang if lang in LANGUAGES else "nl"
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the teardown drops the session
        log.debug("rollback after a database outage failed", exc_info=True)


def outage_response(err: Exception):
    """503 in the format of the part of the site that was asked."""
    log.error("database unavailable, answering 503: %s", getattr(err, "orig", err) or err)
    _rollback()
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        return jsonify({"error": "ServiceUnavailable", "message": "the database cannot be reached right now; "
                        f"nothing was changed, try again in {RETRY_AFTER} seconds"}), 503, headers
    if request.path.startswith("/open311/"):
        from .errors import open311_error

        response = open311_error(503, "the database cannot be reached right now; try again later")
        response.headers.update(headers)
        return response
    _without_database()
    give_back = _give_back.get(request.endpoint or "") if request.method == "POST" else None
    try:
        if give_back is not None:
            response = give_back()
            return response if not isinstance(response, tuple) else (*response[:2], headers)
        return render_template("error.html", message=translate(PAGE_TEXT), code=503), 503, headers
    except Exception:  # never a 500 because the page itself could not be made
        log.exception("the 503 page could not be rendered")
        return (f"<!doctype html><html lang=nl><title>Meldpunt</title><p>{PAGE_TEXT}</p></html>", 503,
                {**headers, "Content-Type": "text/html; charset=utf-8"})


def _safe_teardown(_exc) -> None:
    """Drop the request's session without ever raising after the answer was built."""
    try:
        db.session.remove()
    except Exception:
        log.warning("closing the database session failed; its connections are dropped", exc_info=True)
        try:
            db.session().invalidate()  # the registry's Session: scoped_session has no invalidate() of its own
        except Exception:
            log.debug("invalidating the session failed too", exc_info=True)
        db.session.registry.clear()


def init_outage(app: Flask) -> None:
    """Register a teardown that runs before Flask-SQLAlchemy's (which then has nothing left to close).

    The errors themselves reach `outage_response` through web/errors.py's handlers: they arrive as
    SQLAlchemy errors or as a ProcessError that carries one.
    """
    app.teardown_appcontext(_safe_teardown)
