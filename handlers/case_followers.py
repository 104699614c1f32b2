""""Ik meld hetzelfde": a citizen follows an existing melding instead of making a new one.

No case is made for them. A follower (handlers/models.py CaseFollower) is a reporter row tied to the case,
with a tracking token of its own. They get the case's status mails that the reporters of merged duplicates
get (handlers/merged_cases.py FOLLOWED_TEMPLATES), each with their own tracking link and never the case's
own links, its feedback question or its reporter's name; their tracking page (/volg/mee/<token>) shows the
case's public progress with every other reporter's and follower's name and contact data hidden. Staff see
the followers on the case page (by role) and each follow as an internal event on the timeline, with what
the follower typed. Followers are in the privacy export and anonymised with the case.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engine import statuses
from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.models import Case, CaseEvent, Reporter
from engine.settings import settings
from engine.timeline import add_event
from notifications.outbox import language_query, queue_mail

from .merged_cases import (
    OriginalProgress,
    case_by_reference,
    duplicates_of,
    follower_reporters,
    followers_of,
    hiding,
    normalise_reference,
    original_of,
    public_progress,
)
from .models import CaseFollower
from .privacy import SCRUBBED, CaseScrub, iso, on_anonymise_case, on_export
from .reporters import find_or_create_reporter

FOLLOW_EVENT = "follower_added"
# Staff read the timeline in Dutch; the follower's own words are the event's note.
FOLLOW_TEXT = "Een melder volgt dit dossier via 'Ik meld hetzelfde'"
FOLLOW_AGAIN_TEXT = "Een melder die dit dossier al volgt, meldde het opnieuw via 'Ik meld hetzelfde'"
CONFIRMATION_TEMPLATE = "volgen_bevestiging"
TRACKING_PATH = "/volg/mee/"
TOKEN_MIN_LENGTH = 22


def _refused(message: str) -> InvalidInput:
    return InvalidInput("this melding cannot be followed", {"volg": [message]})


def followable(reference: Optional[str]) -> Case:
    """The open melding with this reference that a citizen may follow, or InvalidInput (field "volg", Dutch)."""
    ref = normalise_reference(reference)
    if not ref:
        raise _refused(N_("Geef het referentienummer van de melding die u wilt volgen, bijvoorbeeld M2026-000123."))
    case = case_by_reference(ref)
    if case is None or case.kind != "melding":
        raise _refused(Phrase(N_("Er is geen melding met referentienummer {reference}."), reference=ref))
    check_followable(case)
    return case


def check_followable(case: Case) -> None:
    """InvalidInput unless `case` is an open melding that is not itself a duplicate."""
    ref = case.reference or ""
    if case.kind != "melding":
        raise _refused(Phrase(N_("Er is geen melding met referentienummer {reference}."), reference=ref))
    original = original_of(case)
    if original is not None:
        raise _refused(Phrase(N_("Melding {reference} werd samengevoegd met melding {original}. Volg die melding, "
                                 "of verstuur uw eigen melding."), reference=ref, original=original.reference))
    if case.status in statuses.CLOSED:
        raise _refused(Phrase(N_("Melding {reference} is al afgesloten en kan niet meer gevolgd worden. Is het "
                                 "probleem er nog? Verstuur dan uw eigen melding."), reference=ref))


def follower_by_token(token: str) -> Optional[CaseFollower]:
    """The follower whose tracking link carries `token`; None when unknown (or too short to be one)."""
    if not token or len(token) < TOKEN_MIN_LENGTH:
        return None
    return db.session.scalar(select(CaseFollower).where(CaseFollower.tracking_token == token))


def follower_tracking_url(follower: CaseFollower) -> str:
    """The follower's own tracking link (never the case's own)."""
    language = follower.reporter.language if follower.reporter is not None else None
    return f"{settings().base_url.rstrip('/')}{TRACKING_PATH}{follower.tracking_token}{language_query(language)}"


def _already_mailed(case: Case, email: str) -> bool:
    """This address gets the case's status mails already: as its reporter, or as a merged duplicate's."""
    reporters = [c.reporter for c in [case, *duplicates_of(case)] if c.reporter is not None]
    return any((r.email or "").lower() == email for r in reporters)


def _existing_follower(case: Case, email: str) -> Optional[CaseFollower]:
    return db.session.scalar(select(CaseFollower).join(Reporter, CaseFollower.reporter_id == Reporter.id)
                             .where(CaseFollower.case_id == case.id, func.lower(Reporter.email) == email)
                             .order_by(CaseFollower.id).limit(1))


def follow(case: Case, name: Optional[str], email: Optional[str], phone: Optional[str], language: str = "nl",
           description: Optional[str] = None) -> tuple[Optional[CaseFollower], bool]:
    """Let a citizen follow `case`: (the follower, True) when a follower was made.

    (the existing follower, False) when this address follows the case already, and (None, False) when it
    gets the case's mails already as its reporter (or the reporter of a duplicate merged into it): no second
    row, no second mail. Either way what they typed is kept as an internal note on the case's timeline.
    The caller commits. InvalidInput (Dutch, field "volg" or "email") when the case cannot be followed.
    """
    check_followable(case)
    address = (email or "").strip().lower()
    if not address:
        raise InvalidInput("an e-mail address is needed to follow a melding", {"email": [N_(
            "Geef uw e-mailadres: daarop krijgt u de mails over deze melding.")]})
    note = (description or "").strip() or None
    existing = _existing_follower(case, address)
    if existing is not None or _already_mailed(case, address):
        add_event(case, FOLLOW_EVENT, actor="melder", text=FOLLOW_AGAIN_TEXT, note=note,
                  data={"again": True, "follower": existing.id if existing else None})
        return existing, False
    reporter = find_or_create_reporter((name or "").strip() or None, address, (phone or "").strip() or None,
                                       language)
    follower = CaseFollower(case=case, reporter=reporter)
    db.session.add(follower)
    db.session.flush()  # the reporter row (when new) and the follower, for their ids
    add_event(case, FOLLOW_EVENT, actor="melder", text=FOLLOW_TEXT, note=note, data={"follower": follower.id})
    queue_mail(case, address, CONFIRMATION_TEMPLATE, language=language,
               data={"tracking_url": follower_tracking_url(follower), "name": reporter.name if reporter else None})
    return follower, True


# --- what a follower may read ---------------------------------------------------------------------------------


def follower_filter(case: Case, follower: CaseFollower) -> Callable[[Optional[str]], Optional[str]]:
    """A public text of `case` as `follower` may read it: every other reporter's and follower's name and contact
    data hidden (their own stays)."""
    others = [c.reporter for c in [case, *duplicates_of(case)] if c.reporter is not None]
    others += follower_reporters(case)
    return hiding([r for r in others if r.id != follower.reporter_id])


def follower_progress(follower: CaseFollower) -> OriginalProgress:
    """The followed case's public progress for the follower's tracking page: statuses and public texts only."""
    case = db.session.get_one(Case, follower.case_id)
    return public_progress(case, follower_filter(case, follower))


# --- privacy --------------------------------------------------------------------------------------------------


@on_anonymise_case
def _anonymise_followers(scrub: CaseScrub) -> int:
    """When the case is anonymised: its followers' names and addresses out of its texts and mails, their own
    words dropped, their follower rows (and tracking links) removed, and a reporter row that is nothing else
    any more blanked."""
    changed = 0
    followers = followers_of(scrub.case)
    for follower in followers:
        reporter = follower.reporter
        if reporter is None:
            continue
        if reporter.name:
            scrub.names.append(reporter.name)
        scrub.known.extend(v for v in (reporter.email, reporter.name, reporter.phone) if v and len(v.strip()) >= 3)
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == scrub.case.id,
                                                            CaseEvent.kind == FOLLOW_EVENT)):
        if event.note and event.note != SCRUBBED:
            scrub.known.append(event.note)
            event.note, changed = SCRUBBED, changed + 1
    for follower in followers:
        reporter_id = follower.reporter_id
        db.session.delete(follower)
        db.session.flush([follower])
        reporter = db.session.get(Reporter, reporter_id)
        if reporter is None:
            continue
        still_used = db.session.scalar(select(func.count()).select_from(CaseFollower)
                                       .where(CaseFollower.reporter_id == reporter_id)) or \
            db.session.scalar(select(func.count()).select_from(Case).where(Case.reporter_id == reporter_id))
        if not still_used and (reporter.name or reporter.email or reporter.phone):
            reporter.name = reporter.email = reporter.phone = None
    return changed


@on_export
def _export_followed(emails: list[str]) -> dict[str, Any]:
    """The meldingen these addresses follow, with what they typed when they started following."""
    if not emails:
        return {"followed": []}
    rows = db.session.scalars(select(CaseFollower).join(Reporter, CaseFollower.reporter_id == Reporter.id)
                              .where(func.lower(Reporter.email).in_(emails))
                              .options(joinedload(CaseFollower.case), joinedload(CaseFollower.reporter))
                              .order_by(CaseFollower.id))
    followed = []
    for follower in rows:
        notes = [e.note for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == follower.case_id, CaseEvent.kind == FOLLOW_EVENT)
            .order_by(CaseEvent.id)) if (e.data or {}).get("follower") == follower.id and e.note]
        followed.append({"reference": follower.case.reference, "status": follower.case.status,
                         "since": iso(follower.created_at), "email": follower.reporter.email,
                         "name": follower.reporter.name, "phone": follower.reporter.phone,
                         "tracking_url": follower_tracking_url(follower), "texts": notes})
    return {"followed": followed}
