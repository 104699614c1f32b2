"""What an external contractor can do through the link in the order mail, without an account.

The link carries a signed, expiring token scoped to one work order. Whoever holds it can see that
order (never the reporter's personal data) and report on it: planned, done with photos, refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engine.db import db
from engine.errors import Conflict
from engine.messages import deliver_message
from engine.models import Case, CaseEvent
from engine.settings import settings
from engine.timeline import add_event, events_of

from .files import store_file
from .models import ContractorOrder
from .photos import CleanImage
from .redaction import hide_reporter_data
from .signed_links import LinkError, LinkExpired, LinkInvalid, load_signed, serializer  # noqa: F401 (re-exported)

SALT = "contractor-order"
MAX_TOKEN_LENGTH = 400  # ours are under 100 characters; refuse anything absurd before parsing it
OPEN_STATUSES = ("open", "planned")
PHOTO_TYPES = ("image/jpeg", "image/png")
HISTORY_KINDS = ("contractor_ordered", "contractor_reminded", "contractor_report")


class OrderGone(LinkError):
    """A genuine token for an order that no longer exists."""

    status_code = 410
    reason = "gone"


def _serializer() -> URLSafeTimedSerializer:
    return serializer(SALT)


def link_days() -> float:
    """How many days a link stays valid (MELDPUNT_CONTRACTOR_LINK_DAYS, default 30)."""
    return float(settings().contractor_link_days)


def make_token(order: ContractorOrder) -> str:
    """A signed token naming this order and its case; the signature carries the time of issue."""
    return _serializer().dumps({"order": order.id, "case": order.case_id})


def make_portal_url(order: ContractorOrder) -> str:
    """The contractor's link to this one order, for the order and reminder mails."""
    base = settings().base_url.rstrip("/")
    return f"{base}/opdracht/{make_token(order)}"


def _load(token: str) -> dict[str, int]:
    data, _issued = load_signed(token, SALT, link_days(), MAX_TOKEN_LENGTH)
    if not (isinstance(data, dict) and isinstance(data.get("order"), int) and isinstance(data.get("case"), int)):
        raise LinkInvalid("unexpected payload")
    return data


def check_token(token: str) -> None:
    """LinkInvalid or LinkExpired unless the token is ours and still valid (signature only, no database)."""
    _load(token)


def read_token(token: str) -> ContractorOrder:
    """The order a link is for; LinkInvalid, LinkExpired or OrderGone when it cannot be used."""
    data = _load(token)
    order = db.session.get(ContractorOrder, data["order"])
    if order is None or order.case_id != data["case"]:
        raise OrderGone("the order no longer exists")
    return order


def is_current(order: ContractorOrder) -> bool:
    """True when the order still waits for a report and is the case's latest order."""
    if order.status not in OPEN_STATUSES:
        return False
    latest = db.session.scalar(select(func.max(ContractorOrder.id)).where(ContractorOrder.case_id == order.case_id))
    return latest == order.id


def order_history(order: ContractorOrder) -> list[CaseEvent]:
    """The timeline entries about this order: ordered, reminders, the contractor's reports.

    Reports carry no order id, so they belong to the order placed last before them: the case waits
    for one contractor at a time.
    """
    history: list[CaseEvent] = []
    mine = False
    for event in events_of(order.case_id):
        if event.kind == "contractor_ordered":
            mine = (event.data or {}).get("order_id") == order.id
        if mine and event.kind in HISTORY_KINDS:
            history.append(event)
    return history


def description_for_contractor(case: Case) -> str:
    """The melding's description with the reporter's name, e-mail address and phone numbers hidden.

    The reporter writes it freely and sometimes signs it or adds a number to call back; the
    contractor only needs to know what is wrong where.
    """
    return hide_reporter_data(case.description, case.reporter)


@dataclass
class Photo:
    """One uploaded photo: its bytes (or the image already re-encoded) and the name the contractor's device
    gave it."""

    content: Union[bytes, CleanImage]
    filename: str


def _lock_order(order_id: int) -> tuple[Case, ContractorOrder]:
    """Lock the case (FOR UPDATE on PostgreSQL) first, then read the order fresh under that lock."""
    order = db.session.get(ContractorOrder, order_id)
    if order is None:
        raise OrderGone("the order no longer exists")
    case = db.session.scalars(select(Case).where(Case.id == order.case_id).with_for_update()
                              .execution_options(populate_existing=True)).one()
    order = db.session.scalars(select(ContractorOrder).where(ContractorOrder.id == order_id)
                               .execution_options(populate_existing=True)).one()
    return case, order


def report_on_order(order_id: int, report: dict[str, Any], photos: Optional[list[Photo]] = None) -> Case:
    """Store the photos and deliver the validated report to the waiting case, in one transaction.

    Conflict when the order was already reported done or refused, was replaced by a newer order, or
    the case no longer waits; InvalidInput when a photo is refused. Either way nothing is kept:
    the transaction is rolled back, which removes the files already written (handlers/storage.py).
    """
    try:
        case, order = _lock_order(order_id)
        if not is_current(order):
            raise Conflict(f"contractor order {order_id} no longer takes reports ({order.status})")
        contractor = order.contractor.name
        for photo in photos or []:
            store_file(case, photo.content, photo.filename, source="aannemer", uploaded_by=contractor,
                       public=False, allowed=PHOTO_TYPES, field="photos")
        if photos:
            add_event(case, "contractor_photos", actor=contractor, data={"order_id": order.id},
                      note=f"{len(photos)} foto('s) van de aannemer toegevoegd")
        return deliver_message(case.id, "contractor_report", report, actor=contractor)  # commits
    except BaseException:
        db.session.rollback()
        raise
