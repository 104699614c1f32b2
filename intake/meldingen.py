"""Registering a melding from any channel: reporter, case and process start in one transaction."""
from __future__ import annotations

from typing import Any, Optional

from engine.errors import InvalidInput
from engine.models import Case
from engine.new_case_row import reserve_case_id
from engine.runtime import commit_or_explain, start_case
from engine.timeline import add_event
from handlers.categories import active_category
from handlers.locations import locate
from handlers.reporters import find_or_create_reporter  # noqa: F401 (moved to handlers; intake imports it here)


def register_melding(*, description: str, channel: str, category: Optional[str] = None,
                     location: Optional[dict[str, Any]] = None, reporter: Optional[dict[str, Any]] = None,
                     actor: str = "systeem", user_id: Optional[int] = None, commit: bool = True) -> Case:
    """Create a melding and start the melding process; the reporter gets the receipt mail via the outbox.

    `location` was checked by the melding schema; its address or point is completed here (locations.py).

    `commit=False` leaves the commit to the caller, who keeps more in the same transaction (Open311 notes the
    app; the public form adds its photos and the one-time token that says this request made the case).
    """
    category_row = None
    if category:
        category_row = active_category(category)
        if category_row is None:
            raise InvalidInput("unknown category", {"category": [f"no active category '{category}'"]})
    place = locate(location)  # before the transaction: a remote geocoder may take its time-out
    reporter_data = reporter or {}
    email = (reporter_data.get("email") or "").lower() or None
    case_id, stored = reserve_case_id(reporter_email=email)  # on PostgreSQL: one query for both
    person = find_or_create_reporter(reporter_data.get("name"), email, reporter_data.get("phone"),
                                     reporter_data.get("language") or "nl", stored=stored)
    # No e-mail address and no phone number: an anonymous melding, nobody is ever mailed about it.
    anonymous = not (email or reporter_data.get("phone"))
    fields = {"description": description, "channel": channel, "category": category_row,
              "address": place.address, "lat": place.lat, "lon": place.lon, "location_checked": place.checked,
              "reporter": person, "anonymous": anonymous}
    if place.note is None and not anonymous:
        return start_case(kind="melding", process_key="melding", fields=fields, actor=actor, user_id=user_id,
                          case_id=case_id, commit=commit)
    case = start_case(kind="melding", process_key="melding", fields=fields, actor=actor, user_id=user_id,
                      case_id=case_id, commit=False)
    if place.note is not None:
        add_event(case, "location_unchecked", actor="systeem", note=place.note)  # internal: staff only
    if anonymous:
        add_event(case, "anonymous", actor="systeem", note="Anonieme melding: geen e-mailadres of telefoonnummer, "
                                                            "de melder krijgt geen berichten")
    if commit:
        commit_or_explain(case.id)
    return case
