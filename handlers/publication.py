"""What the city publishes about a case, decided by staff: a public description and public photos.

The public (the Open311 feed, the tracking page) never sees what the reporter typed or sent as such: the
feed's description is the `public_description` staff wrote (empty: nothing), and a photo shows only after
someone who may handle the case published it, looking at it first (faces, number plates, a front door).
Each decision is one audited transaction on the locked case, an internal timeline event.
"""
from __future__ import annotations

from typing import Optional

from engine.db import db
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.locking import lock_case
from engine.models import Case, CaseFile
from engine.runtime import commit_or_explain
from engine.timeline import add_event

from .files import open_file, replace_content
from .models import User
from .permissions import may
from .photos import clean_image

MAX_PUBLIC_DESCRIPTION = 4000  # GeoReport v2's limit for a description


def set_public_description(case_id: int, user: User, text: Optional[str]) -> Case:
    """Set (or, with empty text, clear) the description the Open311 feed publishes for the case."""
    case = lock_case(case_id)
    if not may(user, "case.publish", case):
        raise Forbidden("only staff who may handle the case decide what is published about it")
    value = (text or "").strip() or None
    if value is not None and len(value) > MAX_PUBLIC_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_PUBLIC_DESCRIPTION} characters",
                           {"public_description": [f"at most {MAX_PUBLIC_DESCRIPTION} characters"]})
    if value == case.public_description:
        db.session.rollback()
        return case
    case.public_description = value
    add_event(case, "public_description", actor=user.display_name, user_id=user.id,
              note=value or "Publieke omschrijving leeggemaakt", data={"cleared": value is None})
    commit_or_explain(case.id)
    return case


def set_photo_public(case_id: int, file_id: int, user: User, public: bool) -> CaseFile:
    """Publish a photo of the case (re-encoded without metadata first when it was kept as it came, e.g. a mail
    attachment or a file from before re-encoding), or take it offline again."""
    case = lock_case(case_id)
    stored = db.session.get(CaseFile, file_id)
    if stored is None or stored.case_id != case.id:
        raise NotFound("this case has no such file")
    if not may(user, "case.publish", case):
        raise Forbidden("only staff who may handle the case decide what is published about it")
    if public and not stored.content_type.startswith("image/"):
        raise InvalidInput("only photos can be published", {"file": ["not a photo"]})
    if stored.public == public:
        db.session.rollback()
        return stored
    if public and not stored.stripped:
        with open_file(stored) as handle:
            cleaned = clean_image(handle.read())  # PhotoRefused when it cannot be read
        # The clean copy is removed again if the commit fails; the original with its metadata is gone once
        # the clean copy is committed (handlers/storage.py).
        replace_content(stored, cleaned)
    stored.public = public
    add_event(case, "photo_published" if public else "photo_unpublished", actor=user.display_name, user_id=user.id,
              note=f"Foto {stored.filename} {'publiek gemaakt' if public else 'niet meer publiek'}",
              data={"file_id": stored.id})
    commit_or_explain(case.id)
    return stored
