"""Recording a reporter's answer to "are you satisfied?" (the feedback page calls give_feedback).

The case's own reporter answers through the BPMN message `feedback` while the process waits for it;
a "no" becomes the reopen request the model describes.

The reporter of a melding merged into another answers on their OWN case: the answer is kept on its
timeline (and counts in the satisfaction figures like any other). A "no" also raises the reopen request
on the original, through the same BPMN message the original's own reporter would send, marked as coming
from a merged melding, so the original's timeline says that a reporter of a duplicate was not satisfied
without saying who. When the original no longer waits for feedback the model has no way in, so:

- a reopen request is already being reviewed: the answer is noted on the original beside it, and this
  reporter hears the decision too (handlers/merged_cases.complainers);
- the original is being handled again: noted; this reporter gets the next closing mail anyway;
- the original's feedback period is over (its own reporter answered, the 14 days passed, or it was kept
  closed): noted, and the group that handled it is mailed, since only a person can still act on it;
  the reporter is told so on the thank-you page instead of being promised a review.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from engine import statuses
from engine.db import db
from engine.errors import Conflict, EngineError, NotFound
from engine.locking import lock_case
from engine.messages import deliver_message
from engine.models import Case
from engine.runtime import commit_or_explain
from engine.timeline import add_event
from engine.workitems import validate_form
from notifications.outbox import queue_mail

from .feedback_links import REVIEW_STATUS, WAITING_STATUS, closing_round, feedback_given
from .groups import group_by_key
from .merged_cases import original_of
from .models import MELDKAMER

log = logging.getLogger(__name__)
MERGED_ACTOR = "melder van een dubbele melding"


@dataclass
class FeedbackResult:
    """The reporter's own case and what their answer led to, for the thank-you page.

    outcome: 'thanks' (satisfied), 'review' (a reopen request is or was already being reviewed),
    'handled_again' (the melding is being handled again), 'passed_on' (too late for a reopen request:
    the group was told).
    """

    case: Case
    outcome: str


def give_feedback(case_id: int, feedback: dict[str, Any]) -> FeedbackResult:
    """Record the validated answer of the reporter of `case_id`; Conflict when the case no longer takes it."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if case.duplicate_of_id is not None:
        return _from_merged_melding(case_id, feedback)
    if case.status == REVIEW_STATUS and not case.completed:
        return _beside_review(case_id, feedback)
    case = deliver_message(case_id, "feedback", feedback, actor="melder")
    return FeedbackResult(case, "thanks" if feedback["satisfied"] else "review")


def _record(case: Case, feedback: dict[str, Any], **extra: Any) -> None:
    """The answer on the reporter's own timeline, in the shape the process's `feedback.record` writes."""
    add_event(case, "feedback", actor="melder", note=feedback.get("comment"),
              data={"satisfied": feedback["satisfied"], "answer": feedback.get("answer"), **extra})


def _beside_review(case_id: int, feedback: dict[str, Any]) -> FeedbackResult:
    """The own reporter answers while a reopen request raised by a merged reporter is reviewed."""
    case = lock_case(case_id)
    if case.status != REVIEW_STATUS or case.completed or feedback_given(case) is not None:
        db.session.rollback()
        raise Conflict(f"case {case.reference} no longer takes this answer")
    _record(case, feedback)
    commit_or_explain(case_id)
    return FeedbackResult(case, "thanks" if feedback["satisfied"] else "review")


def _from_merged_melding(case_id: int, feedback: dict[str, Any]) -> FeedbackResult:
    duplicate = lock_case(case_id)
    original = original_of(duplicate)
    if original is None:
        db.session.rollback()
        raise NotFound(f"the original of case {duplicate.reference} does not exist")
    if feedback_given(duplicate) is not None:
        db.session.rollback()
        raise Conflict(f"case {duplicate.reference} already has an answer for this closing")
    _record(duplicate, feedback, round=closing_round(original), original=original.reference)
    commit_or_explain(case_id)  # the reporter's own answer stays, whatever the original can still do with it
    if feedback["satisfied"]:
        return FeedbackResult(duplicate, "thanks")
    return FeedbackResult(duplicate, _raise_reopen_request(duplicate, original.id, feedback.get("answer")))


def _raise_reopen_request(duplicate: Case, original_id: int, answer: Any) -> str:
    """A merged reporter is not satisfied: the reopen request on the original, or a note when it is too late."""
    original = db.session.get_one(Case, original_id, populate_existing=True)  # cases are never deleted
    if original.status == WAITING_STATUS and not original.completed:
        payload = validate_form("message:feedback", {"satisfied": False, "answer": answer, "comment": None,
                                                     "from_duplicate": True})
        try:
            deliver_message(original_id, "feedback", payload, actor=MERGED_ACTOR)
            return "review"
        except Conflict:  # the original stopped waiting meanwhile: what that means is decided below
            db.session.rollback()
        except EngineError as err:  # a model failure is on the original's timeline; the group is told below
            log.warning("reopen request of %s on its original failed: %s", duplicate.reference, err)
            db.session.rollback()
    return _note_on_original(duplicate, original_id, answer)


def _note_on_original(duplicate: Case, original_id: int, answer: Any) -> str:
    original = lock_case(original_id)
    if original.status == REVIEW_STATUS and not original.completed:
        outcome, why = "review", "het verzoek tot heropenen wordt al beoordeeld."
    elif not original.completed and original.status not in statuses.CLOSED:
        outcome, why = "handled_again", "de melding wordt al opnieuw behandeld."
    else:
        outcome, why = "passed_on", ("de feedbacktermijn van deze melding is voorbij, er kan geen verzoek tot "
                                     "heropenen meer komen; de groep werd verwittigd.")
    said = f" ({answer})" if answer else ""
    add_event(original, "duplicate_feedback", actor=MERGED_ACTOR,
              note=f"Een melder van een dubbele melding is niet tevreden over de afhandeling{said}; {why}",
              data={"satisfied": False, "answer": answer, "reopen_requested": False})
    if outcome == "passed_on":
        _tell_the_group(original, duplicate, answer)
    commit_or_explain(original_id)
    return outcome


def _tell_the_group(original: Case, duplicate: Case, answer: Any) -> None:
    group = original.group if original.group is not None and original.group.email else group_by_key(MELDKAMER)
    if group is None or not group.email:
        add_event(original, "mail_skipped", note="Geen groep met een e-mailadres om te verwittigen")
        return
    queue_mail(original, group.email, "melder_niet_tevreden", recipient_kind="medewerker",
               data={"group": group.name, "answer": answer, "duplicate": duplicate.reference})
