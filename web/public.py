"""Public pages: the start page and the tracking page of one case (no personal data)."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import NamedTuple, Optional

from flask import Blueprint, abort, render_template, send_file
from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.models import Case, CaseFile
from engine.timeline import events_of
from handlers.case_followers import follower_by_token, follower_progress
from handlers.files import open_file
from handlers.merged_cases import original_progress, reader_filter

bp = Blueprint("public", __name__)


class TrackedEvent(NamedTuple):
    """One public timeline entry as the tracking page shows it."""

    at: datetime
    kind: str
    status: Optional[str]
    text: Optional[str]

TOKEN_MIN_LENGTH = 22  # 128 bits in URL-safe base64


@bp.get("/")
def index():
    """The start page: what Meldpunt is and where to go."""
    return render_template("index.html")


PRIVATE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _tracked_case(token: str) -> Case:
    case = None
    if len(token) >= TOKEN_MIN_LENGTH:
        case = db.session.scalar(select(Case).where(Case.tracking_token == token))
    if case is None:
        abort(404)
    return case


def _public_photos(case: Case) -> list[CaseFile]:
    return list(db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id, CaseFile.public.is_(True),
                                                          CaseFile.content_type.like("image/%"))
                                   .order_by(CaseFile.id)))


@bp.get("/volg/<token>")
def track(token: str):
    """The tracking page: dated public timeline, status, team, expected date and public photos of one case.

    A melding merged into another also shows the original's public progress, never its photos or links.
    """
    case = _tracked_case(token)
    # Texts written to one reporter may name them: every other reporter merged into the same case sees them hidden.
    readable = reader_filter(case, case) if case.kind == "melding" else (lambda text: text)
    events = [TrackedEvent(e.at, e.kind, e.status, readable(e.text))
              for e in events_of(case.id, public_only=True) if e.text]
    response = render_template("tracking.html", case=case, events=events, label=statuses.label,
                               closed=case.status in statuses.CLOSED, photos=_public_photos(case), token=token,
                               original=original_progress(case) if case.duplicate_of_id is not None else None)
    return response, 200, PRIVATE_HEADERS


@bp.get("/volg/mee/<token>")
def track_following(token: str):
    """The tracking page of a follower ("Ik meld hetzelfde"): the followed melding's public progress, with no
    photos, links or reporter data of it (handlers/case_followers.py)."""
    follower = follower_by_token(token)
    if follower is None:
        abort(404)
    label = partial(statuses.label, definition_id=follower.case.definition_id)
    return render_template("tracking_follower.html", reference=follower.case.reference, since=follower.created_at,
                           progress=follower_progress(follower), label=label), 200, PRIVATE_HEADERS


@bp.get("/volg/<token>/foto/<photo>")
def tracked_photo(token: str, photo: str):
    """A photo of the case that staff published, named by its own unguessable token (only through the case's
    own tracking token: another case's photo token is not found here)."""
    case = _tracked_case(token)
    found = next((p for p in _public_photos(case) if p.public_token == photo), None)
    if found is None:
        abort(404)
    return send_file(open_file(found), mimetype=found.content_type, max_age=0), 200, PRIVATE_HEADERS
