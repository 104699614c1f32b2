"""Staff JSON API (/api/v1), token authenticated, and its OpenAPI document (/api/openapi.json)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import case_versions, cases, contacts, openapi, outbox, processes, work_items  # noqa: E402,F401

from . import categories  # noqa: E402,F401  # isort: skip
