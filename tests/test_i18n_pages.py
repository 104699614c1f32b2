"""Error texts that come from below the web layer reach a page in the reader's language, never in English
on a Dutch page: Werkzeug's status pages (403), engine conflicts ("work item 37 is no longer open"),
marshmallow's messages on a task form ("Missing data for required field."), status labels."""
from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.models import Case, WorkItem

from .helpers import Browser, with_password
from .test_post_support import postkamer_user

ENGLISH = ("permission", "Missing data", "no longer open", "already taken", "Not a valid", "Forbidden")


def _browser(app, actor, lang: str = "nl") -> Browser:
    actor.user.language = lang
    db.session.commit()
    return Browser(app, actor.user.username, with_password(actor.user))


def _open_item(reference: str) -> WorkItem:
    return db.session.scalar(select(WorkItem).where(WorkItem.case_id == select(Case.id).where(
        Case.reference == reference).scalar_subquery(), WorkItem.status == "open"))


def test_the_403_page_is_dutch_or_english_never_werkzeugs_text(app, staff):
    for lang, wanted in (("nl", "U hebt geen toegang tot deze pagina."),
                         ("en", "You do not have access to this page.")):
        page = _browser(app, staff.ood, lang).get("/werk/beheer/gebruikers")
        assert page.status_code == 403
        text = page.get_data(as_text=True)
        assert wanted in text
        assert "You don't have the permission" not in text


def test_an_empty_task_form_says_in_dutch_what_is_missing(app, staff):
    ref = staff.meldkamer.file_melding("Straatlamp brandt niet aan de Bruul")["reference"]
    desk = _browser(app, staff.meldkamer)
    item = _open_item(ref)
    page = desk.post(f"/werk/dossier/{ref}/taak/{item.id}", {"decision": "refer", "public_text": ""},
                     page=f"/werk/dossier/{ref}")
    assert page.status_code == 422
    assert "Leg de melder uit waar die wel terechtkan." in page.get_data(as_text=True)
    page = desk.post(f"/werk/dossier/{ref}/taak/{item.id}", {}, page=f"/werk/dossier/{ref}")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Vul dit veld in." in text
    assert not [word for word in ENGLISH if word in text]


def test_the_task_form_errors_in_english(app, staff):
    ref = staff.meldkamer.file_melding("Straatlamp brandt niet aan de Bruul")["reference"]
    desk = _browser(app, staff.meldkamer, "en")
    item = _open_item(ref)
    page = desk.post(f"/werk/dossier/{ref}/taak/{item.id}", {"decision": "refer"}, page=f"/werk/dossier/{ref}")
    assert "Explain to the reporter where to go instead." in page.get_data(as_text=True)
    page = desk.post(f"/werk/dossier/{ref}/taak/{item.id}", {}, page=f"/werk/dossier/{ref}")
    assert "Fill in this field." in page.get_data(as_text=True)


def test_taking_finished_work_says_so_in_dutch(app, staff):
    ref = staff.meldkamer.file_melding("Put in het fietspad")["reference"]
    item = _open_item(ref)
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    desk = _browser(app, staff.meldkamer)
    response = desk.post(f"/werk/taak/{item.id}/opnemen", page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    text = desk.get(response.location).get_data(as_text=True)
    assert "Deze taak is niet meer open" in text
    assert not [word for word in ENGLISH if word in text]


def test_status_labels_come_from_the_catalogue(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert statuses.label("wacht_op_melder", "en") == "Waiting for your reply"
        assert statuses.label("wacht_op_melder") == "Wacht op uw reactie"  # timeline texts stay Dutch
        assert statuses.label("nieuw_in_een_later_model", "en") == "nieuw_in_een_later_model"


def test_status_labels_looked_up_before_stay_in_the_language_asked(app):
    """Each label is looked up once per app (engine/i18n.py): asked again, in turns, each language keeps its own."""
    with app.app_context():
        for _ in range(2):
            assert statuses.label("toegewezen") == "Doorgestuurd naar de behandelende dienst"
            assert statuses.label("toegewezen", "en") != statuses.label("toegewezen", "nl")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert statuses.label("wacht_op_melder") == "Wacht op uw reactie"  # the page's language does not leak in
        assert statuses.label("wacht_op_melder", "en") == "Waiting for your reply"


def test_counts_take_the_singular_or_the_plural(app):
    from web.i18n import translate_plural

    pair = ("{count} mail opnieuw klaargezet: ze vertrekt bij de volgende verzending.",
            "{count} mails opnieuw klaargezet: ze vertrekken bij de volgende verzending.")
    # each in its own app context, as each request has in production (the language is kept on `g`)
    with app.app_context(), app.test_request_context():
        assert translate_plural(*pair, 1).startswith("1 mail opnieuw klaargezet")
        assert translate_plural(*pair, 3).startswith("3 mails opnieuw klaargezet")
    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=en"}):
        assert translate_plural(*pair, 1) == "1 mail queued again: it leaves with the next sending run."
        assert translate_plural(*pair, 2) == "2 mails queued again: they leave with the next sending run."


# A bad form on the administrator's and the postkamer's pages: what is typed, and every message it gives, in
# Dutch and in English (the handlers write the Dutch text; a message with a limit or a name is a Phrase).
BAD_FORMS = {
    "staff user": ("/werk/beheer/gebruikers", {
        "username": "X", "display_name": "n" * 201, "role": "baas", "groups": "bestaat-niet", "password": "kort"}, [
        ("2-80 kleine letters, cijfers, punt, streepje of underscore",
         "2-80 lower-case letters, digits, full stop, hyphen or underscore"),
        ("hoogstens 200 tekens", "at most 200 characters"),
        ("kies een rol", "choose a role"),
        ("onbekende groep", "unknown group"),
        ("minstens 10 tekens", "at least 10 characters")]),
    "group": ("/werk/beheer/groepen", {"key": "A", "name": "", "kind": "external", "email": ""}, [
        ("2-60 kleine letters, cijfers of streepjes", "2-60 lower-case letters, digits or hyphens"),
        ("vul een naam in", "fill in a name"),
        ("een aannemer heeft een e-mailadres nodig voor zijn opdrachten",
         "a contractor needs an e-mail address for its orders")]),
    "contractor's e-mail": ("/werk/beheer/groepen", {"key": "schilder", "name": "Schilder", "kind": "external",
                                                     "email": "schilder@"}, [
        ("dit e-mailadres klopt niet; schrijf het als naam@voorbeeld.be",
         "this e-mail address is not valid; write it as name@example.be")]),
    "routing rule": ("/werk/beheer/routering", {
        "name": "", "group": "", "keywords": "*, lamp", "position": "eerst",
        "min_lat": "51", "max_lat": "52", "min_lon": "4", "max_lon": "200"}, [
        ("vul een naam in", "fill in a name"),
        ("kies een behandelaarsgroep", "choose a handler group"),
        ("een trefwoord moet meer zijn dan een sterretje", "a keyword must be more than an asterisk"),
        ("een geheel getal van 0 of meer", "a whole number of 0 or more"),
        ("een lengtegraad ligt tussen -180 en 180", "a longitude lies between -180 and 180")]),
    "routing area": ("/werk/beheer/routering", {
        "name": "r" * 201, "group": "meldkamer", "min_lat": "51.1", "max_lat": "51", "min_lon": "4",
        "max_lon": "4.5"}, [
        ("hoogstens 200 tekens", "at most 200 characters"),
        ("kies een actieve behandelaarsgroep (geen meldkamer, aannemer of inactieve groep)",
         "choose an active handler group (not the dispatch desk, a contractor or an inactive group)"),
        ("de maximale breedtegraad moet groter zijn dan de minimale",
         "the maximum latitude must be greater than the minimum")]),
    "post registration": ("/werk/post/nieuw", {
        "sender_name": "n" * 201, "sender_address": "a" * 1001, "subject": "o" * 301, "kind": "vraag",
        "group": "onderhoud-openbaar-domein", "deadline_days": "400"}, [
        ("De naam is te lang (maximaal 200 tekens).", "The name is too long (at most 200 characters)."),
        ("Het adres is te lang (maximaal 1000 tekens).", "The address is too long (at most 1000 characters)."),
        ("Het onderwerp is te lang (maximaal 300 tekens).", "The subject is too long (at most 300 characters)."),
        ("Geef de antwoordtermijn als een aantal dagen van 1 tot 365.",
         "Give the answer deadline as a number of days from 1 to 365.")]),
}


@pytest.mark.parametrize("name", list(BAD_FORMS))
def test_the_handlers_form_messages_in_dutch_and_english(app, staff, name):
    url, typed, messages = BAD_FORMS[name]
    if url == "/werk/post/nieuw":
        user, _password = postkamer_user()
        actor = SimpleNamespace(user=user)
    else:
        actor = staff.admin
    for lang in ("nl", "en"):
        page = _browser(app, actor, lang).post(url, typed)
        assert page.status_code == 422, (lang, page.get_data(as_text=True)[:2000])
        text = html.unescape(page.get_data(as_text=True))
        for dutch, english in messages:
            assert (dutch if lang == "nl" else english) in text, (lang, dutch)
            if lang == "en":
                assert dutch not in text


def test_the_task_form_messages_with_a_value_in_english(app, staff):
    ref = staff.meldkamer.file_melding("Straatlamp brandt niet aan de Bruul")["reference"]
    item = _open_item(ref)
    typed = {"decision": "duplicate", "duplicate_of": "m2026-999999", "category": "bestaat-niet"}
    for lang, wanted in (("nl", ["Onbekende categorie 'bestaat-niet'.",
                                 "Er is geen dossier met referentie M2026-999999."]),
                         ("en", ["Unknown category 'bestaat-niet'.", "There is no case with reference M2026-999999."])):
        page = _browser(app, staff.meldkamer, lang).post(f"/werk/dossier/{ref}/taak/{item.id}", typed,
                                                        page=f"/werk/dossier/{ref}")
        assert page.status_code == 422
        text = html.unescape(page.get_data(as_text=True))
        assert all(message in text for message in wanted), (lang, wanted)
    page = _browser(app, staff.meldkamer, "en").post(f"/werk/dossier/{ref}/taak/{item.id}", {
        "decision": "duplicate", "duplicate_of": ref}, page=f"/werk/dossier/{ref}")
    assert f"{ref} is this case itself: a report cannot be a duplicate of itself." in page.get_data(as_text=True)


def test_month_names_follow_the_language():
    from datetime import date

    from reports.tables import period_text

    assert period_text(date(2026, 3, 1), date(2026, 5, 31)) == "1 maart 2026 – 31 mei 2026"
    assert period_text(date(2026, 3, 1), date(2026, 5, 31), "en") == "1 March 2026 – 31 May 2026"


def test_task_titles_from_the_models_are_translated(app, staff):
    ref = staff.meldkamer.file_melding("Straatlamp brandt niet aan de Bruul")["reference"]
    assert "<h3>Melding beoordelen</h3>" in _browser(app, staff.meldkamer).get(f"/werk/dossier/{ref}").get_data(
        as_text=True)
    assert "<h3>Assess the report</h3>" in _browser(app, staff.meldkamer, "en").get(f"/werk/dossier/{ref}").get_data(
        as_text=True)
