"""A mail that answers a case: on the timeline, its files on the case, and on to whoever works the case.

A melding waiting for the reporter's reaction gets it as the BPMN message `reporter_reaction`; an
infomail waiting for the citizen's reply gets `citizen_reply`. Any other case, and any case that is not
waiting after all, gets the mail on its timeline and an internal mail (`nieuwe_mail`) to the group
working it, or the onthaal (infomail, post) or the meldkamer (melding) when no group has it yet.
An automatic answer (an out-of-office in reply to our mail) only goes on the timeline.
"""
from __future__ import annotations

import logging
from typing import Optional, cast

from engine.db import db
from engine.errors import EngineError
from engine.messages import deliver_message
from engine.models import Case
from engine.timeline import add_event
from handlers.groups import group_by_key
from handlers.models import MELDKAMER, HandlerGroup
from notifications.outbox import queue_mail

from .loop_guard import Verdict
from .mail_files import store_mail_files
from .mail_models import IncomingMail
from .mail_parse import ParsedMail
from .mail_threading import reply_text

log = logging.getLogger(__name__)
ONTHAAL = "onthaal"
REACTION_MAX = 4000  # the reporter_reaction payload's limit (handlers/messages.py)
EXCERPT_MAX = 2000


def waiting_message(case: Case) -> Optional[str]:
    """The BPMN message the case waits for from its correspondent, if any."""
    if case.kind == "melding" and case.status == "wacht_op_melder":
        return "reporter_reaction"
    if case.kind == "mail" and case.status == "beantwoord":
        return "citizen_reply"
    return None


def _payload(message: str, text: str, mail: ParsedMail) -> dict:
    if message == "reporter_reaction":
        return {"text": text[:REACTION_MAX]}
    return {"text": text, "message_id": mail.message_id, "subject": mail.subject or None}


def _working_group(case: Case) -> Optional[HandlerGroup]:
    fallback = group_by_key(ONTHAAL) if case.kind in ("mail", "post") else group_by_key(MELDKAMER)
    for group in (case.group, fallback, group_by_key(ONTHAAL), group_by_key(MELDKAMER)):
        if group is not None and group.email:
            return group
    return None


def _actor(case: Case, mail: ParsedMail) -> str:
    """Who wrote, as the timeline shows it to every role: 'melder', never the address (contact data)."""
    reporter = (case.reporter.email or "").lower() if case.reporter is not None else ""
    return "melder" if mail.from_address and mail.from_address == reporter else "correspondent"


def _record(case: Case, mail: ParsedMail, verdict: Verdict, row: IncomingMail, via: str, text: str) -> None:
    """The row, the timeline event and the files: the part that is the same whatever follows."""
    row.outcome, row.case_id = "added_to_case", case.id
    db.session.add(row)
    notes = store_mail_files(case, mail) + mail.problems
    body = f"Mail ontvangen, onderwerp: {mail.subject or '(geen)'}\n\n{text}"
    if notes:
        body += f"\n\n[{'; '.join(notes)}]"
    add_event(case, "mail_received", actor=_actor(case, mail), note=body,
              data={"message_id": mail.message_id, "subject": mail.subject, "from": mail.from_address,
                    "attachments": [a.filename for a in mail.attachments], "via": via, "verdict": verdict.kind})


def _notify_group(case: Case, mail: ParsedMail, text: str) -> str:
    group = _working_group(case)
    if group is None:
        add_event(case, "mail_skipped", note="Geen groep met een e-mailadres om de nieuwe mail te melden")
        return "bij het dossier gevoegd (geen groepsadres om te verwittigen)"
    queue_mail(case, cast(str, group.email), "nieuwe_mail", recipient_kind="medewerker", data={
        "group": group.name, "mail_from": mail.from_address or "(onbekend)", "mail_subject": mail.subject or "",
        "mail_text": text[:EXCERPT_MAX], "truncated": len(text) > EXCERPT_MAX,
        "attachments": len(mail.attachments)})
    return f"bij het dossier gevoegd; {group.name} verwittigd ({group.email})"


def add_to_case(case: Case, mail: ParsedMail, verdict: Verdict, row: IncomingMail, via: str) -> str:
    """Add the mail to `case` and pass it on (commits); returns what was done, for the row's reason."""
    text = reply_text(mail.text) or "(geen tekst)"
    message = None if verdict.automatic else waiting_message(case)
    case_id = case.id
    if message is not None:
        row.reason = f"{via}; als reactie aan het proces bezorgd ({message})"
        _record(case, mail, verdict, row, via, text)
        try:
            deliver_message(case_id, message, _payload(message, text, mail), actor=_actor(case, mail))
            return row.reason
        except EngineError as err:  # not waiting after all, or the model failed: the group still hears of it
            log.warning("mail for %s not delivered as %s: %s", case.reference, message, err)
            db.session.rollback()
            case = db.session.get_one(Case, case_id)  # cases are never deleted
            db.session.add(row)
    if verdict.automatic:
        row.reason = f"{via}; automatisch antwoord, alleen op de tijdlijn ({verdict.reason})"
        _record(case, mail, verdict, row, via, text)
    else:
        _record(case, mail, verdict, row, via, text)
        row.reason = f"{via}; {_notify_group(case, mail, text)}"
    db.session.commit()
    return row.reason
