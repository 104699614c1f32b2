"""The onthaal and a handler group working infomail on the staff pages: queue, the mail on the case page,
the triage and answer forms (errors keep what was typed), who may act, the navigation, English."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, WorkItem
from engine.timeline import add_event
from notifications.models import OutboxMessage

from .helpers import Browser, with_password
from .test_infomail_process import PNG, SAMEN_LEVEN, SENDER, SUBJECT, make_actor, receive_mail, reply, route


@pytest.fixture
def eva(app, client):
    """The onthaal's Eva, logged in on the staff pages (with her API actor for setting up)."""
    actor = make_actor(client, "eva", "onthaal", "onthaal")
    return actor, Browser(app, "eva", with_password(actor.user))


@pytest.fixture
def sam(app, client):
    """A handler of 'Samen leven', logged in."""
    actor = make_actor(client, "sam", "behandelaar", SAMEN_LEVEN)
    return actor, Browser(app, "sam", with_password(actor.user))


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def item_id(reference: str, task: str) -> int:
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    return db.session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id, WorkItem.task_name == task,
                                                       WorkItem.status == "open"))


def task_url(reference: str, task: str) -> str:
    return f"/werk/dossier/{reference}/taak/{item_id(reference, task)}"


def test_onthaal_lands_on_its_queue_and_sees_the_mail_with_its_facts(eva):
    _, browser = eva
    ref = receive_mail(files=(("foto.png", PNG),))
    home = browser.get("/werk/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/werk/wachtrij/onthaal")
    queue = page(browser.get("/werk/wachtrij/onthaal"))
    assert ref in queue and "Mail triëren" in queue

    text = page(browser.get(f"/werk/dossier/{ref}"))
    facts = text[text.index('id="mail-facts"'):]
    assert SUBJECT in facts and SENDER in facts and "foto.png" in facts
    assert "Wanneer is het containerpark open op zaterdag?\n\nGroeten," in facts  # line breaks kept
    assert 'name="decision" value="answer"' in text and 'name="answer_text"' in text
    assert 'name="days"' in text and 'name="reason"' in text


def test_onthaal_answers_on_the_case_page_and_the_thread_shows_it(eva):
    _, browser = eva
    ref = receive_mail()
    response = browser.post(task_url(ref, "triage"), {"decision": "answer",
                                                      "answer_text": "Op zaterdag van 9 tot 16 uur."},
                            page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    reply(ref, "En op zondag?")
    text = page(browser.get(f"/werk/dossier/{ref}"))
    thread = text[text.index('id="mail-thread"'):]
    assert thread.index("Op zaterdag van 9 tot 16 uur.") < thread.index("En op zondag?")
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "antwoord_mail")).all()
    assert mail.recipient == SENDER


def test_a_reply_taken_in_by_the_mail_intake_shows_once_in_the_thread(eva):
    _, browser = eva
    ref = receive_mail()
    browser.post(task_url(ref, "triage"), {"decision": "answer", "answer_text": "Van 9 tot 16 uur."},
                 page=f"/werk/dossier/{ref}")
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    # the mail intake keeps every later mail on the timeline, then hands a reply to the waiting process
    add_event(case, "mail_received", actor=SENDER, note="Mail ontvangen, onderwerp: Re: Openingsuren\n\nEn zondag?",
              data={"message_id": "<r1@voorbeeld.example>", "subject": "Re: Openingsuren", "from": SENDER})
    db.session.commit()
    reply(ref, "En zondag?", message_id="<r1@voorbeeld.example>")
    thread = page(browser.get(f"/werk/dossier/{ref}"))
    thread = thread[thread.index('id="mail-thread"'):]
    thread = thread[:thread.index("</ol>")]
    assert thread.count("En zondag?") == 1 and "Van 9 tot 16 uur." in thread


def test_bad_triage_input_shows_field_errors_and_keeps_what_was_typed(eva):
    _, browser = eva
    ref = receive_mail()
    response = browser.post(task_url(ref, "triage"), {"decision": "route", "group": SAMEN_LEVEN, "days": "veel",
                                                      "reason": "getypte tekst", "note": "mijn notitie"},
                            page=f"/werk/dossier/{ref}")
    assert response.status_code == 422
    text = page(response)
    assert "Geef een aantal werkdagen van 1 tot 60." in text
    assert 'value="veel"' in text and "getypte tekst" in text and "mijn notitie" in text
    assert 'value="route" checked' in text and f'value="{SAMEN_LEVEN}" selected' in text

    response = browser.post(task_url(ref, "triage"), {"decision": "answer", "answer_text": " "},
                            page=f"/werk/dossier/{ref}")
    assert response.status_code == 422 and "Schrijf het antwoord dat de afzender krijgt." in page(response)
    assert db.session.scalar(select(Case.status).where(Case.reference == ref)) == "ontvangen"


def test_group_answer_form_sends_back_with_a_reason_or_refuses_without(eva, sam):
    onthaal, _ = eva
    _, browser = sam
    ref = receive_mail()
    route(onthaal, ref)
    text = page(browser.get(f"/werk/dossier/{ref}"))
    assert "Mail beantwoorden" in text and 'name="action" value="send_back"' in text

    response = browser.post(task_url(ref, "answer"), {"action": "send_back"}, page=f"/werk/dossier/{ref}")
    assert response.status_code == 422 and "Zeg waarom de mail terug naar het onthaal gaat." in page(response)
    response = browser.post(task_url(ref, "answer"), {"action": "send_back", "reason": "Hoort bij Burgerzaken"},
                            page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    assert item_id(ref, "triage") is not None


def test_a_handler_of_another_group_cannot_complete_the_onthaal_task_on_the_page(app, eva, staff):
    ref = receive_mail()
    dina = Browser(app, staff.netheid.user.username, with_password(staff.netheid.user))
    url = task_url(ref, "triage")
    response = dina.post(url, {"decision": "no_answer", "reason": "spam"}, page="/werk/wachtrij/openbare-netheid")
    assert response.status_code == 403
    assert item_id(ref, "triage") is not None


def test_navigation_links_to_the_onthaal_queue_for_onthaal_and_admin_only(app, eva, staff):
    _, browser = eva
    nav = page(browser.get("/werk/wachtrij/onthaal"))
    assert nav.count('href="/werk/wachtrij/onthaal"') == 1  # her group's link, no second one
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    assert ">Infomail</a>" in page(admin.get("/werk/meldkamer"))
    assert page(admin.get("/werk/wachtrij/onthaal")).count("<h1") == 1
    handler = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert "/werk/wachtrij/onthaal" not in page(handler.get("/werk/wachtrij/onderhoud-openbaar-domein"))
    assert handler.get("/werk/wachtrij/onthaal").status_code == 403


def test_the_mail_pages_read_in_english(eva):
    actor, browser = eva
    actor.user.language = "en"
    db.session.commit()
    ref = receive_mail()
    text = page(browser.get(f"/werk/dossier/{ref}"))
    for english in ("Answer it yourself (from the info address)", "Turn into a report", "Subject", "From",
                    "Internal reason (when no answer is needed)"):
        assert english in text
    for dutch in ("Zelf beantwoorden", "Omzetten naar een melding", "Onderwerp", "Interne reden"):
        assert dutch not in text


def _task_options(html_text: str) -> dict[str, str]:
    select_html = html_text.split('name="taak"')[1].split("</select>")[0]
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select_html))


def test_queue_task_filter_offers_the_work_of_that_queue(eva, sam):
    desk_actor, onthaal = eva
    _, handler = sam
    desk = _task_options(page(onthaal.get("/werk/wachtrij/onthaal")))
    assert "Mail triëren" in desk.values() and "Melding behandelen" not in desk.values()

    group = _task_options(page(handler.get(f"/werk/wachtrij/{SAMEN_LEVEN}")))
    assert {"Melding behandelen", "Mail beantwoorden", "Brief beantwoorden"} <= set(group.values())
    assert "Mail triëren" not in group.values()

    ref = receive_mail()
    route(desk_actor, ref, SAMEN_LEVEN)
    only_mail = page(handler.get(f"/werk/wachtrij/{SAMEN_LEVEN}?taak=Mail+beantwoorden"))
    assert ref in only_mail
    assert ref not in page(handler.get(f"/werk/wachtrij/{SAMEN_LEVEN}?taak=Brief+beantwoorden"))
