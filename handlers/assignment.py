"""Who works on a case: take it, take it over from a colleague, assign it, hand it to another group."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from engine.db import db
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.locking import lock_case
from engine.models import Case, WorkItem
from engine.runtime import commit_or_explain
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .groups import group_by_key
from .models import User
from .permissions import may


def _open_item(item_id: int, user: User) -> WorkItem:
    item = db.session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"work item {item_id} does not exist")
    if not may(user, "work.do", item):
        raise Forbidden("this work belongs to another group")
    lock_case(item.case_id)
    db.session.refresh(item)
    if item.status != "open":
        raise Conflict("this task is no longer open")
    return item


def take(item_id: int, user: User) -> WorkItem:
    """Put an unassigned work item on your own name ("In behandeling door")."""
    item = _open_item(item_id, user)
    if item.assignee_id not in (None, user.id):
        raise Conflict(f"already taken by {item.assignee.display_name}; use Overname to take it over")
    item.assignee_id = user.id
    item.returned_reason = None  # an answer that came back for it has now been noticed
    add_event(item.case, "taken", actor=user.display_name, user_id=user.id, note=f"Opgenomen: {item.title}")
    commit_or_explain(item.case_id)
    return item


def take_over(item_id: int, user: User, note: Optional[str] = None) -> WorkItem:
    """Take a work item over from a colleague (for example when they are ill); it shows on the timeline."""
    item = _open_item(item_id, user)
    previous = item.assignee
    item.assignee_id = user.id
    item.returned_reason = None
    add_event(item.case, "taken_over", actor=user.display_name, user_id=user.id,
              note=note or f"Overgenomen van {previous.display_name if previous else 'niemand'}",
              data={"from": previous.username if previous else None, "task": item.task_name})
    commit_or_explain(item.case_id)
    return item


def assign(item_id: int, user: User, colleague_id: int) -> WorkItem:
    """Give a work item to a colleague of the same group (leads and the meldkamer)."""
    item = _open_item(item_id, user)
    if colleague_id != user.id and not may(user, "work.assign", item):
        raise Forbidden("only a group lead or the meldkamer assigns work to colleagues")
    colleague = db.session.get(User, colleague_id)
    group_key = item.group.key if item.group else None
    if colleague is None or not colleague.active or group_key not in colleague.group_keys:
        raise InvalidInput("choose an active member of the group", {"assignee": ["not a member of this group"]})
    item.assignee_id = colleague.id
    add_event(item.case, "assigned", actor=user.display_name, user_id=user.id,
              note=f"Toegewezen aan {colleague.display_name}", data={"to": colleague.username})
    commit_or_explain(item.case_id)
    return item


def hand_over(case_id: int, user: User, to_group_key: str, note: str) -> Case:
    """Warm handover: the case and its open work move to another group, with a note on the timeline."""
    case = lock_case(case_id)
    source = case.group
    if source is None or not may(user, "case.hand_over", case):
        raise Forbidden("only the group handling the case can hand it over")
    if not (note or "").strip():
        raise InvalidInput("a handover needs a note for the new group", {"note": ["write a note"]})
    target = group_by_key(to_group_key)
    if target is None or target.kind != "internal":
        raise InvalidInput("choose an internal handler group", {"group": [f"'{to_group_key}' is not a group"]})
    if source.id == target.id:
        raise InvalidInput("the case is already with this group", {"group": ["same group"]})
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open",
                                                      WorkItem.group_id == source.id)).all()
    if not items:
        raise Conflict("the case has no open work for your group to hand over")
    case.group = target
    for item in items:
        item.group_id, item.assignee_id = target.id, None
    add_event(case, "handed_over", actor=user.display_name, user_id=user.id, public=True,
              text=f"Doorgegeven aan {target.name}", note=note.strip(),
              data={"from": source.key, "to": target.key})
    if target.email:
        queue_mail(case, target.email, "overdracht", recipient_kind="medewerker",
                   data={"from_group": source.name, "note": note.strip(), "by": user.display_name})
    commit_or_explain(case.id)
    return case
