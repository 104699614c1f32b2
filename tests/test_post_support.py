"""Shared pieces of the incoming-post tests: real PDF scans, the postkamer user, registering a letter."""
from __future__ import annotations

import base64
import io
from datetime import date, timedelta
from typing import Optional

from pypdf import PdfWriter
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.groups import group_by_key
from handlers.models import User
from intake.post_intake import check_registration, local_today, register_post
from notifications.models import OutboxMessage

from .helpers import Browser, with_password

# A real 1x1 JPEG (what a renamed photo would contain).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEA"
    "AD8AN//Z")


def pdf_bytes(pages: int = 2) -> bytes:
    """A real PDF with `pages` A4 pages, as a scanner would deliver (without the ink)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def postkamer_user(username: str = "eva") -> tuple[User, str]:
    """A staff member with the onthaal role (the postkamer) and a password for the web pages."""
    user = User(username=username, display_name="Eva Wouters", role="onthaal", email="eva@stad.example")
    onthaal = group_by_key("onthaal")
    if onthaal is not None:
        user.groups.append(onthaal)
    db.session.add(user)
    db.session.commit()
    return user, with_password(user)


def web_user(app, role: str, group: Optional[str], username: str, name: str) -> Browser:
    """A staff member of `role` (in `group`) logged in on the web pages."""
    user = User(username=username, display_name=name, role=role, email=f"{username}@stad.example")
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    db.session.commit()
    return Browser(app, username, with_password(user))


def form(**changes) -> dict:
    """What the postkamer types for a typical letter (a question about a street light)."""
    values = {"sender_name": "Els Peeters", "sender_address": "Bruul 12\n2800 Mechelen",
              "sender_email": "els@voorbeeld.example", "received_on": local_today().isoformat(),
              "written_on": (local_today() - timedelta(days=3)).isoformat(),
              "subject": "Vraag over de straatverlichting in de Bruul", "kind": "vraag", "registered_mail": "",
              "group": "onderhoud-openbaar-domein", "deadline_days": "", "deadline_unit": ""}
    values.update(changes)
    return values


def register(kind: str = "vraag", received_on: Optional[date] = None, pages: int = 2, **changes) -> Case:
    """Register a letter through the domain functions, as the registration page does."""
    values = form(kind=kind, **changes)
    if received_on is not None:
        values["received_on"] = received_on.isoformat()
        values["written_on"] = (received_on - timedelta(days=2)).isoformat()
    registration = check_registration(values, pdf_bytes(pages), "brief.pdf")
    return register_post(registration, actor="Eva Wouters", user_id=None)


def mails(template: str, reference: Optional[str] = None) -> list[OutboxMessage]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    return [m for m in rows if reference is None or m.data.get("reference") == reference]


def case_count() -> int:
    return len(db.session.scalars(select(Case.id)).all())
