"""Every error as a clear message: JSON for the API, a page in the reader's language (Dutch first) elsewhere."""
from __future__ import annotations

import logging
from typing import cast

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from .error_texts import error_message
from .i18n import N_, translate
from .outage import is_outage, outage_response

log = logging.getLogger(__name__)

# The page's text per HTTP status; Werkzeug's own descriptions are English and never shown on a page.
PAGE_TEXT = {400: N_("Dit verzoek kon niet verwerkt worden. Controleer wat u invulde en probeer opnieuw."),
             401: N_("Meld je aan om verder te gaan."),
             403: N_("U hebt geen toegang tot deze pagina."),
             404: N_("Deze pagina bestaat niet."), 405: N_("Deze actie is hier niet mogelijk."),
             410: N_("Deze pagina bestaat niet meer."),
             413: N_("Het verstuurde bestand is te groot."), 429: N_("Te veel aanvragen; probeer het straks opnieuw."),
             500: N_("Er ging iets mis aan onze kant. Probeer het later opnieuw.")}


def page_text(code: int) -> str:
    """The page's text for an HTTP status: its own, else the one for any refused request or server error."""
    return translate(PAGE_TEXT.get(code) or PAGE_TEXT[400 if code < 500 else 500])


def open311_error(code: int, description: str):
    """An error in the GeoReport v2 format, XML when the path ends in .xml."""
    from .open311 import render

    fmt = "xml" if request.path.endswith(".xml") else "json"
    return render(fmt, "errors", [{"code": code, "description": description}], code)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api, Dutch HTML pages elsewhere; never a bare traceback."""

    @app.errorhandler(EngineError)
    def engine_error(err: EngineError):
        if err.status_code >= 500 and is_outage(err):
            return outage_response(err)
        if err.status_code >= 500:
            log.error("case processing failed: %s", err.message)
        body = {"error": type(err).__name__, "message": err.message}
        fields = getattr(err, "fields", None)
        if fields:
            body["fields"] = fields
        if _wants_json():
            return jsonify(body), err.status_code
        return render_template("error.html", message=error_message(err), code=err.status_code), err.status_code

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        original = getattr(err, "original_exception", None)
        if original is not None:
            log.error("unexpected error", exc_info=original)
        if _wants_json():
            return jsonify({"error": err.name, "message": err.description}), err.code
        if request.path.startswith("/open311/"):  # e.g. an id past the BIGINT range: no route matched
            return open311_error(cast(int, err.code), cast(str, err.description))  # werkzeug's errors set both
        return render_template("error.html", message=page_text(cast(int, err.code)), code=err.code), err.code

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if is_outage(err):  # the database is away: 503 with Retry-After, not a 500
            return outage_response(err)
        log.exception("unexpected error")
        if _wants_json():
            return jsonify({"error": "Internal Server Error", "message": "an unexpected error occurred; "
                            "it has been logged"}), 500
        return render_template("error.html", message=page_text(500), code=500), 500
