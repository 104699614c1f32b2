"""Handler groups, staff users, categories and contractor orders."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.db import BigId, Model, UTCDateTime, db

from .permission_table import ROLES  # noqa: F401 (defined with the table; imported from here by many)

GROUP_KINDS = ("desk", "internal", "external")
MELDKAMER = "meldkamer"  # key of the dispatch desk's group and of its BPMN lane
ONTHAAL = "onthaal"  # key of the front office's group (the info mailbox) and of its BPMN lane
# The desk each desk role acts for without being a member of its group (User.group_keys).
_DESK_OF_ROLE = {"meldkamer": MELDKAMER, "onthaal": ONTHAAL}

memberships = Table(
    "memberships",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("handler_groups.id", ondelete="CASCADE"), primary_key=True),
)


class HandlerGroup(Model):
    """A team with a work queue (behandelaarsgroep), the meldkamer desk, or an external contractor."""

    __tablename__ = "handler_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="internal")
    email: Mapped[Optional[str]] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    members = relationship("User", secondary=memberships, back_populates="groups")


class User(Model):
    """A staff member with one role; API access by a token whose hash is stored, never the token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[Optional[str]] = mapped_column(String(300))
    api_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(2), default="nl", server_default="nl")  # as migration 0002 made it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Every web session stores the version it was made under; raising it ends all of them (handlers/staff_sessions.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when too many wrong passwords locked the account (handlers/login_throttle.py); an admin can lift it.
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    groups = relationship(HandlerGroup, secondary=memberships, back_populates="members")

    # The interface Flask-Login expects of a user (kept here so handlers does not depend on the web layer).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def issue_api_token(self) -> str:
        """Create a new API token for this user, store its hash and return the token once."""
        token = secrets.token_urlsafe(32)
        self.api_token_hash = hash_token(token)
        return token

    @property
    def group_keys(self) -> set[str]:
        """Keys of the groups this user may act for (the meldkamer and onthaal roles act for their desk)."""
        keys = {g.key for g in self.groups}
        desk = _DESK_OF_ROLE.get(self.role)
        if desk is not None:
            keys.add(desk)
        return keys

    def may_act_for(self, group_key: Optional[str]) -> bool:
        """True when this user may complete work for the given group (the "work.do" row of handlers/permissions.py;
        the engine asks this without knowing the table)."""
        from .permission_table import ALL, OWN, scope

        cell = scope(self, "work.do")
        if not self.active or cell not in (ALL, OWN):
            return False
        if cell == ALL:
            return True
        # The desk of the role (meldkamer, onthaal) is known without loading the user's groups.
        return group_key is not None and (group_key == _DESK_OF_ROLE.get(self.role) or group_key in self.group_keys)


def hash_token(token: str) -> str:
    """SHA-256 of an API token; tokens are long random strings, so a plain hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class Category(Model):
    """A main or sub category of meldingen, with the default group and deadline in working days."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))
    default_group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handler_groups.id"))
    deadline_days: Mapped[int] = mapped_column(Integer, default=10)
    synonyms: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "Is dit uw melding?" looks this many days back for this category (None: MELDPUNT_NEARBY_DAYS).
    duplicate_days: Mapped[Optional[int]] = mapped_column(Integer)
    # Offered to citizens (public form, search, Open311 services); staff can always choose a category.
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Citizens may report in this category without any contact data (an anonymous melding: they hear nothing).
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    parent = relationship("Category", remote_side=[id])
    default_group = relationship(HandlerGroup)


class RoutingRule(Model):
    """One ordered routing rule: when all its conditions hold, it suggests its group (first match wins)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("handler_groups.id"))
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))
    channel: Mapped[Optional[str]] = mapped_column(String(20))
    keywords: Mapped[Optional[str]] = mapped_column(Text)  # comma separated; any one matches
    min_lat: Mapped[Optional[float]] = mapped_column()
    max_lat: Mapped[Optional[float]] = mapped_column()
    min_lon: Mapped[Optional[float]] = mapped_column()
    max_lon: Mapped[Optional[float]] = mapped_column()
    area_name: Mapped[Optional[str]] = mapped_column(String(200))

    group = relationship(HandlerGroup)
    category = relationship("Category")


class ContractorOrder(Model):
    """Work ordered from an external contractor for one case, followed until it reports back."""

    __tablename__ = "contractor_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("handler_groups.id"))
    instructions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, planned, done, refused
    planned_for: Mapped[Optional[str]] = mapped_column(String(10))
    report: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    contractor = relationship(HandlerGroup)
    case = relationship("Case")

    def age_days(self, now: datetime) -> int:
        """Whole days since the order was placed."""
        return (now - self.created_at).days


def new_follower_token() -> str:
    """The key of a follower's tracking link (256 bits), as unguessable as a case's own tracking token."""
    return secrets.token_urlsafe(32)


class CaseFollower(Model):
    """A citizen who said "Ik meld hetzelfde": they follow an existing melding instead of making a new one.

    No case is made for them. They get the case's status mails (handlers/case_followers.py) with their own
    tracking link, which shows the case's public progress and nothing of its reporter or other followers.
    """

    __tablename__ = "case_followers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporters.id"), index=True)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_follower_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case = relationship("Case")
    reporter = relationship("Reporter")
