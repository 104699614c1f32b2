"""Error texts that come from below the web layer reach a page in the reader's language, never in English
on a Dutch page: Werkzeug's status pages (403), engine conflicts ("work item 37 is no longer open"),
marshmallow's messages on a task form ("Missing data for required field."), status labels."""
from __future__ import annotations

from sqlalchemy import select

from engine import statuses
from engine.db import db
from engine.models import Case, WorkItem

from .helpers import Browser, with_password

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


def test_a_post_registration_limit_reads_in_english(app):
    from web.error_texts import field_message

    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=en"}):
        assert field_message("De naam is te lang (maximaal 200 tekens).") == \
            "The name is too long (at most 200 characters)."
        assert field_message("Vul de naam van de afzender in.") == "Fill in the sender's name."


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
