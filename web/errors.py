"""Every error as a clear message: JSON for the API, a Dutch page for the public site."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from engine.i18n import N_

from .i18n import translate
from .outage import is_outage, outage_response

log = logging.getLogger(__name__)

PAGE_TEXT = {404: "Deze pagina bestaat niet.", 405: N_("Deze actie is hier niet mogelijk."),
             413: N_("Het verstuurde bestand is te groot."), 429: N_("Te veel aanvragen; probeer het straks opnieuw."),
             500: N_("Er ging iets mis aan onze kant. Probeer het later opnieuw.")}


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
        return render_template("error.html", message=err.message, code=err.status_code), err.status_code

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        original = getattr(err, "original_exception", None)
        if original is not None:
            log.error("unexpected error", exc_info=original)
        if _wants_json():
            return jsonify({"error": err.name, "message": err.description}), err.code
        if request.path.startswith("/open311/"):  # e.g. an id past the BIGINT range: no route matched
            return open311_error(err.code, err.description)
        text = translate(PAGE_TEXT[err.code]) if err.code in PAGE_TEXT else err.description
        return render_template("error.html", message=text, code=err.code), err.code

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if is_outage(err):  # the database is away: 503 with Retry-After, not a 500
            return outage_response(err)
        log.exception("unexpected error")
        if _wants_json():
            return jsonify({"error": "Internal Server Error", "message": "an unexpected error occurred; "
                            "it has been logged"}), 500
        return render_template("error.html", message=translate(PAGE_TEXT[500]), code=500), 500
