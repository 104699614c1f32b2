"""Reporter privacy: anonymising personal data some months after closing, and exporting it for a data request.

What anonymising keeps and removes (decided per field):

* Reporter row: kept (so counts per reporter, "other cases of this reporter" and reports still work), with
  name, e-mail and phone blanked. Language stays (not identifying).
* Case description: kept, because it *is* the melding (needed for history and reports), but e-mail
  addresses, phone numbers (9+ digits) and the reporter's known full name are cut out of it. Only the full
  name is matched, not its parts: "Melder" or "Peeters" alone are ordinary words/names in descriptions.
  The address and coordinates are the location of the problem in public space and stay.
* The reporter's own free texts are dropped entirely ("[verwijderd]"): payloads of their 'message' events
  (reaction to a question, feedback, reply to an infomail answer) and the comment/answer of 'feedback' events.
* Other timeline texts and notes (written by staff) keep their wording, with e-mail, phone and name cut out
  as in the description; so does the public description staff wrote for the Open311 feed.
* Outbox rows addressed to the reporter: recipient and the `name`/`public_text` in their data scrubbed.
  Rows still *pending* are never touched; a reporter with a pending mail is deferred to a later run
  (counted as `deferred`), so nothing is sent to a blanked address and no row is missed.
* Files the reporter uploaded (source 'melder', and the sources other modules register: 'post' scans,
  'mail' attachments and originals): deleted from disk after the commit and their rows removed (photos may
  show people or number plates). Staff and contractor files stay.
* The serialized process state of a *completed* case: every string equal to or containing one of the
  reporter's known values (name, e-mail, phone, their reaction and feedback texts) is replaced. A case whose
  process still runs (closed but e.g. waiting on a timer) keeps its state; the event says so.
* Other timeline data (e.g. the address an answer went to) and the data of the case's other sent mails (staff
  mails about it): every known value of the reporter replaced, as in the process state above; the keys that
  hold the correspondent's own address or words (OUTBOX_PERSONAL_KEYS) become "[verwijderd]". Pending rows
  stay as they are.
* An internal timeline event 'anonymised' per case: the marker that makes the job idempotent.

Other parts of the application extend this through hooks, so this module imports none of them:
`on_anonymise_case` (scrub their own rows of a case and name more known values, e.g. handlers/post_privacy.py
for letters, intake/mail_privacy.py for the info mailbox), `on_anonymise_sweep` (rows without a case, once per
run), `personal_file_source` (file sources that are the reporter's: deleted, and listed in the export),
`on_export_case` and `on_export` (more in the export).

Only cases that are closed (status in CLOSED, closed_at set) with closed_at older than the period are
touched, and only when the reporter has no other case that is open or closed more recently, nor a contact with the
first line (handlers/contact_models.py) more recent than the period.
"""
from __future__ import annotations

import calendar
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Optional, cast, overload

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import as_utc, utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, Reporter
from engine.settings import settings
from engine.statuses import CLOSED
from engine.timeline import add_event
from notifications.models import OutboxMessage

from .contact_models import Contact
from .storage import StorageUnavailable, storage

log = logging.getLogger(__name__)

SCRUBBED = "[verwijderd]"
EMAIL_MARK, PHONE_MARK, NAME_MARK = "[e-mail verwijderd]", "[telefoon verwijderd]", "[naam verwijderd]"
EMAIL_RE = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits with spaces, dots, slashes or dashes between them; only replaced when it holds 9+ digits
# (Belgian numbers have 9 or 10, +32 prefix included 11), so house numbers, postcodes and dates stay.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ./()-]{6,}\d(?!\w)")
# Message names whose payload is the reporter's own text (citizen_reply: the answer to an infomail).
REPORTER_MESSAGES = ("reporter_reaction", "feedback", "citizen_reply")
# Keys of a staff mail's data that hold the correspondent's own words or address (handlers' templates).
OUTBOX_PERSONAL_KEYS = ("sender", "mail_from", "mail_text")


@dataclass
class AnonymiseReport:
    """What one run of the anonymisation did (counts), JSON-friendly via `as_dict()`."""

    months: int
    cutoff: str
    reporters: int = 0
    cases: int = 0
    texts: int = 0  # descriptions, event texts/notes/payloads changed
    outbox: int = 0
    files: int = 0
    mails: int = 0  # incoming mails without a case (ignored, failed) scrubbed after the period
    deferred: int = 0  # reporters skipped because a mail to them is still pending
    conflicts: int = 0  # reporters skipped because a case changed meanwhile (retried next run)
    file_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CaseScrub:
    """One case being anonymised, as the hooks of other modules see it.

    A hook scrubs its own rows of the case, adds the values it found to `names` (full names, cut out of
    texts) and `known` (any value, replaced wherever it occurs in the case's event data, mails and process
    state), deletes files with `delete_file` and returns how many texts it changed.
    """

    case: Case
    names: list[str]
    known: list[str]
    to_delete: list[str]  # storage keys
    done: dict[str, int]

    def delete_file(self, stored: CaseFile) -> None:
        """Remove the file's row now and the file from the storage after the commit."""
        self.to_delete.append(stored.storage_key)
        db.session.delete(stored)
        self.done["files"] += 1


_case_hooks: list[Callable[[CaseScrub], int]] = []
_sweep_hooks: list[Callable[[datetime], int]] = []
_case_export_hooks: list[Callable[[Case], dict[str, Any]]] = []
_export_hooks: list[Callable[[list[str]], dict[str, Any]]] = []
_file_sources: set[str] = {"melder"}


def _register(hooks: list, hook: Callable) -> Callable:
    if hook not in hooks:
        hooks.append(hook)
    return hook


def on_anonymise_case(hook: Callable[[CaseScrub], int]) -> Callable[[CaseScrub], int]:
    """Decorator: `hook(scrub)` runs for every case anonymised, before its texts, files and state."""
    return _register(_case_hooks, hook)


def on_anonymise_sweep(hook: Callable[[datetime], int]) -> Callable[[datetime], int]:
    """Decorator: `hook(cutoff)` scrubs rows without a case older than the cutoff; returns how many."""
    return _register(_sweep_hooks, hook)


def on_export_case(hook: Callable[[Case], dict[str, Any]]) -> Callable[[Case], dict[str, Any]]:
    """Decorator: `hook(case)` gives more keys for the case in the export ("files" adds to the file list)."""
    return _register(_case_export_hooks, hook)


def on_export(hook: Callable[[list[str]], dict[str, Any]]) -> Callable[[list[str]], dict[str, Any]]:
    """Decorator: `hook(emails)` gives more top-level keys of the export for these (lowercase) addresses."""
    return _register(_export_hooks, hook)


def personal_file_sources() -> list[str]:
    """The file sources that are the reporter's own (deleted on anonymising, listed in the export)."""
    return sorted(_file_sources)


def case_export_hooks() -> list[Callable[[Case], dict[str, Any]]]:
    """The registered per-case export additions."""
    return list(_case_export_hooks)


def export_hooks() -> list[Callable[[list[str]], dict[str, Any]]]:
    """The registered export additions per set of e-mail addresses."""
    return list(_export_hooks)


def iso(value: Optional[datetime]) -> Optional[str]:
    """A timestamp as ISO 8601 in UTC, for the JSON reports and exports."""
    value = as_utc(value)
    return value.isoformat() if value else None


def personal_file_source(source: str) -> None:
    """Files of this CaseFile source are the reporter's: deleted on anonymisation and listed in the export."""
    _file_sources.add(source)


def file_row(stored: CaseFile) -> dict[str, Any]:
    """A case file as the export lists it."""
    return {"filename": stored.filename, "content_type": stored.content_type, "size": stored.size,
            "source": stored.source, "public": stored.public, "created_at": iso(stored.created_at)}


def anonymise_months() -> int:
    """The configured period (MELDPUNT_ANONYMISE_MONTHS, default 12)."""
    return settings().anonymise_months


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` minus whole calendar months (31 March - 1 month = 28/29 February)."""
    years, month0 = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month0 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@overload
def scrub_text(text: str, names: tuple[str, ...] = ()) -> str: ...
@overload
def scrub_text(text: Optional[str], names: tuple[str, ...] = ()) -> Optional[str]: ...
def scrub_text(text: Optional[str], names: tuple[str, ...] = ()) -> Optional[str]:
    """`text` without e-mail addresses, phone numbers and the given full names."""
    if not text:
        return text
    result = EMAIL_RE.sub(EMAIL_MARK, text)
    result = PHONE_RE.sub(lambda m: PHONE_MARK if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), result)
    for name in names:
        if name and len(name.strip()) >= 3:
            result = re.sub(re.escape(name.strip()), NAME_MARK, result, flags=re.IGNORECASE)
    return result


# -- which cases are due ---------------------------------------------------------------------------------------


def _is_closed_before(cutoff: datetime):
    return and_(Case.status.in_(CLOSED), Case.closed_at.is_not(None), Case.closed_at < cutoff)


def _not_anonymised():
    return not_(exists().where(CaseEvent.case_id == Case.id, CaseEvent.kind == "anonymised"))


def _has_recent_or_open_case(cutoff: datetime):
    """Correlated: the reporter (of the outer Case row) has a case that is open or closed after the cutoff, or
    a contact with the first line (a phone call, a counter visit) after the cutoff."""
    other = aliased(Case)
    return or_(exists().where(other.reporter_id == Case.reporter_id, not_(and_(
        other.status.in_(CLOSED), other.closed_at.is_not(None), other.closed_at < cutoff))),
        exists().where(Contact.reporter_id == Case.reporter_id, Contact.created_at >= cutoff))


def _due_reporter_ids(cutoff: datetime, skip: set[int], limit: int) -> list[int]:
    query = (select(Case.reporter_id).where(Case.reporter_id.is_not(None), _is_closed_before(cutoff),
                                           _not_anonymised(), not_(_has_recent_or_open_case(cutoff)))
             .group_by(Case.reporter_id).order_by(Case.reporter_id).limit(limit))
    if skip:
        query = query.where(Case.reporter_id.not_in(sorted(skip)))
    return list(db.session.scalars(query))


def _due_cases_without_reporter(cutoff: datetime, skip: set[int], limit: int) -> list[Case]:
    query = (select(Case).where(Case.reporter_id.is_(None), _is_closed_before(cutoff), _not_anonymised())
             .order_by(Case.id).limit(limit))
    if skip:
        query = query.where(Case.id.not_in(sorted(skip)))
    return list(db.session.scalars(query))


# -- anonymising -----------------------------------------------------------------------------------------------


def anonymise_due(now: Optional[datetime] = None, months: Optional[int] = None, limit: int = 500) -> AnonymiseReport:
    """Anonymise every reporter (and reporter-less case) that is due, `limit` reporters per committed batch."""
    now = as_utc(now) or utcnow()
    months = anonymise_months() if months is None else int(months)
    cutoff = months_before(now, months)
    report = AnonymiseReport(months=months, cutoff=cutoff.isoformat())
    skip_reporters: set[int] = set()
    skip_cases: set[int] = set()
    while True:
        reporter_ids = _due_reporter_ids(cutoff, skip_reporters, limit)
        loose = [] if reporter_ids else _due_cases_without_reporter(cutoff, skip_cases, limit)
        if not reporter_ids and not loose:
            break
        to_delete: list[str] = []
        done: dict[str, int] = {"reporters": 0, "cases": 0, "texts": 0, "outbox": 0, "files": 0}
        for reporter_id in reporter_ids:
            skip_reporters.add(reporter_id)  # handled (or deferred) in this run either way
            reporter = db.session.get_one(Reporter, reporter_id)  # reporters are never deleted
            if reporter.email and db.session.scalar(select(exists().where(
                    func.lower(OutboxMessage.recipient) == reporter.email.lower(),
                    OutboxMessage.status == "pending"))):
                report.deferred += 1
                continue
            cases = list(db.session.scalars(select(Case).where(Case.reporter_id == reporter_id, _is_closed_before(
                cutoff), _not_anonymised()).order_by(Case.id)))
            _anonymise_reporter(reporter, cases, done, to_delete)
        for case in loose:
            skip_cases.add(case.id)
            _anonymise_cases(None, [case], (), done, to_delete)
        # A reporter may have filed a new case while this batch ran: check again just before committing.
        if reporter_ids and db.session.scalar(select(exists().where(
                Case.reporter_id.in_(reporter_ids), not_(_is_closed_before(cutoff))))):
            db.session.rollback()
            report.conflicts += len(reporter_ids)
            continue
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            report.conflicts += len(reporter_ids) + len(loose)
            continue
        for key, value in done.items():
            setattr(report, key, getattr(report, key) + value)
        _delete_files(to_delete, report)
    for sweep in _sweep_hooks:
        report.mails += sweep(cutoff)
        db.session.commit()
    if report.cases:
        log.info("anonymised %d case(s) of %d reporter(s)", report.cases, report.reporters)
    return report


def _delete_files(to_delete: list[str], report: AnonymiseReport) -> None:
    store = storage()
    for key in to_delete:  # after the commit: a failed commit must not leave rows without their file
        try:
            store.delete(key)
        except (OSError, StorageUnavailable) as err:
            log.error("anonymise: could not delete %s from %s: %s", key, store.describe(), getattr(err, "reason", err))
            report.file_errors.append(key)


def _anonymise_reporter(reporter: Reporter, cases: list[Case], done: dict[str, int], to_delete: list[str]) -> None:
    email, name, phone = reporter.email, reporter.name, reporter.phone
    names = (name,) if name else ()
    if email:
        for message in db.session.scalars(select(OutboxMessage).where(
                func.lower(OutboxMessage.recipient) == email.lower(), OutboxMessage.status != "pending")):
            _scrub_outbox(message, names)
            done["outbox"] += 1
    known = [v for v in (email, name, phone) if v and len(v.strip()) >= 3]
    _anonymise_cases(reporter, cases, names, done, to_delete, known)
    if email or name or phone:
        reporter.name = reporter.email = reporter.phone = None
        done["reporters"] += 1


def _scrub_outbox(message: OutboxMessage, names: tuple[str, ...]) -> None:
    message.recipient = SCRUBBED
    data = dict(message.data or {})
    if data.get("name"):
        data["name"] = None
    if data.get("public_text"):
        data["public_text"] = scrub_text(data["public_text"], names)
    message.data = data  # a new dict, so the JSON column is written


def _anonymise_cases(reporter: Optional[Reporter], cases: list[Case], names: tuple[str, ...], done: dict[str, int],
                     to_delete: list[str], known: Optional[list[str]] = None) -> None:
    for case in cases:
        scrub = CaseScrub(case, list(names), list(known or []), to_delete, done)
        changed = sum(hook(scrub) for hook in _case_hooks)
        names_here, known_here = tuple(dict.fromkeys(scrub.names)), scrub.known
        changed += _scrub_case(scrub, names_here)
        _scrub_case_outbox(case, names_here, known_here, done)
        state_note = "niet van toepassing"
        if case.state and case.completed:
            state_note = "opgeschoond" if _scrub_state(case, known_here) else "ongewijzigd"
        elif case.state:
            state_note = "behouden (proces loopt nog)"
        add_event(case, "anonymised", note="Persoonsgegevens van de melder geanonimiseerd",
                  data={"texts": changed, "process_data": state_note})
        done["texts"] += changed
        done["cases"] += 1


def _scrub_case(scrub: CaseScrub, names: tuple[str, ...]) -> int:
    """The case's own texts, its timeline and the reporter's files; returns how many texts changed."""
    case, changed = scrub.case, 0
    new_description = scrub_text(case.description, names)
    if new_description != case.description:
        case.description, changed = new_description, changed + 1
    new_reason = scrub_text(case.suggestion_reason, names)
    if new_reason != case.suggestion_reason:
        case.suggestion_reason = new_reason
    new_public = scrub_text(case.public_description, names)  # staff wrote it, but may have named the reporter
    if new_public != case.public_description:
        case.public_description, changed = new_public, changed + 1
    events = list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)))
    for event in events:
        changed += _scrub_event(event, names, scrub.known)
    values = _known_values(scrub.known)
    for event in events:  # after all events: the reporter's texts are known by now
        if isinstance(event.data, dict):
            cleaned = _replace_known(event.data, values)
            if cleaned != event.data:
                event.data = cleaned
    for stored in db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id,
                                                            CaseFile.source.in_(sorted(_file_sources)))):
        scrub.delete_file(stored)
    return changed


def _scrub_case_outbox(case: Case, names: tuple[str, ...], known: list[str], done: dict[str, int]) -> None:
    """The case's sent mails (to the reporter or to staff about them): personal keys dropped, known values out."""
    values = _known_values(known)
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                                 OutboxMessage.status != "pending")):
        data = dict(message.data or {})
        for key in OUTBOX_PERSONAL_KEYS:
            if data.get(key):
                data[key] = SCRUBBED
        data = {k: scrub_text(v, names) if isinstance(v, str) else v for k, v in _replace_known(data, values).items()}
        recipient = SCRUBBED if message.recipient.lower() in {v.lower() for v in values} else message.recipient
        if data != (message.data or {}) or recipient != message.recipient:
            done["outbox"] += message.recipient != SCRUBBED  # not counted twice with _scrub_outbox
            message.data, message.recipient = data, recipient


def _scrub_event(event: CaseEvent, names: tuple[str, ...], known: list[str]) -> int:
    """Scrub one timeline event in place; the reporter's own texts are added to `known` first."""
    changed = 0
    data = event.data
    if event.kind == "message" and isinstance(data, dict) and data.get("message") in REPORTER_MESSAGES:
        payload = dict(data.get("payload") or {})
        for key in ("text", "comment", "answer"):
            if isinstance(payload.get(key), str) and payload[key] != SCRUBBED:
                known.append(payload[key])
                payload[key] = SCRUBBED
                changed += 1
        event.data = {**data, "payload": payload}
        if event.text and event.text != SCRUBBED:
            event.text, changed = SCRUBBED, changed + 1
    elif event.kind == "reporter_answer":  # the answer typed on the tracking page (handlers/reporter_answers.py)
        if event.note and event.note != SCRUBBED:
            event.note, changed = SCRUBBED, changed + 1
    elif event.kind == "feedback":
        if event.note and event.note != SCRUBBED:
            known.append(event.note)
            event.note, changed = SCRUBBED, changed + 1
        if isinstance(data, dict) and isinstance(data.get("answer"), str) and data["answer"] != SCRUBBED:
            known.append(data["answer"])
            event.data, changed = {**data, "answer": SCRUBBED}, changed + 1
    for attr in ("text", "note"):
        value = getattr(event, attr)
        scrubbed = scrub_text(value, names)
        if scrubbed != value:
            setattr(event, attr, scrubbed)
            changed += 1
    if names and event.actor and event.actor.strip().lower() in {n.strip().lower() for n in names}:
        event.actor = "melder"
    return changed


def _known_values(known: list[str]) -> list[str]:
    """The known values worth replacing (3+ characters), longest first."""
    return sorted({v for v in known if isinstance(v, str) and len(v.strip()) >= 3}, key=len, reverse=True)


def _replace_known(node: Any, values: list[str]) -> Any:
    """A copy of a JSON-like value with every string equal to or containing one of `values` scrubbed."""
    if isinstance(node, dict):
        return {k: _replace_known(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_known(v, values) for v in node]
    if isinstance(node, str) and values:
        low = node.lower()
        if low in (v.lower() for v in values):
            return SCRUBBED
        for value in values:
            if value.lower() in low:
                node = re.sub(re.escape(value), SCRUBBED, node, flags=re.IGNORECASE)
                low = node.lower()
    return node


def _scrub_state(case: Case, known: list[str]) -> bool:
    """Replace the reporter's known values in a completed case's serialized process state."""
    values = _known_values(known)
    if not values:
        return False
    state = json.loads(cast(str, case.state))  # only called for a case with a state
    cleaned = _replace_known(state, values)
    if cleaned == state:
        return False
    case.state = json.dumps(cleaned)
    return True
