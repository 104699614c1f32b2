"""Service-task operators of the infomail process (bpmn/infomail.bpmn): triage by the onthaal and answers.

A mail case keeps the mail's own facts in its process data (subject, sender, Message-ID); its text is
the case description. Answers leave as outbox rows from the info address, in the citizen's thread.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Optional

from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.models import Case, CaseFile
from engine.registry import ServiceContext
from engine.runtime import start_case
from engine.settings import settings
from engine.timeline import add_event
from notifications.outbox import queue_mail, tracking_url

from .actions import escalate_once
from .calendar import CITY_TZ, add_working_days
from .groups import group_by_key
from .models import ONTHAAL, Category
from .routing import RoutingSample, record_suggestion
from .storage import copy_with_transaction, new_key

NO_GROUP_REASON = "Geen regel of categorie: het onthaal kiest de groep"
# "Re:", "Antw:", "AW:", "Fwd:"... in front of a subject, and our own reference in it.
_REPLY_PREFIX = re.compile(r"^\s*((re|antw|aw|sv|fw|fwd|tr|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_REFERENCE = re.compile(r"\s*\[[A-Z]\d{4}-\d{6}\]")


def info_address() -> str:
    """The address answers are sent from: MELDPUNT_INFO_ADDRESS, else the general sender."""
    return settings().info_address or settings().mail_from


def clean_subject(subject: Optional[str]) -> str:
    """The subject without reply prefixes and without our reference (the answer template adds both)."""
    text = _REFERENCE.sub("", subject or "")
    return _REPLY_PREFIX.sub("", text).strip()


def mail_subject(data: dict[str, Any]) -> str:
    """The subject of the mail a case came from (empty when it had none)."""
    return str(data.get("subject") or "")


@registry.service("mail.register", sets=("acknowledge", "subject", "message_id", "from", "thread_ids", "answered_by"))
def register_mail(ctx: ServiceContext) -> None:
    """Put the mail's facts in a fixed shape, whatever the intake passed along."""
    data = ctx.data
    data["acknowledge"] = data.get("acknowledge") is True
    data["subject"] = mail_subject(data)[:998]
    data["message_id"] = data.get("message_id") or None
    sender = data.get("from") or (ctx.case.reporter.email if ctx.case.reporter is not None else None)
    data["from"] = sender
    data["thread_ids"] = [data["message_id"]] if data["message_id"] else []
    data["answered_by"] = None


@registry.service("mail.suggest_group")
def suggest_group(ctx: ServiceContext) -> dict:
    """Suggest a group with the routing rules of meldingen, on the mail's subject and text, channel mail."""
    sample = RoutingSample(description=f"{mail_subject(ctx.data)}\n{ctx.case.description or ''}",
                           category=ctx.case.category, channel="mail")
    return record_suggestion(ctx, sample, NO_GROUP_REASON)


@registry.service("mail.send_answer", sets=("answered_by", "reply_window"))
def send_answer(ctx: ServiceContext, by: str) -> dict:
    """Mail the answer to the citizen from the info address, in their thread; then wait for a reply."""
    case, data = ctx.case, ctx.data
    text = (data.get("answer_text") or "").strip()
    if not text:
        raise ValueError("no answer text")
    reporter = case.reporter
    address = (reporter.email if reporter is not None else None) or data.get("from")
    language = reporter.language if reporter is not None else "nl"
    thread = [i for i in data.get("thread_ids") or [] if i]
    failing = reporter is not None and reporter.email_failed_at is not None and address == reporter.email
    if failing and reporter is not None and reporter.email_failed_at is not None:  # refused or bounced:
        # the answer stays on the tracking page only
        day = reporter.email_failed_at.astimezone(CITY_TZ).strftime("%d/%m/%Y")
        add_event(case, "mail_skipped", note=f"Antwoord niet gemaild: e-mailadres werkt niet (bounce op {day})",
                  data={"template": "antwoord_mail", "reason": "email_failed"})
    elif address:
        queue_mail(case, address, "antwoord_mail", language=language, data={
            "mail_subject": clean_subject(mail_subject(data)), "answer_text": text,
            "tracking_url": tracking_url(case, language),
            "name": reporter.name if reporter is not None else None, "from_address": info_address(),
            "in_reply_to": thread[-1] if thread else None, "references": " ".join(thread[-10:]) or None})
    else:
        add_event(case, "mail_skipped", note="Antwoord niet gemaild: geen e-mailadres van de afzender")
    add_event(case, "answer_sent", actor=ctx.actor, user_id=ctx.user_id, public=True, text=text,
              data={"by": by, "to": address, "group": case.group.key if by == "group" and case.group else None})
    data["answered_by"] = by
    data["reply_window"] = f"P{settings().mail_reply_days}D"
    return {"to": address}


@registry.service("mail.record_reply", sets=("thread_ids", "deadline", "answer_days"))
def record_reply(ctx: ServiceContext) -> None:
    """Keep the citizen's reply in the thread; a group that answered gets a fresh answer deadline."""
    case, data = ctx.case, ctx.data
    reply = data.get("reply") or {}
    if reply.get("message_id"):
        data["thread_ids"] = [*(data.get("thread_ids") or []), reply["message_id"]]
    add_event(case, "citizen_reply", actor="melder", note=reply.get("text"),
              data={"message_id": reply.get("message_id"), "subject": reply.get("subject"),
                    "to": data.get("answered_by")})
    if data.get("answered_by") == "group":
        _set_deadline(ctx, int(data.get("answer_days") or _default_answer_days()))


@registry.service("mail.close_no_reply")
def close_no_reply(ctx: ServiceContext) -> None:
    """No reply came within the reply window: the question counts as answered."""
    add_event(ctx.case, "closed", actor="systeem", note="Geen reactie van de afzender binnen de termijn: afgesloten")


@registry.service("mail.close_no_answer")
def close_no_answer(ctx: ServiceContext) -> None:
    """Spam, a newsletter, a thank-you: closed without answer, with the onthaal's internal reason."""
    add_event(ctx.case, "closed_no_answer", actor=ctx.actor, user_id=ctx.user_id,
              note=ctx.data.get("reason"), data={"reason": ctx.data.get("reason")})


def _default_answer_days() -> int:
    return settings().mail_answer_days


def _set_deadline(ctx: ServiceContext, days: int) -> str:
    deadline = add_working_days(ctx.now, days)
    ctx.case.deadline_at = deadline
    ctx.data["deadline"] = deadline.isoformat()
    ctx.data["answer_days"] = days
    return ctx.data["deadline"]


@registry.service("mail.route", sets=("deadline", "answer_days"))
def route_to_group(ctx: ServiceContext) -> dict:
    """Give the mail to the chosen (or suggested) group with an answer deadline in working days."""
    case, data = ctx.case, ctx.data
    group = group_by_key(data.get("group")) or case.suggested_group
    if group is None:
        raise ValueError("no handler group chosen and none suggested")
    case.group = group
    days = int(data.get("days") or _default_answer_days())
    deadline = _set_deadline(ctx, days)
    add_event(case, "dispatched", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Doorgestuurd naar {group.name}", note=data.get("note"),
              data={"group": group.key, "deadline": deadline, "working_days": days})
    return {"group": group.key, "deadline": deadline}


@registry.service("mail.escalate", sets=("escalated_for",))
def escalate(ctx: ServiceContext) -> None:
    """Tell the group's leads and the onthaal that the answer deadline passed (once per deadline)."""
    escalate_once(ctx, "escalatie_mail", ONTHAAL,
                  "Antwoordtermijn verstreken: groepsverantwoordelijke en onthaal verwittigd",
                  {"mail_subject": mail_subject(ctx.data)})


@registry.service("mail.send_back")
def send_back(ctx: ServiceContext) -> None:
    """The group returns the mail to the onthaal, with its reason (shown where the suggestion normally is)."""
    case = ctx.case
    group = case.group
    case.group = None
    case.deadline_at = None
    case.suggested_group_id = None
    reason = (ctx.data.get("reason") or "").strip()
    case.suggestion_reason = f"Teruggestuurd door {group.name if group else 'de behandelaarsgroep'}: {reason}"
    add_event(case, "sent_back", actor=ctx.actor, user_id=ctx.user_id, note=reason,
              data={"from_group": group.key if group else None})


def copy_files(source: Case, target: Case, actor: str) -> list[CaseFile]:
    """Copy every file of `source` to `target` (a new stored file each: deleting one leaves the other)."""
    copies = []
    for stored in db.session.scalars(select(CaseFile).where(CaseFile.case_id == source.id).order_by(CaseFile.id)):
        key = new_key(target.id, PurePosixPath(stored.storage_key).suffix)
        copy_with_transaction(stored.storage_key, key, stored.content_type)
        copy = CaseFile(case_id=target.id, filename=stored.filename, content_type=stored.content_type,
                        size=stored.size, storage_key=key, sha256=stored.sha256, public=False,
                        source=stored.source, uploaded_by=actor)
        db.session.add(copy)
        copies.append(copy)
    return copies


@registry.service("mail.convert", sets=("melding",))
def convert_to_melding(ctx: ServiceContext) -> dict:
    """Start a melding with the mail's text, sender and attachments; both cases point to each other.

    The melding is created in this same transaction: if anything fails, neither case changes. Its own
    process sends the reporter the melding's receipt mail.
    """
    case, data = ctx.case, ctx.data
    category = None
    if data.get("category"):
        category = db.session.scalar(select(Category).where(Category.key == data["category"],
                                                            Category.active.is_(True)))
        if category is None:
            raise ValueError(f"no active category '{data['category']}'")
    subject = mail_subject(data)
    description = case.description or subject
    melding = start_case(kind="melding", process_key="melding", actor=ctx.actor, user_id=ctx.user_id,
                         fields={"description": description, "channel": "mail", "category": category,
                                 "reporter": case.reporter}, commit=False)
    copies = copy_files(case, melding, ctx.actor)
    add_event(melding, "converted_from", actor=ctx.actor, user_id=ctx.user_id,
              note=f"Aangemaakt uit infomail {case.reference}" + (f" ({subject})" if subject else ""),
              data={"mail": case.reference, "files": len(copies)})
    add_event(case, "converted", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Omgezet naar melding {melding.reference}", note=data.get("note"),
              data={"melding": melding.reference, "files": len(copies)})
    data["melding"] = melding.reference
    return {"melding": melding.reference}
