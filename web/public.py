"""Public pages: the start page and the tracking page of one case (no personal data).

The tracking page is the citizen's page for their case: what they reported (category, the place on a small
map or the address; never their own text, which may name them), the status, the handling group, the
expected date and the dated public timeline; while the city waits for their answer to a question, the
question and a form to answer it (web/tracking_answer.py); after closing, the feedback question. The token
in the link is the only key: the page shows nobody's name, e-mail address or phone number, not even the
reporter's own. A link from a mail may carry `?lang=en`: the page then keeps that language in the cookie
and drops the parameter (so the header's language switch works as everywhere).
"""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import NamedTuple, Optional

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file
from sqlalchemy import select

from engine import statuses
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseFile
from engine.timeline import events_of
from handlers.case_followers import follower_by_token, follower_progress
from handlers.feedback_links import (
    closing_event,
    feedback_state,
    feedback_url,
    feedback_window,
    make_token,
    rated_case,
)
from handlers.files import open_file
from handlers.merged_cases import original_progress, reader_filter
from handlers.privacy import scrub_text
from handlers.reporter_answers import MAX_ANSWER, open_question
from handlers.reporter_view import reporter_names

from .i18n import LANGUAGES, current_language
from .photo_upload import MAX_PHOTOS

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


def _language_from_link():
    """A mail's link with `?lang=`: keep the language in the cookie and show the page without the parameter."""
    lang = request.args.get("lang")
    if lang not in LANGUAGES:
        return None
    g.lang = lang
    response = redirect(request.path, 302)
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    response.headers.update(PRIVATE_HEADERS)
    return response


def _feedback_links(case: Case) -> Optional[dict[str, str]]:
    """The "are you satisfied?" links while the reporter can still answer for the current closing."""
    if case.kind != "melding" or case.status not in statuses.CLOSED or feedback_state(case) != "open":
        return None
    if case.duplicate_of_id is not None:  # a merged melding: within the window after its original's closing
        closed = closing_event(rated_case(case))
        if closed is None or closed.at + feedback_window(case) < utcnow():
            return None
    token = make_token(case)
    lang = current_language()
    return {"yes": feedback_url(token, True, lang), "no": feedback_url(token, False, lang)}


def tracking_page(case: Case, token: str, answer: Optional[dict] = None, status: int = 200):
    """The tracking page of `case`; `answer`: the answer form as it was sent (values, errors, photos_lost)."""
    # Texts written to one reporter may name them: every other reporter merged into the same case sees them hidden.
    readable = reader_filter(case, case) if case.kind == "melding" else (lambda text: text)
    events = [TrackedEvent(e.at, e.kind, e.status, readable(e.text))
              for e in events_of(case.id, public_only=True) if e.text]
    question = open_question(case)
    question_text = scrub_text(question.text, reporter_names(case)) if question is not None else None
    answer = answer or {}
    body = render_template("tracking.html", case=case, events=events, label=statuses.label,
                           closed=case.status in statuses.CLOSED, photos=_public_photos(case), token=token,
                           original=original_progress(case) if case.duplicate_of_id is not None else None,
                           question=question, question_text=question_text, values=answer.get("values", {}),
                           errors=answer.get("errors", {}), photos_lost=answer.get("photos_lost", False),
                           max_answer=MAX_ANSWER, max_photos=MAX_PHOTOS, feedback=_feedback_links(case))
    return body, status, PRIVATE_HEADERS


@bp.get("/volg/<token>")
def track(token: str):
    """The tracking page: what was reported, the dated public timeline, status, team, expected date and public
    photos of one case; the open question with its answer form; after closing the feedback question.

    A melding merged into another also shows the original's public progress, never its photos or links.
    """
    case = _tracked_case(token)
    return _language_from_link() or tracking_page(case, token)


@bp.get("/volg/mee/<token>")
def track_following(token: str):
    """The tracking page of a follower ("Ik meld hetzelfde"): the followed melding's public progress, with no
    photos, links or reporter data of it (handlers/case_followers.py)."""
    follower = follower_by_token(token)
    if follower is None:
        abort(404)
    switched = _language_from_link()
    if switched is not None:
        return switched
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
