"""Tables of the case engine: deployed definitions, cases, reporters, work items, the case timeline."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .db import BigId, Model, UTCDateTime


class ProcessDefinition(Model):
    """One deployed version of a BPMN process: immutable once written."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_process_definitions_key_sha", "key", "sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    xml: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by: Mapped[Optional[str]] = mapped_column(String(100))
    # "shipped": a file from bpmn/ (seeding, `meldpunt bpmn deploy` without files); "city": uploaded by the city.
    origin: Mapped[str] = mapped_column(String(10), default="city", server_default="shipped")


class ActiveProcess(Model):
    """Which version of a process new cases start on: one row per process key, set by a deploy or an activation."""

    __tablename__ = "active_processes"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_by: Mapped[Optional[str]] = mapped_column(String(100))
    # "city" once the city deployed or chose a version: seeding then never makes a shipped model active again.
    chosen_by: Mapped[str] = mapped_column(String(10), default="shipped")


class Reporter(Model):
    """The person or organisation who reported a case (melder); personal data, shown by role only."""

    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[Optional[str]] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_failed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # a mail to them bounced


class Case(Model):
    """A dossier (melding, post or mail) with its serialized process instance and derived status."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_group_status_id", "group_id", "status", "id"),
        Index("ix_cases_lat_lon_created", "lat", "lon", "created_at"),  # handlers/nearby.py: a box, N days back
        Index("ix_cases_reporter_id_id", "reporter_id", "id"),  # a reporter's cases, newest first (migration 0021r)
        # the open cases of a category: a queue filtered on a category rare in it (handlers/queues.py, 0022c)
        Index("ix_cases_category_open", "category_id", "id", postgresql_where=sql_text("NOT completed"),
              sqlite_where=sql_text("completed = 0")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[Optional[str]] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # registered in handlers/case_kinds.py
    channel: Mapped[str] = mapped_column(String(20), default="web")
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    state: Mapped[Optional[str]] = mapped_column(Text)
    serializer_version: Mapped[Optional[str]] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), default="ontvangen")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    next_timer_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    error: Mapped[Optional[str]] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    description: Mapped[str] = mapped_column(Text, default="")
    # The reporter's own text, kept when staff first correct the description (handlers/case_corrections.py).
    original_description: Mapped[Optional[str]] = mapped_column(Text)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))
    suggested_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))
    suggestion_reason: Mapped[Optional[str]] = mapped_column(Text)
    address: Mapped[Optional[str]] = mapped_column(String(300))
    lat: Mapped[Optional[float]] = mapped_column()
    lon: Mapped[Optional[float]] = mapped_column()
    # Whether the address was checked against the address register: True (found there, or a point on the
    # map inside the city), False ("adres niet gecontroleerd": the register failed or did not know it),
    # None (no address given, or a case from before the check existed).
    location_checked: Mapped[Optional[bool]] = mapped_column(Boolean)
    reporter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reporters.id"))  # indexed with the id (above)
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    deadline_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the city publishes about the case (Open311 feed), written by staff; empty: nothing is published.
    public_description: Mapped[Optional[str]] = mapped_column(Text)
    # Reported without any contact data (no e-mail address, no phone): nobody is mailed about it, ever.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    definition: Mapped[ProcessDefinition] = relationship()
    reporter: Mapped[Optional[Reporter]] = relationship()
    category = relationship("Category")
    group = relationship("HandlerGroup", foreign_keys=[group_id])
    suggested_group = relationship("HandlerGroup", foreign_keys=[suggested_group_id])
    duplicate_of = relationship("Case", remote_side=[id])

    # Optimistic lock on every platform; PostgreSQL also takes a row lock (SELECT ... FOR UPDATE).
    __mapper_args__ = {"version_id_col": lock_version}


class WorkItem(Model):
    """A READY manual BPMN task as a row in a group's queue (synced after every engine step)."""

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("case_id", "task_id"),
        # PostgreSQL: with the case id, so a searched queue's window tests its cases without reading the work items
        # (migration 0019s, handlers/queues.py)
        Index("ix_work_items_queue", "group_id", "status", "id", postgresql_include=["case_id"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No index of its own: uq_work_items_case_id (case_id, task_id) answers every query by case (migration 0020e).
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[Optional[str]] = mapped_column(String(100))
    form_key: Mapped[Optional[str]] = mapped_column(String(50))
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Set when the work came back because an answer arrived (the reporter's reaction, a contractor's report),
    # until the person it went to opens the case or someone takes it: the queue shows "antwoord ontvangen".
    returned_reason: Mapped[Optional[str]] = mapped_column(String(40))

    case: Mapped[Case] = relationship()
    group = relationship("HandlerGroup")
    assignee = relationship("User", foreign_keys=[assignee_id])


class CaseEvent(Model):
    """One entry of a case's append-only timeline: public text for the citizen or an internal note."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200), default="systeem")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[Optional[str]] = mapped_column(String(30))
    text: Mapped[Optional[str]] = mapped_column(Text)
    note: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)


def new_file_token() -> str:
    """The unguessable key of a file in public URLs (192 bits), never its sequential id."""
    return secrets.token_urlsafe(24)


class CaseFile(Model):
    """A file attached to a case (photo, scan, attachment), kept in the storage folder, never in process data.

    `public` is staff's decision to show a photo on the tracking page and in the Open311 feed; public URLs
    name the file by `public_token`. `stripped` says the stored bytes are a re-encoded image without
    metadata (handlers/photos.py); an image that is not, is re-encoded before it can be made public.
    """

    __tablename__ = "case_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="medewerker")  # melder, medewerker, aannemer, mail
    uploaded_by: Mapped[str] = mapped_column(String(200), default="systeem")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    public_token: Mapped[str] = mapped_column(String(43), unique=True, default=new_file_token)
    stripped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
