"""Public pages: the start page and the tracking page of one case (no personal data)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.models import Case
from engine.timeline import events_of

bp = Blueprint("public", __name__)

TOKEN_MIN_LENGTH = 22  # 128 bits in URL-safe base64


@bp.get("/")
def index():
    """The start page: what Meldpunt is and where to go."""
    return render_template("index.html")


@bp.get("/volg/<token>")
def track(token: str):
    """The tracking page: dated public timeline, status, team and expected date of one case."""
    case = None
    if len(token) >= TOKEN_MIN_LENGTH:
        case = db.session.scalar(select(Case).where(Case.tracking_token == token))
    if case is None:
        abort(404)
    events = [e for e in events_of(case.id, public_only=True) if e.text]
    response = render_template("tracking.html", case=case, events=events, label=statuses.label,
                               closed=case.status in statuses.CLOSED)
    return response, 200, {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store",
                           "Referrer-Policy": "no-referrer"}
