"""The reporter's feedback links in the 'afgesloten' mail: a signed, expiring token per closing of a case.

Whoever holds the mail may answer "tevreden? ja/nee" once, without an account. The token names the
case, is bound to its tracking token (without revealing it) and to the closing it was mailed for, so
a link from an earlier closing cannot answer for a later one after the case was reopened.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional
from urllib.parse import urlencode

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engine import model_forms, statuses
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from engine.pending_rows import KEY as PENDING_ROWS
from engine.settings import settings

from .signed_links import LinkError, LinkExpired, LinkInvalid, load_signed, serializer

SALT = "feedback"
MAX_TOKEN_LENGTH = 300  # ours are under 100 characters; refuse anything absurd before parsing it
# The signature's own age limit: far beyond any feedback window; the case's model decides the real one.
SIGNATURE_MAX_DAYS = 3650.0
LINK_LANGUAGES = ("en",)  # languages the public pages offer besides Dutch (named in the link)
WAITING_STATUS = "afgesloten"  # the status of the receive task that waits for the feedback message
REVIEW_STATUS = "heropenverzoek"  # the status of the task that reviews a reopen request


# The shared link errors under the names the feedback page uses.
FeedbackLinkError = LinkError
FeedbackLinkInvalid = LinkInvalid
FeedbackLinkExpired = LinkExpired


class FeedbackLinkTooLate(FeedbackLinkExpired):
    """A genuine link for the current closing, older than the feedback window of the case's model."""

    def __init__(self, message: str, case: Case, days: float) -> None:
        super().__init__(message)
        self.case = case
        self.days = days


class FeedbackLinkSuperseded(FeedbackLinkError):
    """A genuine token for an earlier closing: the case was reopened and closed again since."""

    status_code = 410
    reason = "superseded"


@dataclass
class FeedbackLink:
    """What a valid link gives access to: the case and until when the link may be used."""

    case: Case
    valid_until: datetime


def feedback_days() -> float:
    """The fallback validity of a feedback link, for a model without a feedback timer (MELDPUNT_FEEDBACK_DAYS)."""
    return float(settings().feedback_days)


def feedback_window(case: Case) -> timedelta:
    """How long the reporter may answer after a closing: the timer on the model's feedback wait (the task with
    status 'afgesloten') in the case's own definition; MELDPUNT_FEEDBACK_DAYS only for a model without one."""
    window = model_forms.status_window(case.definition_id, WAITING_STATUS)
    return window if window is not None else timedelta(days=feedback_days())


def window_days(case: Case) -> float:
    """The feedback window of the case in days, as texts name it (7, not 7.0)."""
    days = feedback_window(case).total_seconds() / 86400
    return int(days) if days == int(days) else round(days, 1)


def _serializer() -> URLSafeTimedSerializer:
    return serializer(SALT)


def _binding(case: Case) -> str:
    """A short digest of the case's tracking token: ties the link to this case without revealing the token."""
    return hashlib.sha256(case.tracking_token.encode()).hexdigest()[:12]


def rated_case(case: Case) -> Case:
    """The case whose closing a feedback link rates: a melding merged into another rates that original's."""
    if case.duplicate_of_id is not None:
        return db.session.get(Case, case.duplicate_of_id) or case
    return case


def closing_round(case: Case) -> int:
    """How many times the case was closed, counting a closing still being written in this transaction."""
    committed = db.session.scalar(select(func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "closed")) or 0
    pending = db.session.info.get(PENDING_ROWS, {}).get(CaseEvent, [])
    return committed + sum(1 for row in pending if row.get("case_id") == case.id and row.get("kind") == "closed")


def make_token(case: Case) -> str:
    """A signed token for the case's current closing; the signature carries the time of issue.

    A merged melding gets a token of its own (its reporter answers on their own case), counted in the
    closings of its original: a new closing of the original supersedes it.
    """
    return _serializer().dumps({"case": case.id, "bind": _binding(case), "round": closing_round(rated_case(case))})


def feedback_url(token: str, satisfied: bool, language: Optional[str] = None) -> str:
    """The absolute link for one answer; `lang` is added for a reporter who reads English."""
    base = settings().base_url.rstrip("/")
    query = {"tevreden": "ja" if satisfied else "nee"}
    if language in LINK_LANGUAGES:
        query["lang"] = language
    return f"{base}/feedback/{token}?{urlencode(query)}"


def feedback_urls(case: Case, language: Optional[str] = None) -> dict[str, str]:
    """`feedback_yes_url` and `feedback_no_url` for the closing mail (absolute, one token for both)."""
    token = make_token(case)
    return {"feedback_yes_url": feedback_url(token, True, language),
            "feedback_no_url": feedback_url(token, False, language)}


def feedback_yes_url(case: Case, language: Optional[str] = None) -> str:
    """The "ja, tevreden" link of the closing mail."""
    return feedback_url(make_token(case), True, language)


def feedback_no_url(case: Case, language: Optional[str] = None) -> str:
    """The "nee, niet tevreden" link of the closing mail."""
    return feedback_url(make_token(case), False, language)


def _load(token: str) -> tuple[dict, datetime]:
    data, issued = load_signed(token, SALT, SIGNATURE_MAX_DAYS, MAX_TOKEN_LENGTH)
    if not (isinstance(data, dict) and isinstance(data.get("case"), int) and isinstance(data.get("bind"), str)
            and isinstance(data.get("round"), int)):
        raise FeedbackLinkInvalid("unexpected payload")
    return data, issued


def check_token(token: str) -> None:
    """FeedbackLinkInvalid unless the token is ours (no database: how long it stays valid depends on the case's
    model, checked by read_token)."""
    _load(token)


def read_token(token: str) -> FeedbackLink:
    """The case a feedback link is for; a FeedbackLinkError when the link cannot be used."""
    data, issued = _load(token)
    case = db.session.get(Case, data["case"])
    if case is None or _binding(case) != data["bind"]:
        raise FeedbackLinkInvalid("the case no longer exists")
    valid_until = issued + feedback_window(case)
    if utcnow() > valid_until:
        raise FeedbackLinkTooLate("the link has expired", case, window_days(case))
    if closing_round(rated_case(case)) != data["round"]:
        raise FeedbackLinkSuperseded("the link belongs to an earlier closing of the case")
    return FeedbackLink(case, valid_until)


def closing_event(case: Case) -> Optional[CaseEvent]:
    """The latest 'closed' event of the case: its public text says what the reporter is rating."""
    return db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "closed")
                             .order_by(CaseEvent.id.desc()).limit(1))


def feedback_given(case: Case) -> Optional[CaseEvent]:
    """The reporter's answer to the current closing, if there is one."""
    query = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "feedback")
    if case.duplicate_of_id is not None:  # a merged melding: answers are counted per closing of the original
        current = closing_round(rated_case(case))
        answers = db.session.scalars(query.order_by(CaseEvent.id.desc()))
        return next((e for e in answers if (e.data or {}).get("round") == current), None)
    closed = closing_event(case)
    if closed is not None:
        query = query.where(CaseEvent.id > closed.id)
    return db.session.scalar(query.order_by(CaseEvent.id.desc()).limit(1))


def feedback_state(case: Case) -> str:
    """Whether the reporter of `case` can still answer for the current closing.

    'answered' once they did; 'open' while the process waits for the answer, while a reopen request
    raised by a merged reporter is being reviewed (the answer is then recorded beside it), and for a
    merged melding throughout its link's validity (handlers/feedback_giving.py decides what the answer
    does); 'reopened' when the case is being handled again; else 'over' (the period ended).
    """
    if feedback_given(case) is not None:
        return "answered"
    if case.duplicate_of_id is not None:
        return "open"
    if case.status in (WAITING_STATUS, REVIEW_STATUS) and not case.completed:
        return "open"
    if not case.completed and case.status not in statuses.CLOSED:
        return "reopened"
    return "over"
