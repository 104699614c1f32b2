"""Ready-made answers (/werk/beheer/standaardantwoorden): offered on the task forms to the groups they are for,
the chosen text is what is sent (and can be edited first), every change is in the administration log."""
from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select

from engine.db import db
from handlers.admin_changes import AdminChange
from handlers.ready_answers import ReadyAnswer

from .helpers import Browser, public_texts, with_password

PAGE = "/werk/beheer/standaardantwoorden"
LAMP = "De lamp werd vervangen. Bedankt om dit te melden."


def browser(app, actor) -> Browser:
    return Browser(app, actor.user.username, with_password(actor.user))


def make_answers(app, staff) -> Browser:
    admin = browser(app, staff.admin)
    for answer in (
        {"title": "Lamp vervangen", "text_nl": LAMP, "text_en": "The lamp was replaced.", "forms": ["close"],
         "group": "onderhoud-openbaar-domein", "active": "on"},
        {"title": "Bedankt (iedereen)", "text_nl": "Bedankt voor uw melding.", "forms": ["close", "question"],
         "group": "", "active": "on"},
        {"title": "Sluikstort opgeruimd", "text_nl": "Het afval werd opgehaald.", "forms": ["close"],
         "group": "openbare-netheid", "active": "on"},
        {"title": "Oud antwoord", "text_nl": "Niet meer gebruiken.", "forms": ["close"], "group": "",
         "active": ""},
        {"title": "Politie", "text_nl": "Neem contact op met de politie.", "forms": ["refer"], "group": "",
         "active": "on"},
    ):
        assert admin.post(PAGE, answer).status_code == 302, answer
    return admin


def in_handling(staff, category: str, actor) -> str:
    ref = staff.meldkamer.file_melding(description="Iets stuk aan de Bruul", category=category)["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    actor.complete(ref, "take_in_handling")
    return ref


def choices(page: str, form: str) -> dict[str, str]:
    """title -> text of the "Standaardantwoord" options for one form on a case page."""
    found = re.search(rf'<select id="ready-{form}-\d+" class="ready-answer-select"[^>]*>(.*?)</select>', page, re.S)
    if not found:
        return {}
    return {html_lib.unescape(title): html_lib.unescape(text) for text, title
            in re.findall(r'<option value="\d+" data-text="([^"]*)">([^<]*)</option>', found.group(1))}


def test_an_answer_for_one_group_shows_only_to_that_group_on_the_close_form(app, staff):
    make_answers(app, staff)
    ood_case = in_handling(staff, "straatlamp-defect", staff.ood)
    page = browser(app, staff.ood).get(f"/werk/dossier/{ood_case}").get_data(as_text=True)
    assert choices(page, "close") == {"Bedankt (iedereen)": "Bedankt voor uw melding.", "Lamp vervangen": LAMP}
    assert choices(page, "question") == {"Bedankt (iedereen)": "Bedankt voor uw melding."}
    assert 'class="ready-answer" hidden' in page  # shown by ready_answers.js; hidden without JavaScript
    assert "ready_answers.js" in page

    netheid_case = in_handling(staff, "sluikstort", staff.netheid)
    page = browser(app, staff.netheid).get(f"/werk/dossier/{netheid_case}").get_data(as_text=True)
    assert choices(page, "close") == {"Bedankt (iedereen)": "Bedankt voor uw melding.",
                                      "Sluikstort opgeruimd": "Het afval werd opgehaald."}

    # the meldkamer's refer decision offers the refer answers
    triage_case = staff.meldkamer.file_melding(description="Gestolen fiets", category=None)["reference"]
    page = browser(app, staff.meldkamer).get(f"/werk/dossier/{triage_case}").get_data(as_text=True)
    assert choices(page, "refer") == {"Politie": "Neem contact op met de politie."}


def test_the_chosen_text_is_sent_as_edited(app, staff):
    make_answers(app, staff)
    ref = in_handling(staff, "straatlamp-defect", staff.ood)
    ood = browser(app, staff.ood)
    page = ood.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    text = choices(page, "close")["Lamp vervangen"]
    item = staff.ood.open_item(ref, "handle")["id"]
    edited = text.replace("Bedankt", "Hartelijk dank")
    response = ood.post(f"/werk/dossier/{ref}/taak/{item}", {"action": "close", "public_text": edited},
                        page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and edited in public_texts(case) and text not in public_texts(case)


def test_changes_are_logged_and_bad_input_is_refused_in_dutch(app, staff):
    admin = make_answers(app, staff)
    db.session.expire_all()
    lamp = db.session.scalar(select(ReadyAnswer).where(ReadyAnswer.title == "Lamp vervangen"))
    assert lamp.group.key == "onderhoud-openbaar-domein" and lamp.form_list == ["close"] and lamp.active
    response = admin.post(f"{PAGE}/{lamp.id}", {"title": "Lamp vervangen", "text_nl": LAMP + " Tot ziens.",
                                                 "text_en": "", "forms": ["close", "question"],
                                                 "group": "onderhoud-openbaar-domein", "active": "on"})
    assert response.status_code == 302
    db.session.expire_all()
    rows = list(db.session.scalars(select(AdminChange).where(AdminChange.area == "ready_answer")
                                   .order_by(AdminChange.id)))
    assert [r.action for r in rows] == ["create"] * 5 + ["update"]
    assert rows[-1].actor == staff.admin.user.username and rows[-1].subject == "Lamp vervangen"
    assert rows[-1].data["changed"]["text_nl"] == [LAMP, LAMP + " Tot ziens."]
    assert rows[-1].data["changed"]["forms"] == [["close"], ["close", "question"]]
    assert rows[-1].data["changed"]["text_en"] == ["The lamp was replaced.", None]

    listing = admin.get(PAGE).get_data(as_text=True)
    assert "Lamp vervangen" in listing and "Onderhoud openbaar domein" in listing

    typed = {"title": "", "text_nl": "Mijn lange tekst die niet verloren mag gaan", "forms": [], "group": "",
             "active": "on"}
    response = admin.post(PAGE, typed)
    page = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Geef het antwoord een titel." in page and "Kies bij welke formulieren het antwoord hoort." in page
    assert "Mijn lange tekst die niet verloren mag gaan" in page
    response = admin.post(PAGE, typed | {"title": "X", "forms": ["close"], "group": "bestaat-niet"})
    assert response.status_code == 422 and "'bestaat-niet' is geen actieve groep." in \
        html_lib.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(ReadyAnswer.id))) == 5


def test_only_the_admin_manages_answers(app, staff):
    for actor in (staff.ood, staff.meldkamer):
        assert browser(app, actor).get(PAGE).status_code == 403


def test_the_infomail_answer_form_offers_the_answers_for_answers(app, client, staff):
    from .test_infomail_process import SAMEN_LEVEN, make_actor, receive_mail, route

    admin = browser(app, staff.admin)
    assert admin.post(PAGE, {"title": "Openingsuren", "text_nl": "Het stadhuis is open van 9 tot 12 uur.",
                             "forms": ["answer"], "group": SAMEN_LEVEN, "active": "on"}).status_code == 302
    onthaal = make_actor(client, "eva", "onthaal", "onthaal")
    sam = make_actor(client, "sam", "behandelaar", SAMEN_LEVEN)
    ref = receive_mail()
    route(onthaal, ref)
    page = browser(app, sam).get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert choices(page, "answer") == {"Openingsuren": "Het stadhuis is open van 9 tot 12 uur."}
    assert choices(page, "close") == {}


def test_an_english_case_gets_the_english_text_where_there_is_one(app, staff):
    make_answers(app, staff)
    ref = staff.meldkamer.file_melding(description="Street light out", category="straatlamp-defect",
                                       reporter={"name": "Ann", "email": "ann@example.org", "language": "en"})
    ref = ref["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    page = browser(app, staff.ood).get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert choices(page, "close") == {"Lamp vervangen": "The lamp was replaced.",
                                      "Bedankt (iedereen)": "Bedankt voor uw melding."}  # no English: the Dutch
