"""Threading: a mail that answers one of our mails joins that case instead of starting a new one.

A mail belongs to a case when its In-Reply-To/References name the Message-ID of a mail we sent for the
case (the outbox) or of an earlier mail of the case, or when its subject carries the case reference
(M2026-000042, I2026-000001, P2026-000003). The match only counts when the sender is the case's
reporter or someone the case already mailed with: a reference in a subject is public (it is printed on
letters and in every mail), so without that check anyone could add text and files to any case, or
answer a question in the reporter's name, by writing a reference in a subject.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from notifications.models import OutboxMessage

from .mail_models import IncomingMail
from .mail_parse import ParsedMail

CASE_REFERENCE = re.compile(r"\b([MIP]\d{4}-\d{6})\b")
# Where the quoted earlier mail starts in a reply (Dutch, French, English mailers).
QUOTE_HEADER = re.compile(
    r"^(?:>|-{2,}\s*(?:original message|oorspronkelijk bericht|message d'origine|doorgestuurd bericht)"
    r"|_{10,}|(?:op|on|le|am)\s.{4,200}\s(?:schreef|wrote|a écrit|schrieb)\s*.{0,80}:\s*$"
    r"|(?:van|from|de|von)\s*:\s.+)", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadMatch:
    """The case a mail belongs to, and how that was found."""

    case: Case
    via: str


@dataclass(frozen=True)
class ThreadLookup:
    """A match, or why a candidate case was refused (a stranger writing a case reference)."""

    match: Optional[ThreadMatch] = None
    refused: Optional[str] = None


def _case_of_message_ids(ids: list[str]) -> Optional[tuple[Case, str]]:
    for message_id in reversed(ids):  # the mail answered directly comes last in References
        case_id = db.session.scalar(select(OutboxMessage.case_id).where(
            OutboxMessage.message_id == message_id, OutboxMessage.case_id.is_not(None)).limit(1))
        source = "onze mail"
        if case_id is None:
            case_id = db.session.scalar(select(IncomingMail.case_id).where(
                IncomingMail.message_id == message_id, IncomingMail.case_id.is_not(None)).limit(1))
            source = "een eerdere mail van het dossier"
        if case_id is not None:
            return db.session.get_one(Case, case_id), f"antwoord op {source} {message_id}"
    return None


def _cases_in_subject(subject: str) -> list[tuple[Case, str]]:
    found = []
    for reference in dict.fromkeys(CASE_REFERENCE.findall(subject or "")):
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        if case is not None:
            found.append((case, f"referentie {reference} in het onderwerp"))
    return found


def known_correspondent(case: Case, address: Optional[str]) -> bool:
    """Whether `address` is the case's reporter, or an address the case mailed to or received mail from."""
    if not address:
        return False
    address = address.lower()
    if case.reporter is not None and (case.reporter.email or "").lower() == address:
        return True
    mailed = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.case_id == case.id, func.lower(OutboxMessage.recipient) == address).limit(1))
    if mailed is not None:
        return True
    wrote = db.session.scalar(select(IncomingMail.id).where(
        IncomingMail.case_id == case.id, IncomingMail.sender == address).limit(1))
    return wrote is not None


def find_thread(mail: ParsedMail) -> ThreadLookup:
    """The case this mail answers, if its sender may write to that case."""
    candidates = []
    by_id = _case_of_message_ids(mail.in_reply_to + [i for i in mail.references if i not in mail.in_reply_to])
    if by_id is not None:
        candidates.append(by_id)
    candidates += _cases_in_subject(mail.subject)
    refused = None
    for case, via in candidates:
        if known_correspondent(case, mail.from_address):
            return ThreadLookup(match=ThreadMatch(case=case, via=via))
        refused = refused or (f"{via} ({case.reference}), maar afzender {mail.from_address or '(onbekend)'} is "
                              f"niet de melder en schreef nog niet met dat dossier")
    return ThreadLookup(refused=refused)


def reply_text(text: str) -> str:
    """The new part of a reply: the text above the quoted earlier mail (all of it when nothing is quoted)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index > 0 and QUOTE_HEADER.match(line.strip()):
            new = "\n".join(lines[:index]).strip()
            return new or text.strip()
    return text.strip()
