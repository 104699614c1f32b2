"""Staff pages: meldkamer, group queues, case page, contractor orders, administration."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import admin, cases, dashboard, privacy_admin, queues, routing_admin  # noqa: E402,F401
from . import mail_admin  # noqa: E402,F401
from . import post  # noqa: E402,F401
