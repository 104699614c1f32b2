"""The reporter answers the city's question on the tracking page, with text and up to three photos.

A handler asks the reporter a question ("Informatie vragen aan melder"); the melding then waits for the BPMN
message `reporter_reaction`. A reply to the question mail delivers it (intake/mail_replies.py); the tracking
page delivers the very same message with the same payload ({"text": ...}), so the model cannot tell them
apart: the clock restarts (`deadline.resume`) and the handling task goes back to whoever asked, marked
"antwoord ontvangen" (`work.return_to_asker`). The photos become files of the case (never public until staff
publish one), stored in the same transaction as the message: if the message is refused, nothing is kept.

The question shown is the one the handler wrote in the handling form (the same text the question mail
carries). Whether it can still be answered is the process's say: only while the case waits for the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.errors import Conflict
from engine.messages import deliver_message
from engine.models import Case, CaseEvent
from engine.timeline import add_event

from .files import storage_root, store_file
from .photos import CleanImage

MESSAGE = "reporter_reaction"
WAITING_STATUS = "wacht_op_melder"  # the status of the model's "Wachten op reactie melder" task
MAX_ANSWER = 4000  # the reporter_reaction payload's limit (handlers/messages.py)
PHOTO_TYPES = ("image/jpeg", "image/png")
ACTOR = "melder"


@dataclass(frozen=True)
class Question:
    """The question the city asked the reporter, when it was asked, and until when the case waits for the answer."""

    text: str
    asked_at: datetime
    answer_before: Optional[datetime]


def _question_event(case_id: int) -> Optional[CaseEvent]:
    """The completed handling task in which the last question to the reporter was asked."""
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                        CaseEvent.kind == "task_completed")
                                .order_by(CaseEvent.id.desc()))
    for event in events:
        form = (event.data or {}).get("form") or {}
        if form.get("action") == "request_info" and (form.get("question") or "").strip():
            return event
    return None


def waits_for_answer(case: Case) -> bool:
    """The case waits for the reporter's answer to a question (its own reporter's: a merged melding never does)."""
    return (case.kind == "melding" and case.status == WAITING_STATUS and not case.completed
            and case.duplicate_of_id is None)


def open_question(case: Case) -> Optional[Question]:
    """The question the reporter can answer now, or None."""
    if not waits_for_answer(case):
        return None
    event = _question_event(case.id)
    if event is None:
        return None
    return Question(text=str(((event.data or {}).get("form") or {}).get("question") or "").strip(), asked_at=event.at,
                    answer_before=case.next_timer_at)


def why_closed(case: Case) -> str:
    """Why the case takes no answer now: 'closed', 'answered' (the last question was answered, by mail or
    here), 'too_late' (the reaction window passed) or 'no_question'."""
    if case.status in statuses.CLOSED or case.completed:
        return "closed"
    asked = _question_event(case.id)
    if asked is None:
        return "no_question"
    later = list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.id > asked.id,
                                                            CaseEvent.kind.in_(("message", "no_reaction")))))
    if any(e.kind == "message" and (e.data or {}).get("message") == MESSAGE for e in later):
        return "answered"
    if any(e.kind == "no_reaction" for e in later):
        return "too_late"
    return "no_question"


def answer_question(case_id: int, text: str, photos: list[tuple[CleanImage, str]]) -> Case:
    """Store the photos and deliver the answer as `reporter_reaction`, in one transaction (it commits, with
    whatever the caller added to it: the form's one-time token).

    Conflict when the case no longer waits for the answer; then nothing is kept (the caller's rows neither) and
    the files already written are removed. The answer is on the staff timeline as a note ('reporter_answer'),
    as a reply mail is; anonymising the reporter removes it (handlers/privacy.py).
    """
    written: list[Path] = []
    try:
        case = db.session.scalars(select(Case).where(Case.id == case_id).with_for_update()
                                  .execution_options(populate_existing=True)).one()
        if not waits_for_answer(case):
            raise Conflict(f"case {case.reference} does not wait for the reporter's answer")
        for photo, name in photos:
            stored = store_file(case, photo, name, source="melder", uploaded_by=ACTOR, public=False,
                                allowed=PHOTO_TYPES, field="photos")
            written.append(storage_root() / stored.storage_key)
        with_photos = f" met {len(written)} foto('s)" if written else ""
        add_event(case, "reporter_answer", actor=ACTOR,
                  note=f"Antwoord van de melder via de volgpagina{with_photos}:\n\n{text}",
                  data={"photos": len(written), "via": "volgpagina"})
        return deliver_message(case_id, MESSAGE, {"text": text}, actor=ACTOR)  # commits
    except BaseException:
        db.session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        raise
