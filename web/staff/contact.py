"""The first line's page during a call (/werk/contact): find the caller and their history, register the contact.

The search is handlers/contact_search.py (as you type through /werk/contact/zoeken, JSON; without JavaScript a
plain GET of the page); registering is intake/contacts.register_contact, the same as POST /api/v1/contacts. The
form comes back with everything typed and a Dutch message per field when something is wrong; contact.js keeps
a draft in the browser until the contact is saved, so a session that times out mid-call loses nothing (the
login sends the user back to this page, where the draft is restored).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.ids import parse_id
from engine.models import Reporter
from handlers.categories import category_choices
from handlers.contact_search import FoundCase, FoundPerson, person_by_id, search_people_and_cases
from handlers.contacts import OUTCOMES, Contact, contacts_of_reporter, link_reporters, may_see_contact, topic_choices
from handlers.models import HandlerGroup
from handlers.permissions import may
from intake.contacts import register_contact
from reports.tables import CHANNEL_NAMES

from .. import form_tokens
from ..auth import requires
from ..errors import page_text
from ..i18n import LANGUAGES, N_, current_language, translate
from ..templating import local_time
from . import bp
from .cases import EXPIRED

# The channels the first line takes contacts on (the others come in by themselves: web form, app).
CONTACT_CHANNELS = ("telefoon", "balie", "mail", "brief", "sociale_media")
FIELDS = ("channel", "reporter_id", "name", "email", "phone", "language", "anonymous", "question", "topic", "outcome",
          "answer", "melding_category", "melding_address", "melding_description", "group", "deadline_days",
          "handover_note", "case", "case_note")
# What the error summary calls each field, and the id its link jumps to.
FIELD_LABELS = {"channel": N_("Kanaal"), "reporter": N_("Burger"), "name": N_("Naam"), "email": N_("E-mailadres"),
                "phone": N_("Telefoonnummer"), "question": N_("Vraag"), "topic": N_("Onderwerp"),
                "outcome": N_("Afloop"), "answer": N_("Gegeven antwoord"), "melding_category": N_("Categorie"),
                "melding_address": N_("Plaats (adres)"), "melding_description": N_("Beschrijving"),
                "group": N_("Overdragen aan"), "deadline_days": N_("Antwoordtermijn"),
                "handover_note": N_("Notitie voor de dienst"), "case": N_("Referentie van het dossier"),
                "case_note": N_("Wat de burger toevoegt")}
FIELD_IDS = {"reporter": "name", "outcome": "outcome-answered"}
SEARCH_LIMIT = 8


def _date(value) -> str:
    return local_time(value).strftime("%d/%m/%Y")


def person_label(person: Optional[FoundPerson]) -> str:
    """How a found citizen is named on the page: name, e-mail, phone (what there is)."""
    if person is None:
        return ""
    return " · ".join(part for part in (person.name, person.email, person.phone) if part) or translate("(geen naam)")


def contact_line(contact: Contact) -> str:
    """One earlier contact in a line: when, channel, topic, question (for roles that read it), what happened."""
    texts = [local_time(contact.created_at).strftime("%d/%m/%Y %H:%M"),
             translate(CHANNEL_NAMES.get(contact.channel, contact.channel)),
             translate(contact.topic_name) if contact.topic_name else ""]
    if may(current_user, "reporter_data.see"):
        texts.append(contact.question)
    outcome = translate(OUTCOMES.get(contact.outcome, contact.outcome))
    if contact.case is not None and contact.case.reference:
        outcome += f" ({contact.case.reference})"
    if contact.group is not None and contact.outcome == "handover":
        outcome += f": {contact.group.name}"
    texts.append(outcome)
    texts.append(contact.taken_by_name)
    return " · ".join(t for t in texts if t)


def _contacts_of(person: FoundPerson) -> list[Contact]:
    return [k for k in contacts_of_reporter(person.id, limit=20) if may_see_contact(current_user, k)][:5]


def _contact_json(contact: Contact) -> dict[str, Any]:
    reference = contact.case.reference if contact.case is not None else None
    return {"line": contact_line(contact), "reference": reference,
            "url": url_for("staff.case", reference=reference) if reference and may(current_user, "case.see",
                                                                                    contact.case) else None}


def _case_json(case: FoundCase, query: str) -> dict[str, Any]:
    return {**case.as_json(), "date": _date(case.created_at), "url": url_for("staff.case", reference=case.reference),
            "use_url": url_for("staff.contact", q=query, dossier=case.reference)}


@bp.get("/contact/zoeken")
@requires("contact.register")
def contact_search():
    """The search as the caller is typed (JSON for contact.js): people with their cases and contacts, and cases."""
    query = request.args.get("q", "")
    result = search_people_and_cases(query, current_user, limit=SEARCH_LIMIT, language=current_language())
    people = []
    for person in result.people:
        people.append({**person.as_json(), "label": person_label(person),
                       "choose_url": url_for("staff.contact", q=result.text, melder=person.id),
                       "cases": [_case_json(c, result.text) for c in person.cases],
                       "contacts": [_contact_json(k) for k in _contacts_of(person)]})
    found = len(result.people) + len(result.cases)
    return jsonify({"text": result.text, "too_short": result.too_short, "people": people,
                    "cases": [_case_json(c, result.text) for c in result.cases],
                    "summary": translate("{count} gevonden.", count=found) if found else ""})


def _render(values: dict[str, str], errors: Optional[dict] = None, status: int = 200, saved: bool = False):
    query = request.args.get("q", "") if request.method == "GET" else ""
    result = search_people_and_cases(query, current_user, limit=SEARCH_LIMIT, language=current_language()) \
        if query.strip() else None
    chosen = None
    reporter_id = parse_id(values.get("reporter_id", "") or "")
    if reporter_id is not None:
        chosen = person_by_id(reporter_id, current_user, language=current_language())
        if chosen is None:
            values = {**values, "reporter_id": ""}
    contacts = {p.id: _contacts_of(p) for p in (result.people if result else [])}
    groups = db.session.scalars(select(HandlerGroup).where(HandlerGroup.active.is_(True),
                                                           HandlerGroup.kind == "internal")
                                .order_by(HandlerGroup.name)).all()
    categories = category_choices(main=False)
    recent = db.session.scalars(select(Contact).where(Contact.taken_by_id == current_user.id)
                                .order_by(Contact.id.desc()).limit(5)).all()
    texts = {"choose": translate("Kies als beller"), "useCase": translate("Bij dit dossier voegen"),
             "cases": translate("Dossiers"), "contacts": translate("Eerdere contacten"),
             "otherCases": translate("Andere dossiers"), "unnamed": translate("(geen naam)"),
             "tooShort": translate("Typ minstens twee tekens."),
             "nothing": translate("Niemand en geen dossier gevonden. Registreer de beller als nieuwe burger."),
             "searchFailed": translate("Zoeken lukte niet. Herlaad de pagina; uw concept blijft bewaard."),
             "linked": translate("Gekoppeld aan"), "maybeSame": translate("Mogelijk dezelfde burger"),
             "link": translate("Koppelen"),
             "draftRestored": translate("Uw concept van {time} werd hersteld.", time="{time}")}
    return render_template(
        "staff/contact.html", q=query, result=result, chosen=chosen, contacts=contacts, v=values,
        e=errors or {}, saved=saved, channels=[(c, translate(CHANNEL_NAMES[c])) for c in CONTACT_CHANNELS],
        topics=topic_choices(), outcomes=[(k, translate(label)) for k, label in OUTCOMES.items()], groups=groups,
        categories=categories, recent=recent, texts=texts, person_label=person_label, contact_line=contact_line,
        field_labels={k: translate(v) for k, v in FIELD_LABELS.items()}, field_ids=FIELD_IDS), status


@bp.get("/contact")
@requires("contact.register")
def contact():
    """The page: the search (and its results without JavaScript), the registration form, my latest contacts."""
    values: dict[str, str] = {"channel": "telefoon", "outcome": "answered"}
    if request.args.get("melder"):
        values["reporter_id"] = request.args["melder"]
    if request.args.get("dossier"):
        values.update(outcome="existing_case", case=request.args["dossier"][:40])
    return _render(values, saved=bool(session.pop("contact_saved", False)))


@bp.post("/contact/koppelen")
@requires("contact.register")
def contact_link():
    """Link two reporter rows staff recognise as one citizen (e.g. two e-mail addresses): nothing is merged, the
    page shows their history together from then on."""
    ids = [parse_id(request.form.get(name, "").strip()) for name in ("reporter_id", "other_id")]
    people = [person_by_id(i, current_user, with_candidates=False) if i is not None else None for i in ids]
    query = request.form.get("q", "")[:200]
    if None in people or ids[0] == ids[1]:
        flash(translate("Deze burgers konden niet gekoppeld worden. Zoek opnieuw."), "error")
        return redirect(url_for("staff.contact", q=query or None))
    one, other = (db.session.get(Reporter, i) for i in ids)
    link_reporters(one, other, by=current_user)
    db.session.commit()
    flash(translate("{one} en {other} zijn gekoppeld als dezelfde burger; er werd niets samengevoegd.",
                    one=person_label(people[0]), other=person_label(people[1])))
    return redirect(url_for("staff.contact", q=query or None, melder=ids[0]))


def _errors_for_page(err: InvalidInput, values: dict[str, str]) -> dict[str, list]:
    """The handler's field errors under the names of the page's fields (its `note` is the note of the chosen
    outcome, its `melding.location` the address, its `reporter` the citizen's fields)."""
    errors: dict[str, list] = {}

    def add(name: str, messages: Any) -> None:
        if isinstance(messages, dict):
            for sub in messages.values():
                add(name, sub)
            return
        errors.setdefault(name, []).extend(messages if isinstance(messages, list) else [messages])

    for field, messages in err.fields.items():
        if field == "note":
            add("case_note" if values.get("outcome") == "existing_case" else "handover_note", messages)
        elif field == "melding" and isinstance(messages, dict):
            for sub, sub_messages in messages.items():
                add({"description": "melding_description", "category": "melding_category"}.get(
                    sub, "melding_address"), sub_messages)
        elif field == "melding":
            add("melding_description", messages)
        elif field == "reporter" and isinstance(messages, dict):
            for sub, sub_messages in messages.items():
                add(sub if sub in ("name", "email", "phone") else "reporter", sub_messages)
        elif field in FIELD_LABELS or field == "_form":
            add(field, messages)
        else:
            add("_form", messages)
    return errors


def _arguments(values: dict[str, str]) -> dict[str, Any]:
    """The form's values as register_contact takes them."""
    outcome = values.get("outcome", "")
    reporter: Any = None
    if values.get("reporter_id"):
        reporter = values["reporter_id"]
    elif not values.get("anonymous"):
        given = {k: values[k] for k in ("name", "email", "phone") if values.get(k)}
        language = values.get("language") if values.get("language") in LANGUAGES else "nl"
        reporter = {**given, "language": language} if given else None
    melding: Optional[dict[str, Any]] = None
    if outcome == "melding":
        melding = {"description": values.get("melding_description") or None,
                   "category": values.get("melding_category") or None}
        if values.get("melding_address"):
            melding["location"] = {"address": values["melding_address"]}
    note = {"handover": values.get("handover_note"), "existing_case": values.get("case_note")}.get(outcome)
    return {"channel": values.get("channel", ""), "question": values.get("question", ""),
            "topic": values.get("topic", ""), "outcome": outcome, "answer": values.get("answer") or None,
            "note": note or None, "group": values.get("group") or None, "case": values.get("case") or None,
            "deadline_days": values.get("deadline_days") or None, "reporter": reporter,
            "anonymous": bool(values.get("anonymous")) and not values.get("reporter_id"), "melding": melding}


@bp.post("/contact")
@requires("contact.register")
def contact_register():
    """Register the contact; with errors the form comes back with everything typed (422)."""
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    sent = form_tokens.posted("contact")
    if sent.token is not None and (earlier := sent.token.earlier()) is not None:
        return _already_registered(earlier.result or {})
    try:
        if sent.invalid:
            raise InvalidInput("expired form token", {"_form": [EXPIRED]})
        claim = sent.token.claim() if sent.token is not None else None
        if claim is not None and claim.earlier is not None:  # the same form at the same moment
            return _already_registered(claim.earlier.result or {})
        contact = register_contact(taken_by=current_user, commit=False, **_arguments(values))
        db.session.flush()
        reference = contact.case.reference if contact.case is not None else None
        if claim is not None:
            claim.record(contact=contact.id, case=reference)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        return _render(values, _errors_for_page(err, values), status=422)
    flash(_saved_message(contact) + _related_message(contact))
    session["contact_saved"] = True  # the page clears the browser's draft once
    return redirect(url_for("staff.contact"))


def _saved_message(contact: Contact) -> str:
    reference = contact.case.reference if contact.case is not None else ""
    if contact.outcome == "melding":
        return translate("Contact geregistreerd; melding {reference} gemaakt.", reference=reference)
    if contact.outcome == "handover":
        return translate("Contact geregistreerd en overgedragen aan {group} ({reference}).",
                         group=contact.group.name if contact.group else "–", reference=reference)
    if contact.outcome == "existing_case":
        return translate("Contact geregistreerd en toegevoegd aan dossier {reference}.", reference=reference)
    return translate("Contact geregistreerd: meteen beantwoord.")


def _related_message(contact: Contact) -> str:
    related = contact.related_contact
    if related is None:
        return ""
    return " " + translate("Gekoppeld aan de registratie van hetzelfde gesprek door {name}.",
                           name=related.taken_by_name)


def _already_registered(result: dict[str, Any]):
    flash(translate("Dit contact was al geregistreerd (het formulier werd een tweede keer verstuurd; er werd niets "
                    "dubbel geregistreerd)."))
    session["contact_saved"] = True
    return redirect(url_for("staff.contact"))


@bp.errorhandler(CSRFError)
def _csrf_refused(_err: CSRFError):
    """A contact sent after the session ended mid-call (the browser dropped the cookie with its CSRF secret): to
    the login, which leads back to the page, where contact.js restores the draft. A form whose token is stale
    within a live session comes back with everything typed. Other staff forms: the usual 400 page."""
    if request.endpoint != "staff.contact_register":
        return render_template("error.html", message=page_text(400), code=400), 400
    if not current_user.is_authenticated:
        flash(translate("Je sessie is verlopen; meld je opnieuw aan. Het contact dat je aan het registreren was, "
                        "staat daarna weer klaar."))
        return redirect(url_for("auth.login", next=url_for("staff.contact")))
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    return _render(values, {"_form": [EXPIRED]}, status=400)
