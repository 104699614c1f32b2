"""Service-task operators of the incoming-post process (bpmn/post.bpmn)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.registry import ServiceContext
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .actions import escalate_once
from .calendar import CITY_TZ
from .files import store_file
from .groups import group_by_key
from .letters import make_reply, replies_of
from .models import ONTHAAL, HandlerGroup, User
from .post_models import LetterText, PostLetter


@dataclass
class IncomingLetter:
    """A letter being registered: its row (not yet in the session) and its checked scan."""

    letter: PostLetter
    scan: Any  # intake.post_intake.Scan
    case_id: Optional[int] = None


# The registration page hands the letter to the process's first step through this, for the duration of
# start_case: the scan's bytes never go into process data, and the new case has no row to attach to yet.
_incoming: ContextVar[Optional[IncomingLetter]] = ContextVar("incoming_letter", default=None)


@contextmanager
def incoming_letter(letter: PostLetter, scan: Any) -> Iterator[IncomingLetter]:
    """Make `letter` and its scan available to the `post.register` step of the case started inside."""
    incoming = IncomingLetter(letter, scan)
    token = _incoming.set(incoming)
    try:
        yield incoming
    finally:
        _incoming.reset(token)


def letter_of(case_id: int) -> Optional[PostLetter]:
    """The registered letter of a post case (also the one registered in this very transaction)."""
    incoming = _incoming.get()
    if incoming is not None and incoming.case_id == case_id:
        return incoming.letter
    return db.session.scalar(select(PostLetter).where(PostLetter.case_id == case_id))


def _letter(ctx: ServiceContext) -> PostLetter:
    letter = letter_of(ctx.case.id)
    if letter is None:
        raise ValueError(f"case {ctx.case.reference} has no registered letter")
    return letter


def _route(ctx: ServiceContext, group_key: Optional[str]) -> HandlerGroup:
    group = group_by_key(group_key)
    if group is None or group.kind != "internal":
        raise ValueError(f"'{group_key}' is not an active handler group")
    ctx.case.group = group
    deadline = ctx.data.get("deadline")
    ctx.case.deadline_at = datetime.fromisoformat(deadline) if deadline else None
    add_event(ctx.case, "dispatched", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Doorgestuurd naar {group.name}", data={"group": group.key, "deadline": deadline})
    return group


@registry.service("post.register")
def register_letter(ctx: ServiceContext) -> dict:
    """Keep the letter's row and its scan (a case file) and route it to the group chosen at registration."""
    incoming = _incoming.get()
    if incoming is None or incoming.case_id is not None:
        raise ValueError("no letter to register: post is registered through the registration page")
    incoming.case_id = ctx.case.id
    letter, scan = incoming.letter, incoming.scan
    letter.case_id = ctx.case.id
    letter.scan_file = store_file(ctx.case, scan.content, scan.filename, source="post", uploaded_by=ctx.actor,
                                  allowed=("application/pdf",), field="scan")
    letter.scan_pages = scan.pages
    db.session.add(letter)
    # The worker reads the scan's text afterwards (handlers/letter_ocr.py); registering never waits for it.
    db.session.add(LetterText(letter=letter, case_id=ctx.case.id, status="pending", attempts=0, pages_read=0,
                              text_layer_pages=0, unread_pages=0))
    group = _route(ctx, ctx.data.get("group"))
    return {"group": group.key}


def _addresses(users: list[User]) -> list[str]:
    return [u.email for u in users if u.email and u.active]


def group_addresses(group: Optional[HandlerGroup]) -> list[str]:
    """Where a group is told something: its own address, else its active members."""
    if group is None:
        return []
    return [group.email] if group.email else _addresses(group.members)


@registry.service("post.inform_group")
def inform_group(ctx: ServiceContext) -> dict:
    """A letter for information only: tell the group it received it, and close the case."""
    case, letter = ctx.case, _letter(ctx)
    recipients = group_addresses(case.group)
    for address in recipients:
        queue_mail(case, address, "post_ter_info", recipient_kind="medewerker",
                   data={"letter_subject": letter.subject, "group": case.group.name, "sender": letter.sender_name})
    add_event(case, "informed", actor="systeem", public=True,
              text=f"Ter informatie bezorgd aan {case.group.name}", data={"to": recipients})
    return {"informed": len(recipients)}


@registry.service("post.escalate", sets=("escalated_for",))
def escalate_letter(ctx: ServiceContext) -> None:
    """The answer deadline passed: tell the group's leads and the onthaal (once per deadline)."""
    escalate_once(ctx, "post_escalatie", ONTHAAL,
                  "Antwoordtermijn verstreken: groepsverantwoordelijke en onthaal verwittigd",
                  {"letter_subject": _letter(ctx).subject})


@registry.service("post.send_back")
def send_back_to_onthaal(ctx: ServiceContext) -> None:
    """The group sends the letter back to the onthaal for re-routing, with its reason."""
    case = ctx.case
    group = case.group
    reason = (ctx.data.get("reroute_reason") or "").strip()
    case.group = None
    text = db.session.scalar(select(LetterText).where(LetterText.case_id == case.id))
    case.suggested_group_id = text.suggested_group_id if text is not None else None  # what the letter says
    case.suggestion_reason = f"Teruggestuurd door {group.name if group else 'de behandelaarsgroep'}: {reason}"
    add_event(case, "sent_back", actor=ctx.actor, user_id=ctx.user_id, note=reason,
              data={"from_group": group.key if group else None})


@registry.service("post.reroute")
def reroute_letter(ctx: ServiceContext) -> dict:
    """The onthaal routes the letter again; the answer deadline stays the legal one."""
    group = _route(ctx, ctx.data.get("group"))
    ctx.case.suggestion_reason = None
    return {"group": group.key}


@registry.service("post.make_letter", sets=("letter_version",))
def make_letter(ctx: ServiceContext) -> dict:
    """Produce the next version of the reply letter (DOCX) from the handler's text."""
    text = (ctx.data.get("answer_text") or "").strip()
    if not text:
        raise ValueError("no answer text to put in the letter")
    today = ctx.now.astimezone(CITY_TZ).date()
    reply = make_reply(ctx.case, text, handler_name=ctx.actor, handler_id=ctx.user_id, letter_date=today)
    add_event(ctx.case, "letter_made", actor=ctx.actor, user_id=ctx.user_id,
              note=f"Antwoordbrief versie {reply.version} opgemaakt", data={"version": reply.version})
    ctx.data["letter_version"] = reply.version
    return {"version": reply.version}


@registry.service("post.mark_sent")
def mark_sent(ctx: ServiceContext) -> dict:
    """The reply letter went out: note the date on the letter and on the public timeline."""
    sent_on = date.fromisoformat(ctx.data["sent_on"])
    replies = replies_of(ctx.case.id)
    if not replies:
        raise ValueError("no reply letter was made for this case")
    reply = replies[-1]
    reply.sent_on = sent_on
    add_event(ctx.case, "letter_sent", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Antwoord per brief verstuurd op {sent_on.strftime('%d/%m/%Y')}",
              data={"version": reply.version, "file_id": reply.file_id, "sent_on": sent_on.isoformat()})
    return {"version": reply.version}
