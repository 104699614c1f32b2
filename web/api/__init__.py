"""Staff JSON API (/api/v1), token authenticated, and its OpenAPI document (/api/openapi.json)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import cases, openapi, outbox, processes, work_items  # noqa: E402,F401
