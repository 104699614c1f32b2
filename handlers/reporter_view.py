"""A case as the reporting role may see it: the facts and the timeline's course, no reporter data.

The reporting role reads cases to explain figures. What reporters wrote (the description, their replies,
the notes staff took of a phone call), their mails, letters and files can all name them, so none of it is
shown; the public texts staff wrote for the reporter stay (they are on the tracking page and, for meldingen,
in the Open311 feed), without the reporter's name, e-mail address or phone number, except answers to an info
mail, which are letters to one person.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from engine.models import Case, CaseEvent

from .merged_cases import follower_reporters
from .privacy import scrub_text

PERSONAL_PUBLIC_KINDS = {"answer_sent"}


@dataclass(frozen=True)
class EventView:
    """A timeline entry with only what may be shown to a role without access to reporter data."""

    id: int
    at: datetime
    kind: str
    actor: str
    public: bool
    status: Optional[str]
    text: Optional[str]
    note: Optional[str]
    data: Optional[dict[str, Any]]


def reporter_names(case: Case) -> tuple[str, ...]:
    """The reporter's (and followers') known full names, to cut out of texts written to them ("Beste Els Peeters,
    ...")."""
    own = (case.reporter.name,) if case.reporter is not None and case.reporter.name else ()
    return own + tuple(r.name for r in follower_reporters(case) if r.name) if case.kind == "melding" else own


def without_reporter_data(events: list[CaseEvent], names: tuple[str, ...] = ()) -> list[EventView]:
    """The timeline without notes, internal texts, event data or personal public texts; the public texts left
    lose e-mail addresses, phone numbers and the reporter's name (`names`)."""
    views = []
    for event in events:
        text = event.text if event.public and event.kind not in PERSONAL_PUBLIC_KINDS else None
        text = scrub_text(text, names)
        data = {"title": event.data.get("title")} if event.kind == "task_completed" and event.data else None
        views.append(EventView(id=event.id, at=event.at, kind=event.kind, actor=event.actor, public=event.public,
                               status=event.status, text=text, note=None, data=data))
    return views
