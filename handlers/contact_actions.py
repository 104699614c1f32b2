"""Service-task operators of the hand-over process (bpmn/contact.bpmn): a contact the first line could not answer
goes to a handler group's queue with an answer deadline and the warm-handover note.

The process starts with the data intake/contacts.py gives it (handlers/case_kinds.START_DATA["contact"]): the
group's key, the answer deadline (ISO), who took the call, the desk they took it for, and the note.
"""
from __future__ import annotations

from datetime import datetime

from engine import registry
from engine.registry import ServiceContext
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .actions import escalate_once
from .groups import group_by_key
from .models import ONTHAAL
from .post_actions import group_addresses


@registry.service("contact.hand_over")
def hand_over(ctx: ServiceContext) -> dict:
    """Put the case in the chosen group's queue with its deadline; note who took the call and the handover note,
    and mail the group."""
    case, data = ctx.case, ctx.data
    group = group_by_key(data.get("group"))
    if group is None or group.kind != "internal":
        raise ValueError(f"'{data.get('group')}' is not an active handler group")
    case.group = group
    deadline = data.get("deadline")
    case.deadline_at = datetime.fromisoformat(deadline) if deadline else None
    taken_by = data.get("taken_by") or ctx.actor
    add_event(case, "dispatched", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Doorgestuurd naar {group.name}", data={"group": group.key, "deadline": deadline})
    add_event(case, "contact_handover", actor=taken_by, user_id=ctx.user_id,
              note=data.get("note") or None,
              data={"group": group.key, "taken_by": taken_by, "desk": data.get("desk"), "deadline": deadline})
    desk = group_by_key(data.get("desk"))
    for address in group_addresses(group):
        queue_mail(case, address, "overdracht", recipient_kind="medewerker",
                   data={"from_group": desk.name if desk is not None else None, "note": data.get("note") or "",
                         "by": taken_by})
    return {"group": group.key}


@registry.service("contact.answered")
def record_answer(ctx: ServiceContext) -> dict:
    """The group answered the citizen: keep the answer on the case's timeline (the case then closes)."""
    text = (ctx.data.get("answer_text") or "").strip()
    add_event(ctx.case, "contact_answered", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text="Uw vraag werd beantwoord", note=text or None)
    return {"answered": bool(text)}


@registry.service("contact.escalate", sets=("escalated_for",))
def escalate_contact(ctx: ServiceContext) -> None:
    """The answer deadline passed: tell the group's leads and the onthaal (once per deadline)."""
    escalate_once(ctx, "escalatie", ONTHAAL,
                  "Antwoordtermijn verstreken: groepsverantwoordelijke en onthaal verwittigd")
