"""Looking up groups and deciding which group's queue a task belongs to."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import or_, select

from engine import registry
from engine.db import db, load_detached
from engine.models import Case
from engine.ttl_cache import TtlCache

from .models import MELDKAMER, ONTHAAL, HandlerGroup, User


def group_by_key(key: Optional[str]) -> Optional[HandlerGroup]:
    """The active group with this key, or None."""
    if not key:
        return None
    return db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == key, HandlerGroup.active.is_(True)))


GROUP_ID_TTL_SECONDS = 30.0
_group_ids: TtlCache[str, Optional[int]] = TtlCache(GROUP_ID_TTL_SECONDS)
_group_copies: TtlCache[tuple[str, str], Optional[HandlerGroup]] = TtlCache(GROUP_ID_TTL_SECONDS)


def group_id_for(key: str) -> Optional[int]:
    """The id of the active group `key`, cached briefly (asked for every task that lands in a lane)."""
    def load() -> Optional[int]:
        group = group_by_key(key)
        return group.id if group else None

    return _group_ids.get(key, load)


def cached_group(key: str) -> Optional[HandlerGroup]:
    """`group_by_key` for the queue pages, cached as briefly as the ids above: a detached copy (loaded in a session
    of its own) merged into the caller's session without a statement, as handlers/categories.py does."""
    copy = _group_copies.get((str(db.engine.url), key), lambda: load_detached(
        select(HandlerGroup).where(HandlerGroup.key == key, HandlerGroup.active.is_(True))))
    return None if copy is None else db.session.merge(copy, load=False)


def forget_group_ids() -> None:
    """Drop the caches after groups change."""
    _group_ids.forget()
    _group_copies.forget()


registry.undated_lane(MELDKAMER)  # the desk passes cases on: the case's deadline is not its own
# The lanes queue_for_task maps: the two desks, and the case's own handler group.
HANDLER_LANE = "behandelaarsgroep"
for _lane in (MELDKAMER, ONTHAAL, HANDLER_LANE):
    registry.lane(_lane)


@registry.group_resolver
def queue_for_task(case: Case, lane: Optional[str], props: dict) -> Optional[int]:
    """Lanes `meldkamer` and `onthaal` go to their desk; a `group` property names a group; else the case's group."""
    key = props.get("group") or (lane if lane in (MELDKAMER, ONTHAAL) else None)
    if key:
        return group_id_for(key)
    # The relationship, not the column: a group set in this transaction has no id in the column until flush.
    return case.group.id if case.group is not None else None


def leads_and_desk(group: Optional[HandlerGroup], desk_key: str = MELDKAMER) -> list[str]:
    """E-mail addresses for an escalation: the group's leads (or its own address) and the desk (meldkamer/onthaal)."""
    addresses: list[str] = []
    if group is not None:
        leads = [u.email for u in group.members if u.role == "groepsverantwoordelijke" and u.email and u.active]
        addresses += leads or ([group.email] if group.email else [])
    desk = group_by_key(desk_key)
    if desk is not None and desk.email:
        addresses.append(desk.email)
    return list(dict.fromkeys(addresses))


def members_of(group: HandlerGroup) -> list[User]:
    """Active members of a group."""
    return [u for u in group.members if u.active]


def assignable_users(group: Optional[HandlerGroup]) -> list[User]:
    """Colleagues who can get work of this group: its members, or the desk's staff for the meldkamer or onthaal."""
    if group is None:
        return []
    desk_role = {MELDKAMER: "meldkamer", ONTHAAL: "onthaal"}.get(group.key)
    if desk_role:  # the desk's staff and the group's members in one statement
        users = set(db.session.scalars(select(User).where(
            User.active.is_(True), or_(User.role == desk_role, User.groups.any(HandlerGroup.id == group.id)))))
    else:
        users = set(members_of(group))
    return sorted(users, key=lambda u: u.display_name)
