"""A mail the mail server refused (550, or 451 until the attempts ran out) reaches the case.

The sender calls `mail_refused` in the transaction that marks the outbox row failed. For a mail to a
reporter the address is marked as failing (`Reporter.email_failed_at`, as a bounce taken in by the
mailbox does), so notify.reporter queues nothing more to it until the citizen gives it again; the other
mails already waiting for that address are not sent either. The case gets an internal timeline event
for staff; the SMTP reply is shown without the reporter's address (every role reads the timeline).
A refused mail to a contractor or a colleague gets a note too, and the contractor orders page shows it.
"""
from __future__ import annotations

import logging
import re
from typing import Any, cast

from sqlalchemy import func, select, update

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, Reporter
from engine.timeline import add_event

from .models import OutboxMessage

log = logging.getLogger(__name__)
REPLY_MAX = 300
KIND_NAMES = {"aannemer": "aannemer", "medewerker": "medewerker"}
_table = OutboxMessage.__table__


def smtp_reply_for_staff(reply: str, address: str) -> str:
    """The server's reply on one line, shortened, with the recipient's address left out."""
    text = " ".join(reply.split())
    for prefix in ("recipient refused: ", "message refused: "):
        text = text.replace(prefix, "")
    if address:
        text = re.sub(re.escape(address), "(adres)", text, flags=re.IGNORECASE)
    return text[:REPLY_MAX]


def mail_refused(row: Any, reply: str) -> set[int]:
    """Record on the case that `row` could not be delivered; returns ids of other rows not sent because of it."""
    address = (row.recipient or "").strip().lower()
    case = db.session.get(Case, row.case_id) if row.case_id else None
    reason = smtp_reply_for_staff(reply, address)
    if row.recipient_kind == "melder":
        skipped = _mark_reporter_address_failing(address, row.id)
        if case is not None:
            own = case.reporter is not None and (case.reporter.email or "").lower() == address
            whom = "melder" if own else "een melder van een dubbele melding"
            add_event(case, "mail_undeliverable", actor="mailserver",
                      note=f"Mail aan {whom} kon niet bezorgd worden: {reason}",
                      data={"outbox_id": row.id, "template": row.template, "recipient_kind": "melder",
                            "reply": reason, "skipped": sorted(skipped)})
        return skipped
    if case is not None:
        whom = KIND_NAMES.get(row.recipient_kind, "medewerker")
        add_event(case, "mail_undeliverable", actor="mailserver",
                  note=f"Mail aan {whom} {address} kon niet bezorgd worden: {reason}",
                  data={"outbox_id": row.id, "template": row.template, "recipient_kind": row.recipient_kind,
                        "to": address, "reply": reason, "order_id": (row.data or {}).get("order_id")})
    return set()


def _mark_reporter_address_failing(address: str, refused_id: int) -> set[int]:
    """Every reporter with this address is marked failing; the mails still waiting for it are not sent."""
    if not address:
        return set()
    now = utcnow()
    db.session.execute(update(Reporter).where(func.lower(Reporter.email) == address,
                                              Reporter.email_failed_at.is_(None))
                       .values(email_failed_at=now).execution_options(synchronize_session=False))
    waiting = db.session.execute(
        update(_table).where(func.lower(_table.c.recipient) == address, _table.c.recipient_kind == "melder",
                             _table.c.status == "pending", _table.c.id != refused_id)
        .values(status="failed", last_error=f"niet verstuurd: de mailserver weigerde dit adres (mail #{refused_id})")
        .returning(_table.c.id, _table.c.case_id)).all()
    for case_id in {r.case_id for r in waiting if r.case_id}:
        case = db.session.get(Case, case_id)
        if case is not None and case_id:
            add_event(case, "mail_skipped", actor="mailserver",
                      note="Mail niet verstuurd aan de melder: e-mailadres werkt niet (geweigerd door de mailserver)",
                      data={"reason": "email_failed", "outbox_ids": [r.id for r in waiting if r.case_id == case_id]})
    if waiting:
        log.info("outbox: %d waiting mail(s) to a refused address not sent", len(waiting))
    return {r.id for r in waiting}


def refused_orders(orders: list[Any]) -> dict[int, str]:
    """For the contractor orders page: order id -> why its order or reminder mail was refused."""
    if not orders:
        return {}
    order_ids = [o.id for o in orders]
    rows = db.session.execute(
        select(_table.c.data, _table.c.last_error).where(
            _table.c.case_id.in_({o.case_id for o in orders}), _table.c.status == "failed",
            _table.c.recipient_kind == "aannemer",
            _table.c.template.in_(("aannemer_opdracht", "aannemer_herinnering")))
        .order_by(_table.c.id)).all()
    wanted = set(order_ids)
    found: dict[int, str] = {}
    for row in rows:
        order_id = (row.data or {}).get("order_id")
        if order_id in wanted:
            found[cast(int, order_id)] = smtp_reply_for_staff(row.last_error or "", "")
    return found
