"""Service-task operators for work ordered from external contractors (aannemers)."""
from __future__ import annotations

from engine import registry
from engine.db import db
from engine.registry import ServiceContext
from engine.settings import settings
from engine.timeline import add_event
from notifications.outbox import queue_mail

from .contractor_links import make_portal_url
from .groups import group_by_key, leads_and_desk
from .models import ContractorOrder

REPORT_RESULTS = {"planned": "gepland", "done": "uitgevoerd", "refused": "geweigerd"}


def _open_order(ctx: ServiceContext) -> ContractorOrder | None:
    order_id = ctx.data.get("contractor_order_id")
    return db.session.get(ContractorOrder, order_id) if order_id else None


@registry.service("contractor.order", sets=("contractor_order_id", "contractor_reminder", "contractor_escalation"))
def order_from_contractor(ctx: ServiceContext) -> dict:
    """Create the order, mail it to the contractor and arm the reminder and escalation timers."""
    contractor = group_by_key(ctx.data.get("contractor"))
    if contractor is None or contractor.kind != "external":
        raise ValueError(f"{ctx.data.get('contractor')!r} is not an external contractor")
    order = ContractorOrder(case_id=ctx.case.id, contractor=contractor, instructions=ctx.data.get("instructions")
                            or "")
    db.session.add(order)
    db.session.flush()
    ctx.data["contractor_order_id"] = order.id
    ctx.data["contractor_reminder"] = settings().contractor_reminder
    ctx.data["contractor_escalation"] = settings().contractor_escalation
    if contractor.email:
        queue_mail(ctx.case, contractor.email, "aannemer_opdracht", recipient_kind="aannemer",
                   data={"order_id": order.id, "instructions": order.instructions, "contractor": contractor.name,
                         "portal_url": make_portal_url(order)})
    add_event(ctx.case, "contractor_ordered", actor=ctx.actor, user_id=ctx.user_id, public=True,
              text="De uitvoering werd besteld bij een aannemer.", note=order.instructions,
              data={"contractor": contractor.key, "order_id": order.id})
    return {"order_id": order.id}


@registry.service("contractor.remind")
def remind_contractor(ctx: ServiceContext) -> None:
    """The contractor has not reported back: send a reminder."""
    order = _open_order(ctx)
    if order is None:
        return
    if order.contractor.email:
        queue_mail(ctx.case, order.contractor.email, "aannemer_herinnering", recipient_kind="aannemer",
                   data={"order_id": order.id, "instructions": order.instructions,
                         "portal_url": make_portal_url(order)})
    add_event(ctx.case, "contractor_reminded", note=f"Herinnering gestuurd naar {order.contractor.name}",
              data={"order_id": order.id})


@registry.service("contractor.escalate")
def escalate_contractor(ctx: ServiceContext) -> None:
    """Still no report: the group's leads and the meldkamer are told."""
    order = _open_order(ctx)
    recipients = leads_and_desk(ctx.case.group)
    for address in recipients:
        queue_mail(ctx.case, address, "aannemer_escalatie", recipient_kind="medewerker",
                   data={"order_id": order.id if order else None,
                         "contractor": order.contractor.name if order else None})
    add_event(ctx.case, "contractor_escalated", note="Aannemer reageert niet: groepsverantwoordelijke en "
              "meldkamer verwittigd", data={"to": recipients})


@registry.service("contractor.record_report")
def record_contractor_report(ctx: ServiceContext) -> None:
    """Store the contractor's report (planned / done / refused) on the order and the timeline."""
    report = ctx.data.get("contractor_report") or {}
    result = report.get("result")
    order = _open_order(ctx)
    if order is not None and result in REPORT_RESULTS:
        order.status = result
        order.planned_for = report.get("planned_for") or order.planned_for
        order.report = report.get("note")
        order.reported_at = ctx.now
    when = f" op {report['planned_for']}" if report.get("planned_for") else ""
    public = {"planned": f"De werken zijn gepland{when}.",
              "done": "De aannemer meldt dat de werken zijn uitgevoerd."}.get(result or "")
    add_event(ctx.case, "contractor_report", actor="aannemer", public=public is not None, text=public,
              note=report.get("note"), data={"result": result, "planned_for": report.get("planned_for")})
