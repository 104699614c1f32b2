"""Registering a scanned letter: check what the postkamer typed and the scan, then create the post case.

`check_registration` turns the typed strings and the uploaded file into a `Registration` or raises
InvalidInput with a Dutch message per field; `register_post` creates the sender (as reporter), the case, its
`post_letters` row and the scan (a case file) in one transaction and starts bpmn/post.bpmn.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional, cast

from marshmallow import ValidationError
from pypdf import PdfReader

from engine.errors import InvalidInput
from engine.models import Case
from engine.runtime import start_case
from handlers.files import MAX_BYTES
from handlers.post_actions import incoming_letter
from handlers.post_deadlines import Term, answer_deadline
from handlers.post_models import PostLetter
from handlers.post_registration import (  # noqa: F401  (MAX_* and local_today: where other modules import them from)
    MAX_ADDRESS,
    MAX_NAME,
    MAX_SCAN_MB,
    MAX_SUBJECT,
    MSG,
    RegistrationSchema,
    local_today,
)
from handlers.routing import RoutingSample, active_rules, evaluate_rules

from .meldingen import find_or_create_reporter

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Scan:
    """A checked PDF scan: its bytes, file name and number of pages."""

    content: bytes
    filename: str
    pages: int


@dataclass(frozen=True)
class Registration:
    """A letter as the postkamer registers it, checked."""

    sender_name: str
    sender_address: str
    sender_email: Optional[str]
    received_on: date
    written_on: Optional[date]
    subject: str
    kind: str
    registered_mail: bool
    group_key: str
    term: Optional[Term]
    scan: Scan


def check_scan(content: Optional[bytes], filename: str) -> Scan:
    """A PDF for real (magic bytes, and pypdf opens it and counts its pages), within the size limit."""
    if content is None:
        raise InvalidInput(MSG["scan"], {"scan": [MSG["scan"]]})
    if not content:
        raise InvalidInput(MSG["scan_empty"], {"scan": [MSG["scan_empty"]]})
    if len(content) > MAX_BYTES:
        raise InvalidInput(MSG["scan_big"], {"scan": [MSG["scan_big"]]})
    if not content.startswith(PDF_MAGIC):
        raise InvalidInput(MSG["scan_type"], {"scan": [MSG["scan_type"]]})
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted")
        pages = len(reader.pages)
    except Exception as err:  # pypdf raises many kinds of errors on broken files
        log.info("scan refused: %s", err)
        raise InvalidInput(MSG["scan_broken"], {"scan": [MSG["scan_broken"]]}) from err
    if pages < 1:
        raise InvalidInput(MSG["scan_pages"], {"scan": [MSG["scan_pages"]]})
    name = (filename or "scan.pdf").replace("\\", "/").rsplit("/", 1)[-1][:200] or "scan.pdf"
    return Scan(content=content, filename=name, pages=pages)


def suggested_group(subject: str) -> tuple[Optional[str], str]:
    """The routing rules' suggestion for a letter about `subject`: (group key or None, the reason)."""
    decision = evaluate_rules(RoutingSample(description=subject or "", channel="brief"), active_rules())
    return (decision.group.key if decision.group is not None else None), decision.reason


def check_registration(values: dict[str, str], scan_content: Optional[bytes], scan_name: str) -> Registration:
    """Check everything typed (handlers/post_registration.py) and the scan; InvalidInput lists every problem at
    once, in Dutch."""
    errors: dict[str, list[str]] = {}
    try:
        clean = RegistrationSchema(suggest=lambda subject: suggested_group(subject)[0]).load(values)
    except ValidationError as err:
        clean, errors = {}, dict(err.messages)  # type: ignore[arg-type]
    scan = None
    try:
        scan = check_scan(scan_content, scan_name)
    except InvalidInput as err:
        errors.update(err.fields)
    if errors:
        raise InvalidInput("de registratie heeft fouten", errors)
    return Registration(scan=cast(Scan, scan), **clean)  # no errors: the scan was checked


def register_post(reg: Registration, *, actor: str, user_id: Optional[int], commit: bool = True) -> Case:
    """Create the post case: sender as reporter, letter row, scan, routing and deadline, in one transaction.

    `commit=False` leaves the commit to the caller (who records the form's one-time token with it).
    """
    reporter = find_or_create_reporter(reg.sender_name, reg.sender_email, None)
    term = reg.term
    letter = PostLetter(sender_name=reg.sender_name, sender_address=reg.sender_address,
                        sender_email=reg.sender_email, received_on=reg.received_on, written_on=reg.written_on,
                        subject=reg.subject, letter_kind=reg.kind, registered_mail=reg.registered_mail,
                        deadline_days=term.days if term else 0, deadline_unit=term.unit if term else "kalenderdagen",
                        registered_by=actor)
    data: dict[str, Any] = {"letter_kind": reg.kind, "group": reg.group_key,
                            "deadline": answer_deadline(reg.received_on, term).isoformat() if term else None}
    fields = {"description": reg.subject, "channel": "brief", "reporter": reporter}
    with incoming_letter(letter, reg.scan):
        return start_case(kind="post", process_key="post", fields=fields, data=data, actor=actor, user_id=user_id,
                          commit=commit)
