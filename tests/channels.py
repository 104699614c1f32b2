"""The real ways a reporter and a contractor reach a case, for tests that play them.

Staff cannot send a citizen's or a contractor's messages (POST /api/v1/cases/<ref>/messages refuses
them), so tests answer the way those people do: the reporter clicks the feedback link in their closing
mail and sends the page's form, or replies to the question mail (taken in by the info mailbox intake);
the contractor sends the portal form behind the link in the order mail.
"""
from __future__ import annotations

import secrets
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Optional
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from intake.mail_intake import IntakeResult, take_in
from notifications.models import OutboxMessage

from .helpers import CSRF

FEEDBACK_ANSWERS = {True: "antwoord_ja", False: "antwoord_nee"}


def latest_mail(template: str, reference: str, recipient: Optional[str] = None) -> OutboxMessage:
    """The newest outbox row of `template` for the case `reference` (and `recipient`)."""
    db.session.expire_all()
    rows = [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                          .order_by(OutboxMessage.id))
            if m.data.get("reference") == reference and recipient in (None, m.recipient)]
    assert rows, f"no '{template}' mail for {reference} to {recipient or 'anyone'}"
    return rows[-1]


class _Browser:
    """A citizen's or contractor's browser: every request in a fresh app context, as in production (the
    test's own context would share `g`, and with it the CSRF token cached for another browser's session)."""

    def __init__(self, app=None) -> None:
        self.app = app or current_app._get_current_object()  # the tests run inside the app's context
        self.client = self.app.test_client()

    def get(self, path: str):
        with self.app.app_context():
            return self.client.get(path)

    def post(self, path: str, **kw):
        with self.app.app_context():
            return self.client.post(path, **kw)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def give_feedback(app, reference: str, satisfied: bool, *, answer: str = "", comment: str = "",
                  recipient: Optional[str] = None, url: Optional[str] = None):
    """The reporter opens the yes/no link of their closing mail and sends the form; returns the response."""
    if url is None:
        mail = latest_mail("afgesloten", reference, recipient)
        url = mail.data["feedback_yes_url" if satisfied else "feedback_no_url"]
    client = _Browser(app)
    path = _path(url)
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no form behind {path}: {page.status_code} {page.get_data(as_text=True)[:300]}"
    form = {"csrf_token": match.group(1), "tevreden": "ja" if satisfied else "nee", "opmerking": comment,
            FEEDBACK_ANSWERS[satisfied]: answer}
    return client.post(urlsplit(url).path, data=form)


def reply_by_mail(reference: str, text: str, sender: str = "melder@voorbeeld.example") -> IntakeResult:
    """The reporter answers the question mail; the mail comes in through the info mailbox intake."""
    question = latest_mail("informatie_gevraagd", reference, sender)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "info@stad.example"
    message["Subject"] = f"Re: Uw melding {reference}: we hebben meer informatie nodig"
    message["Message-ID"] = f"<reply.{secrets.token_hex(6)}@voorbeeld.example>"
    message["Date"] = format_datetime(utcnow())
    if question.message_id:
        message["In-Reply-To"] = question.message_id
    message.set_content(text)
    return take_in(message.as_bytes())


def contractor_reports(app, reference: str, result: str, *, planned_for: Optional[date] = None, note: str = ""):
    """The contractor opens the link of the order mail and sends the portal form; returns the response."""
    url = latest_mail("aannemer_opdracht", reference).data["portal_url"]
    client = _Browser(app)
    path = urlsplit(url).path
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no form behind {path}"
    form = {"csrf_token": match.group(1), "result": result, "note": note}
    if planned_for is not None:
        form["planned_for"] = planned_for.strftime("%d/%m/%Y")
    return client.post(path, data=form, content_type="multipart/form-data")
