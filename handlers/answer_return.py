"""When the answer a handler waited for arrives, the work goes back to that handler, and they are told.

A handler asks the reporter a question or orders work from a contractor; the case then waits. When the
reporter answers (a reply to the question mail), does not answer in time, or the contractor reports
done or refused, the model runs `work.return_to_asker` (bpmn/melding.bpmn, "Terug naar wie de vraag
stelde"): the new handling task is put on the name of whoever asked, they get a mail, and the task is
marked in the queue and on the case page until they open the case or someone takes the task. When
that person is no longer active or no longer in the group, the task goes to the group unassigned,
still marked, and the group's address is mailed.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from sqlalchemy import select, update

from engine import registry
from engine.db import db
from engine.i18n import N_
from engine.models import WorkItem
from engine.registry import ServiceContext
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .models import User

# reason -> the mark in the queue (Dutch; the catalogues in web/translations have the English).
MARKS = {"reactie": N_("antwoord ontvangen"), "aannemer": N_("antwoord ontvangen"),
         "geen_reactie": N_("geen reactie ontvangen")}
WHAT = {"reactie": "Antwoord van de melder ontvangen", "aannemer": "Rapport van de aannemer ontvangen",
        "geen_reactie": "Geen reactie van de melder binnen de termijn"}
CONTRACTOR_RESULTS = {"done": "uitgevoerd", "refused": "geweigerd"}


def mark_label(reason: Optional[str]) -> Optional[str]:
    """What the queue shows for a work item's returned_reason (None: no mark)."""
    return MARKS.get(reason, N_("antwoord ontvangen")) if reason else None


def _asker(case_id: int) -> Optional[User]:
    """Who asked: the assignee of the last completed task of the case (else who completed it).

    While the case waited for the answer it had no open work, so the last completed task is the one
    in which the question was asked or the order given.
    """
    asked = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.status == "completed")
                              .order_by(WorkItem.id.desc()).limit(1))
    who = (asked.assignee_id or asked.completed_by_id) if asked is not None else None
    return db.session.get(User, who) if who else None


@registry.service("work.return_to_asker")
def return_to_asker(ctx: ServiceContext, reason: str) -> dict:
    """Hand the next handling task back to whoever asked, marked, and mail them (or the group)."""
    case = ctx.case
    group = case.group
    if group is None:  # nothing to return to; the task lands wherever the model puts it
        return {"returned_to": None}
    asker = _asker(case.id)
    back_to = asker if asker is not None and asker.active and group.key in asker.group_keys else None
    ctx.extra["hand_back"] = (group.id, back_to.id if back_to is not None else None, reason)
    result = (ctx.data.get("contractor_report") or {}).get("result") if reason == "aannemer" else None
    data = {"reason": reason, "group": group.name, "result": CONTRACTOR_RESULTS.get(result or ""),
            "assigned": back_to is not None}
    if back_to is not None:
        note = f"{WHAT[reason]}: terug naar {back_to.display_name}"
        address, language, data["name"] = back_to.email, back_to.language, back_to.display_name
    else:
        gone = f" ({asker.display_name} behandelt niet meer voor {group.name})" if asker is not None else ""
        note = f"{WHAT[reason]}: terug naar {group.name}, niet toegewezen{gone}"
        address, language = group.email, "nl"
    if address:
        queue_mail(case, address, "antwoord_ontvangen", language=language or "nl", recipient_kind="medewerker",
                   data=data)
    add_event(case, "returned", actor="systeem", note=note,
              data={"reason": reason, "to": back_to.username if back_to is not None else None, "mailed": address})
    return {"returned_to": back_to.username if back_to is not None else None}


def acknowledge_seen(case_id: int, user_id: int, open_items: Optional[Sequence[WorkItem]] = None) -> None:
    """The person returned work is assigned to opened the case: its mark goes (taking it clears it too).

    Unassigned marked work keeps its mark until someone takes it: a colleague looking at the case
    has not taken the answer on. Reads first, so an ordinary page view writes nothing; `open_items`, the case's
    open work items as the page loaded them, spares that read.
    """
    if open_items is not None:
        marked = [i.id for i in open_items if i.case_id == case_id and i.status == "open"
                  and i.assignee_id == user_id and i.returned_reason is not None]
    else:
        marked = list(db.session.scalars(select(WorkItem.id).where(
            WorkItem.case_id == case_id, WorkItem.status == "open", WorkItem.assignee_id == user_id,
            WorkItem.returned_reason.is_not(None))))
    if not marked:
        return
    db.session.execute(update(WorkItem).where(WorkItem.id.in_(marked)).values(returned_reason=None)
                       .execution_options(synchronize_session=False))
    db.session.commit()
