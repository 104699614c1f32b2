"""For the people who run Meldpunt: `GET /healthz`, `GET /readyz` and `GET /metrics` (docs/production.md).

No login, no CSRF (they are GETs) and no rate limit: a load balancer and Prometheus ask every few seconds.
/healthz touches nothing (the process answers); /readyz checks the database, the schema version and the
storage folder and answers 503 with one line per problem. /metrics wants `Authorization: Bearer
<MELDPUNT_METRICS_TOKEN>`; without a token configured it answers only a direct request from this machine
(loopback, and not passed on by a proxy: a proxy on the same machine would make every visitor local).
"""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from engine.settings import settings

from .i18n import translate

bp = Blueprint("ops", __name__)

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host")


def _text(body: str, status: int = 200, **headers: str) -> Response:
    response = Response(body + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and answers (no database: a database outage must not get it restarted)."""
    return _text("ok")


@bp.get("/favicon.ico")
def favicon() -> WerkzeugResponse:
    """Browsers that do not read the pages' `<link rel="icon">` ask this path: the same icon, not a 404 in the
    logs and the request metrics."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/readyz")
def readyz() -> Response:
    """Ready for traffic: database reachable, schema current, storage writable; else 503, a line per problem."""
    from .readiness import readiness_problems

    problems = readiness_problems()
    if problems:
        return _text("\n".join(problems), 503)
    return _text("ok")


def _direct_from_this_machine() -> bool:
    if "meldpunt.proxy_peer" in request.environ or any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus' text format, for a bearer of MELDPUNT_METRICS_TOKEN (or, without one, loopback only)."""
    token = settings().metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _text(translate("Geen toegang: stuur het token van MELDPUNT_METRICS_TOKEN als "
                                   "'Authorization: Bearer <token>'."), 401, **{"WWW-Authenticate": "Bearer"})
    elif not _direct_from_this_machine():
        return _text(translate("Geen toegang: zonder MELDPUNT_METRICS_TOKEN antwoordt /metrics alleen op deze "
                               "machine zelf (niet via een proxy)."), 403)
    from .metrics import CONTENT_TYPE, scrape

    return Response(scrape(), mimetype=None, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
