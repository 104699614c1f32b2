"""Work items in the staff API: a group's queue and completing an item."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.models import WorkItem
from engine.task_completion import complete_work_item
from engine.workitems import get_item
from handlers.groups import group_by_key
from handlers.models import MELDKAMER
from handlers.permissions import ALL, require, scope

from ..url_ids import query_int
from . import bp
from .auth import token_required
from .cases import case_view
from .common import json_body
from .schemas import WorkItemPage

PAGE_MAX = 200


@bp.get("/v1/work-items")
@token_required
def list_work_items():
    """A group's queue, oldest first, keyset-paginated with ?after=<last id>&limit=."""
    user = g.user
    group_key = request.args.get("group")
    status = request.args.get("status", "open")
    if status not in ("open", "completed", "cancelled"):
        raise InvalidInput("unknown status", {"status": ["use open, completed or cancelled"]})
    after = query_int("after", 0)
    limit = min(query_int("limit", 50) or 50, PAGE_MAX)
    query = select(WorkItem).where(WorkItem.status == status)
    if group_key:
        group = group_by_key(group_key)
        if group is None:
            raise InvalidInput("unknown group", {"group": [f"no active group '{group_key}'"]})
        require(user, "queue.see", group, f"you are not a member of group '{group_key}'")
        query = query.where(WorkItem.group_id == group.id)
    elif scope(user, "work.do") != ALL:  # the queues of the user's own groups, the meldkamer's for its desk
        desk = group_by_key(MELDKAMER) if MELDKAMER in user.group_keys else None
        ids = [grp.id for grp in user.groups] + ([desk.id] if desk else [])
        query = query.where(WorkItem.group_id.in_(ids))
    items = list(db.session.scalars(query.where(WorkItem.id > after).order_by(WorkItem.id).limit(limit)))
    next_after = items[-1].id if len(items) == limit else None
    return jsonify(WorkItemPage().dump({"items": items, "next_after": next_after}))


@bp.post("/v1/work-items/<int:item_id>/complete")
@token_required
def complete(item_id: int):
    """Complete the task behind a work item with its form data; answers with the updated case."""
    data = json_body()
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object with the form fields", {"_schema": ["expected an object"]})
    # As on the case page: only work on a case the user may open (engine.workitems checks the group again).
    require(g.user, "work.do", get_item(item_id), "this work belongs to another group")
    case = complete_work_item(item_id, g.user, data)
    return jsonify(case_view(case, g.user))
