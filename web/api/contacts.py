"""First-line contacts in the staff API (issue #16): a telephony system or a counter kiosk registers a contact, and
anyone of the first line looks up a citizen's contacts.

POST /api/v1/contacts   register (intake/contacts.register_contact) -> 201 with the contact and the case it made or
                        joined; once per Idempotency-Key like POST /api/v1/meldingen.
GET  /api/v1/contacts   ?reporter=<id or e-mail address>: that citizen's contacts (with the reporter rows staff linked
                        to them) and the rows that may be the same citizen; without it, the newest contacts. A handler
                        group sees only the contacts handed over to it or added to its cases.
"""
from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from sqlalchemy import or_, select

from engine.db import db
from engine.models import Case
from handlers.contact_models import Contact
from handlers.contacts import contact_view, link_candidates, linked_reporter_ids
from handlers.permission_table import ALL, scope
from handlers.permissions import may, require
from handlers.privacy_export import find_reporters
from intake.contacts import register_contact
from notifications.outbox import tracking_url

from ..url_ids import query_int
from . import bp
from .auth import token_required
from .common import json_body, load
from .idempotent import answer_once
from .schemas import ContactCreated, ContactIn, ContactPage

PAGE_MAX, PAGE_DEFAULT = 100, 20
MAX_REPORTER_KEY = 254


@bp.post("/v1/contacts")
@token_required
def create_contact():
    """Register a phone call or counter visit and do what its outcome says."""
    require(g.user, "contact.register")
    raw = json_body()
    data = load(ContactIn(), raw)

    def create(commit: bool):
        reporter: Any = data.get("reporter")
        if isinstance(reporter, dict):
            reporter = ({"id": reporter["id"]} if reporter.get("id") is not None
                        else {k: v for k, v in reporter.items() if v is not None})
        contact = register_contact(
            channel=data["channel"], question=data["question"], topic=data["topic"], outcome=data["outcome"],
            taken_by=g.user, answer=data.get("answer"), note=data.get("note"), group=data.get("group"),
            case=data.get("case"), deadline_days=data.get("deadline_days"), reporter=reporter or None,
            anonymous=bool(data.get("anonymous")), related_contact=data.get("related_contact"),
            melding=data.get("melding"), commit=commit)
        case = contact.case
        body = ContactCreated().dump({
            "contact": contact_view(contact, g.user),
            "case": ({"reference": case.reference, "status": case.status, "tracking_url": tracking_url(case)}
                     if case is not None else None)})
        return body, 201, {"Location": f"/api/v1/contacts?reporter={contact.reporter_id}"
                           if contact.reporter_id else "/api/v1/contacts"}

    return answer_once(g.user.id, "contacts", raw, create)  # once per Idempotency-Key (web/api/idempotent.py)


@bp.get("/v1/contacts")
@token_required
def list_contacts():
    """A citizen's contacts (?reporter=<id or e-mail>), or the newest contacts the user may see."""
    require(g.user, "contact.see")
    limit = query_int("limit", PAGE_DEFAULT, minimum=1, maximum=PAGE_MAX) or PAGE_DEFAULT
    key = (request.args.get("reporter") or "").strip()[:MAX_REPORTER_KEY]
    query = select(Contact)
    candidates = []
    if key:
        reporters = find_reporters(key)
        ids: set[int] = set()
        for reporter in reporters:
            ids |= linked_reporter_ids(reporter.id)
        query = query.where(Contact.reporter_id.in_(sorted(ids) or [-1]))
        if reporters and scope(g.user, "case.see_contact") == ALL:
            seen: set[int] = set(ids)
            for reporter in reporters:
                for row in link_candidates(reporter):
                    if row.id not in seen:
                        seen.add(row.id)
                        candidates.append({"id": row.id, "name": row.name, "email": row.email, "phone": row.phone})
    if scope(g.user, "contact.see") != ALL:  # a handler group: what was handed to it or added to its cases
        groups = [grp.id for grp in g.user.groups] or [-1]
        query = query.outerjoin(Case, Case.id == Contact.case_id).where(
            or_(Contact.group_id.in_(groups), Case.group_id.in_(groups)))
    rows = list(db.session.scalars(query.order_by(Contact.created_at.desc(), Contact.id.desc()).limit(limit)))
    items = [contact_view(c, g.user) for c in rows]
    if not may(g.user, "case.see_contact"):
        candidates = []
    return jsonify(ContactPage().dump({"items": items, "link_candidates": candidates}))
