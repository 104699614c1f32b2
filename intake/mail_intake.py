"""Taking in one mail, exactly once: a new infomail case, an addition to a case, a bounce, or ignored.

Each mail is one transaction that holds its IncomingMail row together with everything the mail
changes (the new case, the timeline event, the files, the message to the waiting process). A crash
before the commit leaves nothing, so the next poll reads the mail again; after the commit the row
exists, so no poll makes the case twice. A mail that fails is recorded as failed with the error (and
its raw bytes, so it can be tried again from the admin page) and never blocks the next one.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Optional

from flask import has_app_context
from sqlalchemy import or_, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, Reporter
from engine.runtime import commit_or_explain, start_case
from engine.settings import settings
from engine.timeline import add_event

from .loop_guard import Verdict, bounce_report, classify
from .mail_dedup import content_sha256
from .mail_files import store_mail_file, store_mail_files
from .mail_models import IMPORT_FOLDER, IncomingMail
from .mail_parse import ParsedMail, parse_mail
from .mail_replies import add_to_case
from .mail_threading import CASE_REFERENCE, find_thread, known_correspondent
from .meldingen import find_or_create_reporter

log = logging.getLogger(__name__)
NO_TEXT = "(Deze mail bevat geen leesbare tekst.)"
NO_TEXT_FILES = "(Deze mail bevat geen tekst; zie de bijlagen.)"


@dataclass(frozen=True)
class IntakeResult:
    """What became of one mail (for the CLI, the poller and the tests)."""

    outcome: str
    reason: str
    reference: Optional[str] = None
    row_id: Optional[int] = None
    already: bool = False  # the same mail was processed before; nothing was done now

    def __str__(self) -> str:
        if self.already:
            return f"already processed ({self.outcome}{' ' + self.reference if self.reference else ''})"
        if self.outcome == "new_case":
            return f"{self.reference} created: {self.reason}"
        if self.outcome in ("added_to_case", "bounce"):
            return f"added to {self.reference}: {self.reason}"
        return f"{self.outcome}: {self.reason}"


def own_addresses() -> tuple[str, ...]:
    """Our own sending and receiving addresses: mail from them never starts a case."""
    if not has_app_context():
        return ()
    configured = settings()
    values = [configured.info_address, configured.mail_from, configured.imap_user]
    return tuple(address.lower() for _name, address in getaddresses([v for v in values if v]) if "@" in address)


def take_in(raw: bytes, *, folder: str = IMPORT_FOLDER, uidvalidity: Optional[int] = None,
            uid: Optional[int] = None) -> IntakeResult:
    """Process one raw mail once (commits). The same IMAP message or the same bytes again do nothing."""
    if uid is not None:
        seen = db.session.scalar(select(IncomingMail).where(
            IncomingMail.folder == folder, IncomingMail.uidvalidity == uidvalidity, IncomingMail.uid == uid))
        if seen is not None:
            return _already(seen)
    sha, content = hashlib.sha256(raw).hexdigest(), content_sha256(raw)
    # Deduplicated by the content (line endings aside: intake/mail_dedup.py), not by Message-ID alone:
    # senders reuse Message-IDs for different mails (and a stranger could reuse a citizen's to make their
    # mail disappear). The exact hash still finds rows from before content_sha256 was kept.
    same = or_(IncomingMail.content_sha256 == content, IncomingMail.sha256 == sha)
    earlier = db.session.scalar(select(IncomingMail).where(same, IncomingMail.outcome != "failed")
                                .order_by(IncomingMail.id).limit(1))
    if earlier is not None and uid is None:
        return _already(earlier)
    row = db.session.scalar(select(IncomingMail).where(same, IncomingMail.outcome == "failed",
                                                       IncomingMail.uid.is_(None)).limit(1)) if uid is None else None
    row = row or IncomingMail(folder=folder, uidvalidity=uidvalidity, uid=uid, sha256=sha, content_sha256=content,
                              received_at=utcnow())
    if earlier is not None:  # the mailbox was renumbered (new UIDVALIDITY) or the mail was copied
        row.outcome, row.case_id = "ignored", earlier.case_id
        row.reason = f"zelfde bericht als inkomende mail #{earlier.id} (al verwerkt)"
        db.session.add(row)
        db.session.commit()
        return IntakeResult("ignored", row.reason, _reference(earlier.case_id), row.id)
    return process(raw, row)


def retry_failed(row_id: int) -> IntakeResult:
    """Process a failed mail again from its kept bytes (the admin page's button)."""
    row = db.session.get(IncomingMail, row_id)
    if row is None or row.outcome != "failed" or row.raw is None:
        raise ValueError("only a failed mail with its content kept can be tried again")
    return process(row.raw, row)


def _already(row: IncomingMail) -> IntakeResult:
    return IntakeResult(row.outcome, row.reason or "", _reference(row.case_id), row.id, already=True)


def _reference(case_id: Optional[int]) -> Optional[str]:
    return db.session.scalar(select(Case.reference).where(Case.id == case_id)) if case_id else None


def process(raw: bytes, row: IncomingMail) -> IntakeResult:
    """Decide and act on one mail with its (new or failed) row; any error records the row as failed."""
    row_id = row.id
    folder, uidvalidity, uid, sha = row.folder, row.uidvalidity, row.uid, row.sha256
    try:
        mail = parse_mail(raw)
        row.message_id, row.sender, row.subject = mail.message_id, mail.from_address, mail.subject or None
        row.raw = None
        return _decide(mail, row, classify(mail, own_addresses()))
    except Exception as err:  # a mail must never stop the mailbox: record it and go on
        db.session.rollback()
        winner = _taken_in_meanwhile(folder, uidvalidity, uid, sha) if row_id is None else None
        if winner is not None:  # another worker committed this mail first: its row stands, ours is gone
            return _already(winner)
        log.exception("incoming mail could not be processed")
        failed = db.session.get(IncomingMail, row_id) if row_id else None
        if failed is None:
            failed = IncomingMail(folder=folder, uidvalidity=uidvalidity, uid=uid, sha256=sha,
                                  content_sha256=content_sha256(raw), received_at=utcnow())
            db.session.add(failed)
        failed.outcome, failed.case_id, failed.raw = "failed", None, raw
        failed.reason = f"{type(err).__name__}: {err}"[:2000]
        try:
            mail_headers = parse_mail(raw)
            failed.sender, failed.subject = mail_headers.from_address, mail_headers.subject or None
            failed.message_id = mail_headers.message_id
        except Exception:  # nothing more to learn from it
            pass
        db.session.commit()
        return IntakeResult("failed", failed.reason, None, failed.id)


def _taken_in_meanwhile(folder: str, uidvalidity: Optional[int], uid: Optional[int],
                        sha: str) -> Optional[IncomingMail]:
    """The row another worker committed for this same message while we processed it (unique key or bytes)."""
    if uid is not None:
        return db.session.scalar(select(IncomingMail).where(
            IncomingMail.folder == folder, IncomingMail.uidvalidity == uidvalidity, IncomingMail.uid == uid))
    return db.session.scalar(select(IncomingMail).where(IncomingMail.sha256 == sha, IncomingMail.outcome != "failed")
                             .limit(1))  # `sha` of these very bytes: the row another worker made for them


def _decide(mail: ParsedMail, row: IncomingMail, verdict: Verdict) -> IntakeResult:
    if verdict.kind == "bounce":
        bounced = _bounce(mail, row, verdict)
        if bounced is not None:
            return bounced
    lookup = find_thread(mail)
    if lookup.match is not None and verdict.kind != "bounce":
        case = lookup.match.case
        how = add_to_case(case, mail, verdict, row, lookup.match.via)
        return IntakeResult("added_to_case", how, case.reference, row.id)
    if verdict.automatic:
        row.outcome = "ignored"
        row.reason = f"genegeerd: {verdict.reason}" + (f"; {lookup.refused}" if lookup.refused else "")
        db.session.add(row)
        db.session.commit()
        return IntakeResult("ignored", row.reason, None, row.id)
    return _new_case(mail, row, verdict, lookup.refused)


def _description(mail: ParsedMail) -> str:
    if mail.text.strip():
        return mail.text
    return NO_TEXT_FILES if mail.attachments else NO_TEXT


def _new_case(mail: ParsedMail, row: IncomingMail, verdict: Verdict, refused: Optional[str]) -> IntakeResult:
    acknowledge = verdict.acknowledge and bool(mail.from_address)
    if acknowledge:
        reason = "nieuw dossier met ontvangstbevestiging"
    elif verdict.acknowledge:
        reason = "nieuw dossier zonder ontvangstbevestiging: geen afzender"
    else:
        reason = f"nieuw dossier zonder ontvangstbevestiging: {verdict.reason}"
    if refused:
        reason += f"; niet bij een bestaand dossier gevoegd: {refused}"
    existing = db.session.scalar(select(Reporter).where(Reporter.email == mail.from_address).limit(1)) \
        if mail.from_address else None
    reporter = find_or_create_reporter(mail.from_name, mail.from_address, None,
                                       existing.language if existing is not None else "nl")
    row.outcome, row.reason = "new_case", reason
    db.session.add(row)

    def finish(case: Case) -> None:
        row.case_id = case.id
        notes = store_mail_files(case, mail) + mail.problems
        if not acknowledge:
            why = verdict.reason if not verdict.acknowledge else "geen afzender"
            notes.insert(0, f"Geen ontvangstbevestiging: {why}")
        if refused:
            notes.append(f"Niet bij een bestaand dossier gevoegd: {refused}")
        if mail.forwarded:
            notes.append(f"Bevat {mail.forwarded} doorgestuurd(e) bericht(en); het originele bericht is bijgevoegd")
        notes.insert(0, f"Mail ontvangen, onderwerp: {mail.subject or '(geen)'}")
        add_event(case, "mail_received", actor="melder" if mail.from_address else "mailbox", note="\n".join(notes),
                  data={"message_id": mail.message_id, "subject": mail.subject, "from": mail.from_address,
                        "attachments": [a.filename for a in mail.attachments], "verdict": verdict.kind})

    data = {"subject": mail.subject, "acknowledge": acknowledge, "message_id": mail.message_id,
            "from": mail.from_address}
    # The actor is shown on the timeline to every role: the role name, not the address (contact data).
    # commit=False: the mail's row, files and notes need the new case's id and go in the same commit.
    case = start_case(kind="mail", process_key="infomail", actor="melder" if mail.from_address else "mailbox",
                      fields={"description": _description(mail), "channel": "mail", "reporter": reporter},
                      data=data, commit=False)
    finish(case)
    commit_or_explain(case.id)
    return IntakeResult("new_case", reason, case.reference, row.id)


def _bounce(mail: ParsedMail, row: IncomingMail, verdict: Verdict) -> Optional[IntakeResult]:
    """A bounce of one of our mails marks the address as failing on its case; None when it is not ours."""
    from notifications.models import OutboxMessage

    report = bounce_report(mail)
    sent = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(report.original_ids))
                                   .order_by(OutboxMessage.id))) if report.original_ids else []
    case: Optional[Case] = db.session.get(Case, sent[0].case_id) if sent and sent[0].case_id else None
    addresses = [o.recipient.lower() for o in sent]
    how = "Message-ID van onze mail"
    if case is None:
        for reference in CASE_REFERENCE.findall(f"{report.original_subject} {mail.subject}"):
            candidate = db.session.scalar(select(Case).where(Case.reference == reference))
            # The reference alone is public: only a failed address the case really mailed to counts.
            failing = [a for a in report.failed_recipients if candidate and known_correspondent(candidate, a)]
            if candidate is not None and failing:
                case, addresses, how = candidate, failing, f"referentie {reference}"
                break
    if case is None:
        return None
    now = utcnow()
    diagnostic = report.diagnostic or verdict.reason
    for outbox_row in sent:
        outbox_row.status = "failed"
        outbox_row.last_error = f"teruggekomen (bounce): {diagnostic}"[:2000]
    if case.reporter is not None and (case.reporter.email or "").lower() in addresses:
        case.reporter.email_failed_at = now
    addresses = list(dict.fromkeys(addresses))
    add_event(case, "mail_bounced", actor="mailbox",
              note=f"Mail aan {', '.join(addresses)} kwam niet aan: {diagnostic}",
              data={"addresses": addresses, "message_ids": report.original_ids, "diagnostic": diagnostic})
    row.outcome, row.case_id = "bounce", case.id
    row.reason = f"foutmelding bij {case.reference} ({how}): {', '.join(addresses)} werkt niet"
    db.session.add(row)
    store_mail_file(case, mail.raw, "foutmelding.eml", "message/rfc822")
    db.session.commit()
    return IntakeResult("bounce", row.reason, case.reference, row.id)
