"""Service-task operators of the melding process that change who handles a case and by when."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import bindparam, select

from engine import registry
from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.models import Case
from engine.registry import ServiceContext
from engine.settings import settings
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .calendar import add_working_days
from .groups import group_by_key, leads_and_desk
from .merged_cases import duplicates_of, original_for
from .models import MELDKAMER, Category, HandlerGroup

DEFAULT_DEADLINE_DAYS = 10
NO_GROUP = N_("Kies een behandelaarsgroep: er is geen (actief) voorstel voor deze melding.")


def usable_suggestion(case: Optional[Case]):
    """The suggested group when it can still take the case (an active internal group), else None."""
    group = case.suggested_group if case is not None else None
    return group if group is not None and group.active and group.kind == "internal" else None


# Asked on every triage dispatch; built once, so SQLAlchemy reuses its cache key and compiled form.
_SUGGESTED_GROUP = (select(HandlerGroup.active, HandlerGroup.kind)
                    .join(Case, Case.suggested_group_id == HandlerGroup.id).where(Case.id == bindparam("case_id")))


def suggestion_usable(case_id: Optional[int]) -> bool:
    """Whether the case's suggested group can take it (the triage form's check before a dispatch without a
    chosen group); True when no case is known, leaving it to case.dispatch.

    A completion validates its form on the case it has locked, loaded with its suggested group
    (engine/task_completion.py): the session's case answers without a query. Without it, one small query."""
    if case_id is None:
        return True
    held = db.session.identity_map.get(db.session.identity_key(Case, case_id))
    if held is not None:
        return usable_suggestion(held) is not None
    row = db.session.execute(_SUGGESTED_GROUP, {"case_id": case_id}).first()
    return row is not None and bool(row.active) and row.kind == "internal"


@registry.service("case.dispatch", sets=("deadline",))
def dispatch_to_group(ctx: ServiceContext) -> dict:
    """Give the case to the chosen (or suggested) group and set its deadline in working days."""
    case, data = ctx.case, ctx.data
    if data.get("category"):
        case.category = db.session.scalar(select(Category).where(Category.key == data["category"]))
    group = group_by_key(data.get("group")) if data.get("group") else usable_suggestion(case)
    if group is None or group.kind != "internal":
        # The triage form refuses this before the process runs; a group switched off meanwhile ends here.
        raise InvalidInput("no active handler group", {"group": [NO_GROUP]})
    case.group = group
    days = case.category.deadline_days if case.category is not None else DEFAULT_DEADLINE_DAYS
    deadline = add_working_days(ctx.now, days)
    case.deadline_at = deadline
    data["deadline"] = deadline.isoformat()
    add_event(case, "dispatched", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Doorgestuurd naar {group.name}", note=data.get("note"),
              data={"group": group.key, "deadline": data["deadline"], "working_days": days})
    return {"group": group.key, "deadline": data["deadline"]}


@registry.service("case.refer")
def refer_elsewhere(ctx: ServiceContext) -> None:
    """Close the case as referred elsewhere, with the public explanation for the reporter."""
    add_event(ctx.case, "referred", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=ctx.data.get("public_text"), note=ctx.data.get("note"))


@registry.service("case.mark_duplicate", sets=("duplicate_of",))
def mark_duplicate(ctx: ServiceContext) -> None:
    """Link the case to its original; its reporter then follows the original's progress with their own links.

    Cases merged into this one follow its original from now on, so every duplicate points at a case
    that is not a duplicate itself. The triage form refused a wrong reference already; this check
    only catches a change in between (the original marked a duplicate meanwhile), as a form error.
    """
    original = original_for(ctx.case, ctx.data.get("duplicate_of"))
    ctx.data["duplicate_of"] = original.reference
    ctx.case.duplicate_of = original
    add_event(ctx.case, "duplicate", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=f"Dezelfde melding werd al gedaan ({original.reference}); u krijgt de opvolging daarvan.",
              data={"original": original.reference})
    add_event(original, "duplicate_linked", actor=ctx.actor, user_id=ctx.user_id,
              note=f"Dubbele melding {ctx.case.reference} gekoppeld", data={"duplicate": ctx.case.reference})
    for follower in duplicates_of(ctx.case):
        follower.duplicate_of = original
        add_event(follower, "duplicate", actor=ctx.actor, user_id=ctx.user_id,
                  note=f"{ctx.case.reference} is zelf een dubbel van {original.reference}: deze melding volgt nu "
                       f"{original.reference}", data={"original": original.reference, "via": ctx.case.reference})
        add_event(original, "duplicate_linked", actor=ctx.actor, user_id=ctx.user_id,
                  note=f"Dubbele melding {follower.reference} gekoppeld (via {ctx.case.reference})",
                  data={"duplicate": follower.reference})


def escalate_once(ctx: ServiceContext, template: str, desk_key: str, note: str,
                  mail_data: Optional[dict] = None) -> None:
    """Mail the group's leads and the desk that the deadline passed: once per deadline, noted on the timeline."""
    case, data = ctx.case, ctx.data
    if data.get("escalated_for") == data.get("deadline"):
        return
    data["escalated_for"] = data.get("deadline")
    recipients = leads_and_desk(case.group, desk_key)
    for address in recipients:
        queue_mail(case, address, template, recipient_kind="medewerker",
                   data={"deadline": data.get("deadline"), "group": case.group.name if case.group else None,
                         **(mail_data or {})})
    add_event(case, "escalated", actor="systeem", note=note, data={"deadline": data.get("deadline"),
                                                                   "to": recipients})


@registry.service("case.escalate", sets=("escalated_for",))
def escalate(ctx: ServiceContext) -> None:
    """Tell the group's leads and the meldkamer that the deadline passed (once per deadline)."""
    escalate_once(ctx, "escalatie", MELDKAMER,
                  "Afhandeltermijn verstreken: groepsverantwoordelijke en meldkamer verwittigd")


@registry.service("deadline.pause", sets=("paused_at", "reaction_window"))
def pause_deadline(ctx: ServiceContext) -> None:
    """Stop the deadline clock while the reporter is asked for information."""
    ctx.data["paused_at"] = ctx.now.isoformat()
    ctx.data["reaction_window"] = settings().reaction_window


@registry.service("deadline.resume", sets=("deadline",))
def resume_deadline(ctx: ServiceContext) -> None:
    """Restart the clock: the deadline moves by the time spent waiting for the reporter."""
    case, data = ctx.case, ctx.data
    paused_at = data.pop("paused_at", None)
    if paused_at and data.get("deadline"):
        waited = ctx.now - datetime.fromisoformat(paused_at)
        deadline = datetime.fromisoformat(data["deadline"]) + max(waited, timedelta(0))
        data["deadline"] = deadline.isoformat()
        case.deadline_at = deadline
        add_event(case, "deadline_moved", actor="systeem", note="Termijn verlengd met de wachttijd op de melder",
                  data={"deadline": data["deadline"]})


@registry.service("case.no_reaction")
def record_no_reaction(ctx: ServiceContext) -> None:
    """The reporter did not answer in time: handling continues with what is known."""
    add_event(ctx.case, "no_reaction", actor="systeem", public=True,
              text=N_("Geen reactie ontvangen; we behandelen uw melding verder met de beschikbare informatie."))


@registry.service("case.send_back")
def send_back(ctx: ServiceContext) -> None:
    """The group returns the case to the meldkamer for re-routing, with its reason."""
    group = ctx.case.group
    ctx.case.group = None
    ctx.case.deadline_at = None
    # The meldkamer sees why it came back where it normally sees the routing suggestion.
    ctx.case.suggested_group_id = None
    ctx.case.suggestion_reason = (f"Teruggestuurd door {group.name if group else 'de behandelaarsgroep'}: "
                                  f"{ctx.data.get('note') or ''}").strip()
    add_event(ctx.case, "sent_back", actor=ctx.actor, user_id=ctx.user_id, note=ctx.data.get("note"),
              data={"from_group": group.key if group else None})


@registry.service("case.close")
def close_case(ctx: ServiceContext) -> None:
    """Close with the public text the reporter reads in the mail and on the tracking page."""
    add_event(ctx.case, "closed", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=ctx.data.get("public_text"))


@registry.service("feedback.record")
def record_feedback(ctx: ServiceContext) -> None:
    """Keep the reporter's answer to the feedback question on the timeline."""
    feedback = ctx.data.get("feedback") or {}
    satisfied = feedback.get("satisfied")
    if feedback.get("from_duplicate"):
        # The reporter of a merged melding: their answer is on their own case (handlers/feedback_giving.py);
        # here only that someone was not satisfied, without saying who.
        answer = f" ({feedback['answer']})" if feedback.get("answer") else ""
        add_event(ctx.case, "duplicate_feedback", actor="melder van een dubbele melding",
                  note=f"Een melder van een dubbele melding is niet tevreden over de afhandeling{answer}: "
                       "verzoek tot heropenen.", data={"satisfied": satisfied, "answer": feedback.get("answer")})
        return
    add_event(ctx.case, "feedback", actor="melder", note=feedback.get("comment"),
              data={"satisfied": satisfied, "answer": feedback.get("answer")})


@registry.service("case.keep_closed")
def keep_closed(ctx: ServiceContext) -> None:
    """The group decided not to reopen; the reason goes to the reporter."""
    add_event(ctx.case, "kept_closed", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=ctx.data.get("reason"), note=ctx.data.get("note"))


@registry.service("case.reopen", sets=("deadline",))
def reopen(ctx: ServiceContext) -> None:
    """Reopen after negative feedback: back to the same group, with a fresh deadline."""
    case, data = ctx.case, ctx.data
    days = case.category.deadline_days if case.category is not None else DEFAULT_DEADLINE_DAYS
    deadline = add_working_days(ctx.now, days)
    case.deadline_at = deadline
    data["deadline"] = deadline.isoformat()
    add_event(case, "reopened", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text=N_("Uw melding wordt opnieuw behandeld."), note=data.get("note"))
