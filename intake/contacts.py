"""Registering a contact of the first line (a phone call, a counter visit): what the person on the line typed,
checked, and what it becomes. The staff page /werk/contact and POST /api/v1/contacts both call `register_contact`.

Outcomes (handlers/contact_models.OUTCOMES):
  answered       answered at once: only the contact row (counted in the reports; first-contact resolution);
  melding        a melding made through the same intake as the API's (intake/meldingen.register_melding), with the
                 contact's channel (telefoon, balie, ...), its reporter, category, place and description; the
                 receipt mail goes when the reporter has an e-mail address;
  handover       a case of kind "contact" (bpmn/contact.bpmn, reference C2026-...) in the chosen group's queue, with
                 an answer deadline and the warm-handover note; the group is mailed and sees who took the call;
  existing_case  the citizen's new information as an internal note on that case's timeline.

Every problem is reported at once, per field, in Dutch (InvalidInput.fields); nothing is saved then. Two staff
registering the same call are both kept: the second contact is linked to the first (`related_contact`, given or
found: the same citizen, by another staff member, within CALL_WINDOW minutes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional, Union

from marshmallow import ValidationError
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.ids import parse_id
from engine.models import Case, Reporter
from engine.runtime import commit_or_explain, start_case
from engine.timeline import add_event
from handlers.calendar import add_working_days
from handlers.case_kinds import CHANNELS
from handlers.contact_models import OUTCOMES, Contact
from handlers.contacts import Topic, find_topic
from handlers.groups import group_by_key
from handlers.merged_cases import case_by_reference
from handlers.models import MELDKAMER, ONTHAAL, User
from handlers.reporters import find_or_create_reporter

from .melding_schema import MeldingSchema, ReporterSchema
from .meldingen import register_melding

MAX_QUESTION, MAX_ANSWER, MAX_NOTE = 1000, 4000, 4000
DEFAULT_HANDOVER_DAYS = 3  # working days for the group to answer a handed-over contact, unless the caller sets it
MAX_HANDOVER_DAYS = 60
CALL_WINDOW = timedelta(minutes=15)  # two registrations of one citizen by two staff within this: the same call

MSG = {
    "channel": N_("Kies het kanaal: telefoon, balie, ..."),
    "question": N_("Vul de vraag in, in een paar woorden."),
    "question_long": Phrase(N_("De vraag is te lang (maximaal {max} tekens)."), max=MAX_QUESTION),
    "topic": N_("Kies een onderwerp: een categorie of een algemeen onderwerp."),
    "outcome": N_("Kies wat er met het contact gebeurde: beantwoord, melding, overgedragen of bij een dossier."),
    "answer": N_("Vul het antwoord in dat u gaf."),
    "answer_long": Phrase(N_("Het antwoord is te lang (maximaal {max} tekens)."), max=MAX_ANSWER),
    "note_long": Phrase(N_("De notitie is te lang (maximaal {max} tekens)."), max=MAX_NOTE),
    "group": N_("Kies de dienst waaraan u het contact overdraagt."),
    "group_unknown": N_("Kies een actieve behandelaarsgroep."),
    "case": N_("Geef de referentie van het dossier waarbij het contact hoort."),
    "days": Phrase(N_("Geef de antwoordtermijn als een aantal werkdagen van 1 tot {max}."), max=MAX_HANDOVER_DAYS),
    "reporter": N_("Deze burger werd niet gevonden. Zoek opnieuw of vul de gegevens in."),
    "anonymous": N_("Een anoniem contact heeft geen burger: kies anoniem of vul de burger in, niet allebei."),
    "related": N_("Het gekoppelde contact bestaat niet."),
    "melding": N_("Vul de gegevens van de melding in."),
}


def _unknown_topic(value: str) -> Phrase:
    return Phrase(N_("Onbekend onderwerp '{value}'. Kies een categorie of een algemeen onderwerp."), value=value)


def _unknown_case(value: str) -> Phrase:
    return Phrase(N_("Er is geen dossier met referentie '{value}'."), value=value)


@dataclass
class _Checked:
    channel: str
    question: str
    topic: Topic
    outcome: str
    answer: Optional[str]
    note: Optional[str]
    group_key: Optional[str]
    case: Optional[Case]
    reporter: Optional[Reporter]
    reporter_data: Optional[dict[str, Any]]
    related: Optional[Contact]
    melding: Optional[dict[str, Any]]
    deadline_days: int


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _check(values: dict[str, Any]) -> _Checked:  # noqa: C901 (one list of checks, in the order of the form)
    errors: dict[str, Any] = {}
    channel = _text(values.get("channel"))
    if channel not in CHANNELS:
        errors["channel"] = [MSG["channel"]]
    question = _text(values.get("question"))
    if not question:
        errors["question"] = [MSG["question"]]
    elif len(question) > MAX_QUESTION:
        errors["question"] = [MSG["question_long"]]
    topic_key = _text(values.get("topic"))
    topic = find_topic(topic_key)
    if topic is None:
        errors["topic"] = [_unknown_topic(topic_key) if topic_key else MSG["topic"]]
    outcome = _text(values.get("outcome"))
    if outcome not in OUTCOMES:
        errors["outcome"] = [MSG["outcome"]]
    answer = _text(values.get("answer")) or None
    if outcome == "answered" and not answer:
        errors["answer"] = [MSG["answer"]]
    elif answer and len(answer) > MAX_ANSWER:
        errors["answer"] = [MSG["answer_long"]]
    note = _text(values.get("note")) or None
    if note and len(note) > MAX_NOTE:
        errors["note"] = [MSG["note_long"]]

    group_key = None
    days = DEFAULT_HANDOVER_DAYS
    if outcome == "handover":
        key = _text(values.get("group"))
        group = group_by_key(key)
        if not key:
            errors["group"] = [MSG["group"]]
        elif group is None or group.kind != "internal":
            errors["group"] = [MSG["group_unknown"]]
        else:
            group_key = group.key
        raw_days = values.get("deadline_days")
        if raw_days not in (None, ""):
            parsed = parse_id(str(raw_days).strip())
            if parsed is None or not 0 < parsed <= MAX_HANDOVER_DAYS:
                errors["deadline_days"] = [MSG["days"]]
            else:
                days = parsed
        elif topic is not None and topic.category is not None:
            days = min(topic.category.deadline_days, MAX_HANDOVER_DAYS) or DEFAULT_HANDOVER_DAYS

    case = None
    if outcome == "existing_case":
        ref = _text(values.get("case"))
        case = case_by_reference(ref) if ref else None
        if not ref:
            errors["case"] = [MSG["case"]]
        elif case is None:
            errors["case"] = [_unknown_case(ref)]

    reporter, reporter_data = None, None
    anonymous = bool(values.get("anonymous"))
    given = values.get("reporter")
    if anonymous and given not in (None, "", {}):
        errors["reporter"] = [MSG["anonymous"]]
    elif isinstance(given, Reporter):
        reporter = given
    elif isinstance(given, (int, str)) and not isinstance(given, bool) and str(given).strip():
        reporter_id = parse_id(str(given).strip())
        reporter = db.session.get(Reporter, reporter_id) if reporter_id is not None else None
        if reporter is None:
            errors["reporter"] = [MSG["reporter"]]
    elif isinstance(given, dict) and given:
        if given.get("id") not in (None, ""):
            reporter_id = parse_id(str(given["id"]).strip())
            reporter = db.session.get(Reporter, reporter_id) if reporter_id is not None else None
            if reporter is None:
                errors["reporter"] = {"id": [MSG["reporter"]]}
        else:
            try:
                reporter_data = ReporterSchema().load({k: v for k, v in given.items() if v not in (None, "")})
            except ValidationError as err:
                errors["reporter"] = err.messages
    elif given not in (None, "", {}):
        errors["reporter"] = [MSG["reporter"]]

    related = None
    related_given = values.get("related_contact")
    if isinstance(related_given, Contact):
        related = related_given
    elif related_given not in (None, ""):
        related_id = parse_id(str(related_given).strip())
        related = db.session.get(Contact, related_id) if related_id is not None else None
        if related is None:
            errors["related_contact"] = [MSG["related"]]

    melding = None
    if outcome == "melding":
        melding, melding_errors = _check_melding(values.get("melding"), channel, question, topic)
        if melding_errors:
            errors["melding"] = melding_errors
    if errors:
        raise InvalidInput("het contact heeft fouten", errors)
    assert topic is not None  # no errors: the topic was found
    return _Checked(channel=channel, question=question, topic=topic, outcome=outcome, answer=answer, note=note,
                    group_key=group_key, case=case, reporter=reporter, reporter_data=reporter_data, related=related,
                    melding=melding, deadline_days=days)


def _check_melding(given: Any, channel: str, question: str, topic: Optional[Topic]) -> tuple[Optional[dict], Any]:
    """The melding's fields checked by the one melding schema of every channel (intake/melding_schema.py); the
    description defaults to the question, the category to the contact's topic when that is a category."""
    if given is not None and not isinstance(given, dict):
        return None, [MSG["melding"]]
    given = dict(given or {})
    body: dict[str, Any] = {"description": given.get("description") or question,
                            "channel": channel if channel in CHANNELS else "telefoon",
                            "category": given.get("category") or (topic.key if topic and topic.category else None)}
    if given.get("location"):
        body["location"] = given["location"]
    try:
        data = MeldingSchema().load(body)
    except ValidationError as err:
        return None, err.messages
    if data.get("category") and find_topic(data["category"]) is None:
        return None, {"category": [_unknown_topic(data["category"])]}
    return data, None


def same_call(reporter: Optional[Reporter], taken_by: User, now: Any) -> Optional[Contact]:
    """The contact another staff member registered for the same citizen within CALL_WINDOW, if any."""
    if reporter is None or reporter.id is None:
        return None
    return db.session.scalar(select(Contact).where(
        Contact.reporter_id == reporter.id, Contact.taken_by_id != taken_by.id,
        Contact.created_at >= now - CALL_WINDOW).order_by(Contact.id.desc()).limit(1))


def register_contact(*, channel: str, question: str, topic: str, outcome: str, taken_by: User,
                     answer: Optional[str] = None, note: Optional[str] = None, group: Optional[str] = None,
                     case: Optional[str] = None, deadline_days: Union[int, str, None] = None,
                     reporter: Union[Reporter, int, str, dict, None] = None, anonymous: bool = False,
                     related_contact: Union[Contact, int, str, None] = None,
                     melding: Optional[dict[str, Any]] = None, commit: bool = True) -> Contact:
    """Register one contact and do what its outcome says, in one transaction; returns the Contact (its `case` is
    the case it made or joined, None for `answered`).

    channel      one of handlers.case_kinds.CHANNELS ("telefoon", "balie", ...)
    question     the question in a few words (required, at most 1000 characters)
    topic        the key of an active category or general topic (handlers/contacts.find_topic)
    outcome      "answered" | "melding" | "handover" | "existing_case"
    answer       the answer given (required for "answered")
    note         the warm-handover note ("handover"); the information added to the case ("existing_case",
                 the question when empty); kept on the contact in every case
    group        the handler group's key ("handover", required; an internal, active group)
    deadline_days  working days the group has to answer ("handover"; default: the category's, else 3)
    case         the reference of the existing case ("existing_case", required; any case)
    reporter     the citizen: a Reporter, its id, or {"name", "email", "phone", "language"} (found by e-mail
                 or created, as for a melding); None when not given
    anonymous    the citizen stays anonymous (then no reporter may be given)
    related_contact  the contact (or its id) of a colleague who registered the same call; found by itself
                 when the same citizen was registered by someone else within 15 minutes
    melding      "melding": {"description"?, "category"?, "location": {"address"?, "lat"?, "lon"?}};
                 description defaults to the question, category to the topic (when it is a category)
    taken_by     the staff member who took the call (their name is kept, and shown to the group)
    commit       False leaves the commit to the caller (the API's Idempotency-Key keeps its answer with it)

    Raises engine.errors.InvalidInput whose `fields` maps each field (channel, question, topic, outcome, answer,
    note, group, deadline_days, case, reporter, related_contact, melding.{description, category, location})
    to Dutch messages.
    """
    checked = _check({"channel": channel, "question": question, "topic": topic, "outcome": outcome,
                      "answer": answer, "note": note, "group": group, "case": case, "deadline_days": deadline_days,
                      "reporter": reporter, "anonymous": anonymous, "related_contact": related_contact,
                      "melding": melding})
    now = utcnow()
    person = checked.reporter
    if person is None and checked.reporter_data and not anonymous:
        data = checked.reporter_data
        person = find_or_create_reporter(data.get("name"), (data.get("email") or "").lower() or None,
                                         data.get("phone"), data.get("language") or "nl")
        if person is not None and person.id is None:
            db.session.flush([person])
    related = checked.related or same_call(person, taken_by, now)
    contact = Contact(channel=checked.channel, question=checked.question, outcome=checked.outcome,
                      answer=checked.answer, note=checked.note, anonymous=bool(anonymous),
                      category_id=checked.topic.category.id if checked.topic.category is not None else None,
                      topic_id=checked.topic.general.id if checked.topic.general is not None else None,
                      reporter_id=person.id if person is not None else None,
                      taken_by_id=taken_by.id, taken_by_name=taken_by.display_name,
                      related_contact_id=related.id if related is not None else None, created_at=now)
    actor = taken_by.display_name
    if checked.outcome == "melding":
        contact.case_id = _start_melding(checked, person, taken_by).id
    elif checked.outcome == "handover":
        new_case = _start_handover(checked, person, taken_by, now)
        contact.case_id = new_case.id
        handed_to = group_by_key(checked.group_key)
        contact.group_id = handed_to.id if handed_to is not None else None
    elif checked.outcome == "existing_case":
        joined = checked.case
        assert joined is not None  # checked
        add_event(joined, "contact", actor=actor, user_id=taken_by.id, note=checked.note or checked.question,
                  data={"channel": checked.channel, "question": checked.question, "topic": checked.topic.key})
        contact.case_id = joined.id
    db.session.add(contact)
    if commit:
        commit_or_explain(contact.case_id)
    return contact


def _desk_of(user: User) -> Optional[str]:
    return {"meldkamer": MELDKAMER, "onthaal": ONTHAAL}.get(user.role)


def _start_melding(checked: _Checked, person: Optional[Reporter], taken_by: User) -> Case:
    """The melding through the intake every channel uses; the receipt mail goes when there is an address."""
    melding = checked.melding or {}
    reporter_data = None
    if person is not None and person.email:  # found by its address again: the same reporter row
        reporter_data = {"name": person.name, "email": person.email, "phone": person.phone,
                         "language": person.language}
    case = register_melding(description=melding["description"], channel=checked.channel,
                            category=melding.get("category"), location=melding.get("location") or None,
                            reporter=reporter_data, actor=taken_by.display_name, user_id=taken_by.id, commit=False)
    if person is not None and case.reporter_id != person.id:
        case.reporter_id = person.id  # a citizen without e-mail address: no receipt, but their history
    return case


def _start_handover(checked: _Checked, person: Optional[Reporter], taken_by: User, now: Any) -> Case:
    """A case in the group's queue (bpmn/contact.bpmn), with the answer deadline and the warm-handover note."""
    deadline = add_working_days(now, checked.deadline_days)
    fields = {"description": checked.question, "channel": checked.channel, "reporter": person,
              "category": checked.topic.category}
    data = {"group": checked.group_key, "deadline": deadline.isoformat(), "taken_by": taken_by.display_name,
            "desk": _desk_of(taken_by), "note": checked.note or ""}
    return start_case(kind="contact", process_key="contact", fields=fields, data=data, actor=taken_by.display_name,
                      user_id=taken_by.id, commit=False)
