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
from typing import Any, Optional

from email_validator import EmailNotValidError, validate_email
from pypdf import PdfReader

from engine.clock import utcnow
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.ids import parse_id
from engine.models import Case
from engine.runtime import start_case
from intake.meldingen import find_or_create_reporter

from .calendar import CITY_TZ
from .files import MAX_BYTES
from .groups import group_by_key
from .post_actions import incoming_letter
from .post_deadlines import MAX_DAYS, Term, answer_deadline, default_term
from .post_models import DEADLINE_UNITS, LETTER_KINDS, PostLetter
from .routing import RoutingSample, active_rules, evaluate_rules

log = logging.getLogger(__name__)

MAX_SCAN_MB = MAX_BYTES // (1024 * 1024)
MAX_NAME, MAX_ADDRESS, MAX_EMAIL, MAX_SUBJECT = 200, 1000, 254, 300
PDF_MAGIC = b"%PDF-"

# The messages the postkamer reads (English in the catalogues of web/translations).
MSG = {
    "name": N_("Vul de naam van de afzender in."),
    "name_long": f"De naam is te lang (maximaal {MAX_NAME} tekens).",
    "address": N_("Vul het adres van de afzender in: het antwoord gaat per brief."),
    "address_long": f"Het adres is te lang (maximaal {MAX_ADDRESS} tekens).",
    "email": "Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.be.",
    "date": N_("Geef een datum, bijvoorbeeld 2026-12-02."),
    "received": N_("Vul de datum van ontvangst in."),
    "received_future": N_("De datum van ontvangst ligt in de toekomst."),
    "written_after": N_("De brief kan niet geschreven zijn na de datum van ontvangst."),
    "subject": N_("Vul het onderwerp van de brief in."),
    "subject_long": f"Het onderwerp is te lang (maximaal {MAX_SUBJECT} tekens).",
    "kind": N_("Kies het soort brief: vraag, klacht, bezwaar, factuur of ter informatie."),
    "scan": N_("Voeg de scan van de brief toe (een PDF-bestand)."),
    "scan_empty": N_("Het gekozen bestand is leeg. Scan de brief opnieuw."),
    "scan_big": f"De scan is te groot (maximaal {MAX_SCAN_MB} MB). Scan met een lagere resolutie of in grijstinten.",
    "scan_type": N_("Dit bestand is geen PDF. Kies de scan als PDF-bestand."),
    "scan_broken": N_("Deze PDF kan niet geopend worden (beschadigd of beveiligd). Scan de brief opnieuw."),
    "scan_pages": N_("Deze PDF heeft geen pagina's. Scan de brief opnieuw."),
    "group": N_("Kies een actieve behandelaarsgroep."),
    "group_none": N_("Kies een behandelaarsgroep: de routeringsregels stellen er geen voor bij dit onderwerp."),
    "days": f"Geef de antwoordtermijn als een aantal dagen van 1 tot {MAX_DAYS}.",
    "unit": N_("Kies kalenderdagen of werkdagen."),
}


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


def local_today() -> date:
    """Today in the city's time zone."""
    return utcnow().astimezone(CITY_TZ).date()


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


def _date(text: str, errors: dict[str, list[str]], field: str) -> Optional[date]:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = [MSG["date"]]
        return None


def suggested_group(subject: str) -> tuple[Optional[str], str]:
    """The routing rules' suggestion for a letter about `subject`: (group key or None, the reason)."""
    decision = evaluate_rules(RoutingSample(description=subject or "", channel="brief"), active_rules())
    return (decision.group.key if decision.group is not None else None), decision.reason


def _check_text(values: dict[str, str], errors: dict[str, list[str]]) -> None:
    for field, limit, missing, long in (("sender_name", MAX_NAME, "name", "name_long"),
                                        ("sender_address", MAX_ADDRESS, "address", "address_long"),
                                        ("subject", MAX_SUBJECT, "subject", "subject_long")):
        if not values.get(field):
            errors[field] = [MSG[missing]]
        elif len(values[field]) > limit:
            errors[field] = [MSG[long]]


def _check_term(values: dict[str, str], kind: str, errors: dict[str, list[str]]) -> Optional[Term]:
    if kind == "ter_info" or kind not in LETTER_KINDS:
        return None
    default = default_term(kind)
    unit = values.get("deadline_unit") or default.unit
    if unit not in DEADLINE_UNITS:
        errors["deadline_unit"] = [MSG["unit"]]
    days_text = values.get("deadline_days", "")
    if not days_text:
        return default if unit == default.unit else Term(default.days, unit)
    if parse_id(days_text) is None or not 0 < int(days_text) <= MAX_DAYS:
        errors["deadline_days"] = [MSG["days"]]
        return None
    return Term(int(days_text), unit)


def check_registration(values: dict[str, str], scan_content: Optional[bytes], scan_name: str) -> Registration:
    """Check everything typed and the scan; InvalidInput lists every problem at once, in Dutch."""
    values = {k: (v or "").strip() for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    _check_text(values, errors)
    email = values.get("sender_email") or None
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
            if len(email) > MAX_EMAIL:
                raise EmailNotValidError("too long")
        except EmailNotValidError:
            errors["sender_email"] = [MSG["email"]]
    received = _date(values["received_on"], errors, "received_on") if values.get("received_on") else None
    if received is None and "received_on" not in errors:
        errors["received_on"] = [MSG["received"]]
    elif received is not None and received > local_today():
        errors["received_on"] = [MSG["received_future"]]
    written = _date(values["written_on"], errors, "written_on") if values.get("written_on") else None
    if written is not None and received is not None and written > received:
        errors["written_on"] = [MSG["written_after"]]
    kind = values.get("kind", "")
    if kind not in LETTER_KINDS:
        errors["kind"] = [MSG["kind"]]
    term = _check_term(values, kind, errors)
    group_key = values.get("group") or suggested_group(values.get("subject", ""))[0]
    group = group_by_key(group_key)
    if group is None or group.kind != "internal":
        errors["group"] = [MSG["group"] if values.get("group") else MSG["group_none"]]
    scan = None
    try:
        scan = check_scan(scan_content, scan_name)
    except InvalidInput as err:
        errors.update(err.fields)
    if errors:
        raise InvalidInput("de registratie heeft fouten", errors)
    return Registration(sender_name=values["sender_name"], sender_address=values["sender_address"],
                        sender_email=email, received_on=received, written_on=written, subject=values["subject"],
                        kind=kind, registered_mail=values.get("registered_mail") in ("1", "on", "ja", "true"),
                        group_key=group.key, term=term, scan=scan)


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
