"""Merged meldingen: a duplicate B follows its original A, yet every reporter keeps their own case.

The meldkamer marks B a duplicate of A at triage. From then on B's reporter hears of A's progress
(in handling, closed, referred, reopened) with B's own reference, tracking link and feedback link;
never A's links, A's reporter's name or contact data, or A's photos. What is addressed to A's reporter
alone (a question, the receipt) stays theirs. B's tracking page shows A's public progress with A's
reporter's personal data hidden. See handlers/feedback_giving.py for B's feedback.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, overload

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine import statuses
from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.models import Case, CaseEvent, Reporter
from engine.timeline import events_of

from .models import CaseFollower
from .redaction import hide_reporter_data

# What a case of another kind is, in the meldkamer's words.
KIND_WORDS = {"mail": Phrase(N_("een e-mail aan het infoadres")), "post": Phrase(N_("een brief"))}
# Status mails a merged reporter gets too, each with their own case's links; every other template (the
# receipt, the "duplicaat" mail, a question to the reporter) goes to the case's own reporter only.
FOLLOWED_TEMPLATES = frozenset({"in_behandeling", "afgesloten", "doorverwezen", "heropend"})
# Mails that answer a reporter who said they were not satisfied: only those reporters get them.
ANSWER_TO_COMPLAINT = frozenset({"gesloten_gehouden"})
# Timeline entries of the original that a merged reporter sees (its public progress), and how the
# original's statuses read to them: the original's question went to its own reporter, not to them.
PROGRESS_KINDS = frozenset({"status", "dispatched", "handed_over", "contractor_ordered", "contractor_report",
                            "closed", "reopened", "referred", "kept_closed"})
STATUS_FOR_FOLLOWERS = {"wacht_op_melder": "in_behandeling"}


def normalise_reference(value: Optional[str]) -> str:
    """A typed reference as stored: "m2026-000012 " is M2026-000012."""
    return (value or "").strip().upper()


def case_by_reference(reference: Optional[str]) -> Optional[Case]:
    """The case with this reference, typed in any case; None when there is none."""
    ref = normalise_reference(reference)
    return db.session.scalar(select(Case).where(Case.reference == ref)) if ref else None


def _refused(message: str) -> InvalidInput:
    return InvalidInput("the case cannot be marked a duplicate of this one", {"duplicate_of": [message]})


def original_for(case: Optional[Case], reference: Optional[str]) -> Case:
    """The case `case` may be merged into, or InvalidInput with a Dutch message for the field duplicate_of."""
    ref = normalise_reference(reference)
    if not ref:
        raise _refused(N_("Geef de referentie van het originele dossier, bijvoorbeeld M2026-000123."))
    original = case_by_reference(ref)
    if original is None:
        raise _refused(Phrase(N_("Er is geen dossier met referentie {reference}."), reference=ref))
    if case is not None and original.id == case.id:
        raise _refused(Phrase(N_("{reference} is dit dossier zelf: een melding kan geen dubbel van zichzelf zijn."),
                              reference=ref))
    if original.kind != "melding":
        kind = KIND_WORDS.get(original.kind, Phrase(N_("geen melding")))
        raise _refused(Phrase(N_("{reference} is {kind}, geen melding: alleen een melding kan het originele dossier "
                                 "zijn."), reference=ref, kind=kind))
    if original.duplicate_of_id is not None:
        first = db.session.get(Case, original.duplicate_of_id)
        if case is not None and first is not None and first.id == case.id:
            raise _refused(Phrase(N_("{reference} werd zelf al als dubbel van dit dossier gekoppeld."), reference=ref))
        raise _refused(Phrase(N_("{reference} is zelf een dubbel van {original}; kies dat dossier."), reference=ref,
                              original=first.reference if first else "?"))
    return original


def duplicates_of(original: Case) -> list[Case]:
    """The cases merged into `original`, oldest first, with their reporters."""
    return list(db.session.scalars(select(Case).where(Case.duplicate_of_id == original.id)
                                   .options(joinedload(Case.reporter)).order_by(Case.id)))


def followers_of(case: Case) -> list[CaseFollower]:
    """The followers of `case` ("Ik meld hetzelfde", handlers/case_followers.py), oldest first, with their reporters."""
    return list(db.session.scalars(select(CaseFollower).where(CaseFollower.case_id == case.id)
                                   .options(joinedload(CaseFollower.reporter)).order_by(CaseFollower.id)))


def follower_reporters(case: Case) -> list[Reporter]:
    """The reporter rows of the followers of `case` (whose names no other reader may see)."""
    return [f.reporter for f in followers_of(case) if f.reporter is not None]


def original_of(case: Case) -> Optional[Case]:
    """The case `case` was merged into, or None."""
    return db.session.get(Case, case.duplicate_of_id) if case.duplicate_of_id is not None else None


def reader_filter(original: Case, reader: Case) -> Callable[[Optional[str]], Optional[str]]:
    """A function giving a public text of `original` as the reporter of `reader` may read it.

    A closing text or a reason is written to one reporter ("Beste Els, ...") and reaches every reporter
    merged into the same original; each of them sees only their own name and contact data.
    """
    others = [c.reporter for c in [original, *duplicates_of(original)] if c.id != reader.id and c.reporter is not None]
    own = reader.reporter_id
    return hiding([*others, *(r for r in follower_reporters(original) if r.id != own)])


def hiding(others: list[Reporter]) -> Callable[[Optional[str]], Optional[str]]:
    """A function giving a text with the names and contact data of `others` hidden."""

    def readable(text: Optional[str]) -> Optional[str]:
        for reporter in others if text else ():
            text = hide_reporter_data(text, reporter, name_parts=True, any_contact=False)
        return text

    return readable


def readable_by(text: Optional[str], original: Case, reader: Case) -> Optional[str]:
    """One public text of `original` as the reporter of `reader` may read it (see reader_filter)."""
    return reader_filter(original, reader)(text) if text else text


# --- who gets a status mail ---------------------------------------------------------------------------------


@dataclass
class StatusMailRecipient:
    """One reporter to mail, and the case whose reference, tracking link and feedback link the mail carries."""

    reporter: Reporter
    case: Case
    own: bool  # the case's own reporter; False for the reporter of a merged duplicate (or a follower)
    thanks: bool = True  # "bedankt voor uw reactie": only for who reacted (the reopen mail)
    follower: Optional[Any] = None  # a CaseFollower (handlers/case_followers.py): their own link, no feedback


def complainers(original: Case) -> set[int]:
    """Ids of the cases (the original and its duplicates) whose reporter was not satisfied with the latest closing."""
    from .feedback_links import closing_event, closing_round  # feedback_links imports this module

    found: set[int] = set()
    closed = closing_event(original)
    own = select(CaseEvent).where(CaseEvent.case_id == original.id, CaseEvent.kind == "feedback")
    if closed is not None:
        own = own.where(CaseEvent.id > closed.id)
    if any((e.data or {}).get("satisfied") is False for e in db.session.scalars(own)):
        found.add(original.id)
    ids = [d.id for d in duplicates_of(original)]
    if ids:
        current = closing_round(original)
        for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids),
                                                                CaseEvent.kind == "feedback")):
            data = event.data or {}
            if data.get("round") == current and data.get("satisfied") is False:
                found.add(event.case_id)
    return found


def status_mail_recipients(case: Case, template: str, new_case: bool = False) -> list[StatusMailRecipient]:
    """Who gets the status mail `template` of `case`: its reporter, and the merged reporters it concerns."""
    own = [StatusMailRecipient(case.reporter, case, True)] if case.reporter is not None else []
    if new_case or case.kind != "melding" or template not in FOLLOWED_TEMPLATES | ANSWER_TO_COMPLAINT:
        return own
    followers = [StatusMailRecipient(d.reporter, d, False) for d in duplicates_of(case) if d.reporter is not None]
    if template not in ("heropend", "gesloten_gehouden"):
        return with_followers(case, own + followers)
    unhappy = complainers(case)
    if not unhappy:  # nobody's answer is on record (a request from before merged feedback existed)
        unhappy = {case.id}
    everyone = own + followers
    for recipient in everyone:
        recipient.thanks = recipient.case.id in unhappy
    if template in ANSWER_TO_COMPLAINT:
        return [r for r in everyone if r.thanks]
    return with_followers(case, everyone)


def with_followers(case: Case, recipients: list[StatusMailRecipient]) -> list[StatusMailRecipient]:
    """`recipients` and the followers of `case` ("Ik meld hetzelfde"), each address once."""
    mailed = {r.reporter.email.lower() for r in recipients if r.reporter.email}
    result = list(recipients)
    for follower in followers_of(case):
        email = (follower.reporter.email or "").lower() if follower.reporter is not None else ""
        if not email or email in mailed:
            continue
        mailed.add(email)
        result.append(StatusMailRecipient(follower.reporter, case, False, thanks=False, follower=follower))
    return result


# --- the tracking page of a merged melding ------------------------------------------------------------------


@dataclass
class ProgressEntry:
    """One line of the original's progress as a merged reporter sees it."""

    at: datetime
    status: Optional[str]  # a status change, or None for a text
    text: Optional[str]


@dataclass
class OriginalProgress:
    """The original's public progress for the tracking page of a case merged into it."""

    status: str
    closed: bool
    group_name: Optional[str]
    deadline_at: Optional[datetime]
    entries: list[ProgressEntry]
    definition_id: Optional[int] = None  # the original's process definition: the labels of its own statuses


@overload
def follower_status(status: str) -> str: ...
@overload
def follower_status(status: Optional[str]) -> Optional[str]: ...
def follower_status(status: Optional[str]) -> Optional[str]:
    """The original's status as a merged reporter reads it."""
    return STATUS_FOR_FOLLOWERS.get(status, status) if status else status


def original_progress(duplicate: Case) -> Optional[OriginalProgress]:
    """What the reporter of `duplicate` may see of its original: status and public texts, nothing personal."""
    original = original_of(duplicate)
    if original is None:
        return None
    return public_progress(original, reader_filter(original, duplicate))


def public_progress(original: Case, readable: Callable[[Optional[str]], Optional[str]]) -> OriginalProgress:
    """The public progress of `original` (statuses and public texts through `readable`), nothing personal."""
    entries: list[ProgressEntry] = []
    for event in events_of(original.id, public_only=True):
        if event.kind not in PROGRESS_KINDS:
            continue
        if event.kind == "status":
            status = follower_status(event.status)
            if entries and entries[-1].status == status:
                continue  # "waiting for the reporter" and back read as one "in behandeling"
            entries.append(ProgressEntry(event.at, status, None))
        elif event.text:
            entries.append(ProgressEntry(event.at, None, readable(event.text)))
    closed = original.status in statuses.CLOSED
    return OriginalProgress(status=follower_status(original.status), closed=closed,
                            group_name=original.group.name if original.group is not None and not closed else None,
                            deadline_at=original.deadline_at if not closed else None, entries=entries,
                            definition_id=original.definition_id)
