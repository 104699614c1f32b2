"""The meldkamer queue, the group queues and the list of open contractor orders."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine import statuses
from engine.clock import utcnow
from engine.db import db
from engine.models import WorkItem
from handlers.answer_return import mark_label
from handlers.categories import category_choices
from handlers.groups import cached_group
from handlers.models import MELDKAMER, ONTHAAL, ContractorOrder, HandlerGroup
from handlers.permissions import may
from handlers.queues import QueueFilter, queue_page, task_choices

from ..auth import requires
from ..i18n import current_language, translate
from ..url_ids import BadParameter, query_int
from . import bp


def _filters() -> QueueFilter:
    args = request.args
    mine = args.get("van") == "mij"
    return QueueFilter(category=args.get("categorie") or None, task=args.get("taak") or None,
                       overdue=args.get("te_laat") == "1", assignee_id=current_user.id if mine else None,
                       unassigned=args.get("van") == "niemand", search=(args.get("q") or "").strip()[:100] or None,
                       search_texts=may(current_user, "reporter_data.see"))


def _cursor() -> int | None:
    return query_int("na", None)


def _render_queue(group: HandlerGroup, newest_first: bool, template: str, map_endpoint: str, **route):
    page = queue_page(group.id, _filters(), _cursor(), newest_first=newest_first)
    # "Lijst | Kaart": the map view shows the same page of the same filtered list beside a map whose markers
    # come from the JSON twin of this page (queue_map_json), fetched with the same query string.
    as_map = request.args.get("weergave") == "kaart"
    # The desks' own lanes; every other group works the tasks of the handler-group lane of each process.
    lanes = (group.key,) if group.key in (MELDKAMER, ONTHAAL) else ("behandelaarsgroep",)
    user = current_user._get_current_object()  # once, not through the proxy for every row
    takeable = {item.id for item in page.items if item.assignee_id != user.id and may(user, "work.do", item)}
    return render_template(template, group=group, page=page, now=utcnow(), categories=category_choices(main=True),
                           takeable=takeable, show_names=may(current_user, "case.see_contact"), args=request.args,
                           show_texts=may(current_user, "reporter_data.see"),
                           tasks=task_choices(lanes), mark_label=mark_label, as_map=as_map,
                           map_source=url_for(map_endpoint, **route))


def queue_map_json(group: HandlerGroup, newest_first: bool):
    """The current page of the filtered queue as map points: the same query and keyset paging as the list.

    Only what the list itself shows every role that may see the queue (no reporter's text or name: the
    rapportage role sees neither), and items without a point with lat and lon null ("geen locatie").
    """
    try:
        cursor = _cursor()
    except BadParameter as error:
        return jsonify({"error": "BadParameter", "message": error.message, "fields": error.fields}), 400
    page = queue_page(group.id, _filters(), cursor, newest_first=newest_first)
    language = current_language()
    items = []
    for item in page.items:
        case = item.case
        located = case.lat is not None and case.lon is not None
        items.append({"reference": case.reference, "url": url_for("staff.case", reference=case.reference),
                      "category": case.category.name if case.category else None,
                      "task": translate(item.title), "status": case.status,
                      "status_label": statuses.label(case.status, language, case.definition_id),
                      "address": case.address,
                      "lat": case.lat if located else None, "lon": case.lon if located else None})
    return jsonify({"items": items, "next_cursor": page.next_cursor,
                    "without_location": sum(1 for i in items if i["lat"] is None)})


@bp.get("/")
@requires("staff.use")
def home():
    """Send each role to where its work is."""
    if may(current_user, "desk.use"):
        return redirect(url_for("staff.meldkamer"))
    groups = sorted(current_user.groups, key=lambda g: g.name)
    if len(groups) == 1:
        return redirect(url_for("staff.group_queue", key=groups[0].key))
    counts = dict(db.session.execute(select(WorkItem.group_id, func.count()).where(WorkItem.status == "open")
                                     .group_by(WorkItem.group_id)).all())
    return render_template("staff/home.html", groups=groups, counts=counts)


@bp.get("/meldkamer")
@requires("desk.use")
def meldkamer():
    """Every new melding first, with the suggested group and why; dispatch in one click."""
    return _render_queue(cached_group(MELDKAMER), newest_first=True, template="staff/meldkamer.html",
                         map_endpoint="staff.meldkamer_map")


@bp.get("/meldkamer/kaart.json")
@requires("desk.use")
def meldkamer_map():
    """The meldkamer's current page as map points (the map view of /werk/meldkamer)."""
    return queue_map_json(cached_group(MELDKAMER), newest_first=True)


@bp.get("/wachtrij/<key>")
@requires("staff.use")
def group_queue(key: str):
    """A handler group's queue, laid out like the tracking list: deadline, who handles it, actions."""
    return _render_queue(_visible_group(key), newest_first=False, template="staff/queue.html",
                         map_endpoint="staff.group_queue_map", key=key)


@bp.get("/wachtrij/<key>/kaart.json")
@requires("staff.use")
def group_queue_map(key: str):
    """A group's current queue page as map points (the map view of /werk/wachtrij/<key>)."""
    return queue_map_json(_visible_group(key), newest_first=False)


def _visible_group(key: str) -> HandlerGroup:
    """The internal group with this key that the user may see the queue of (404 or 403 otherwise)."""
    group = cached_group(key)
    if group is None or group.kind == "external":
        abort(404)
    if not may(current_user, "queue.see", group):
        abort(403)
    return group


@bp.get("/meldkamer/aannemers")
@requires("desk.use")
def contractor_orders():
    """Open contractor orders with their age, oldest first, so none drops out of sight."""
    orders = db.session.scalars(select(ContractorOrder).where(ContractorOrder.status.in_(("open", "planned")))
                                .order_by(ContractorOrder.created_at).limit(500)).all()
    from notifications.undeliverable import refused_orders

    return render_template("staff/contractor_orders.html", orders=orders, now=utcnow(), refused=refused_orders(orders))
