"""Every path of the incoming-post process, driven as the postkamer, the handler group and the onthaal would."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, WorkItem
from handlers.letters import DOCX_TYPE, replies_of
from intake.post_intake import local_today

from .helpers import Actor, public_texts, timeline_kinds
from .test_post_support import mails, postkamer_user, register, web_user


@pytest.fixture
def onthaal(app, client) -> Actor:
    user, _ = postkamer_user("eva.api")
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


def answer(actor: Actor, ref: str, text: str = "Geachte,\n\nDe lamp wordt deze week hersteld.", expect: int = 200):
    return actor.complete(ref, "answer", {"action": "letter", "answer_text": text}, expect=expect)


def test_for_information_closes_after_routing_and_tells_the_group(staff):
    case = register(kind="ter_info", subject="Jaarverslag van het buurtcomité", group="samen-leven")
    view = staff.admin.case(case.reference)
    assert view["status"] == "afgesloten" and view["closed_at"] is not None
    assert view["work_items"] == [] and view["group"] == "samen-leven" and view["deadline_at"] is None
    assert "Doorgestuurd naar Samen leven" in public_texts(view)
    assert "Ter informatie bezorgd aan Samen leven" in public_texts(view)
    told = mails("post_ter_info", case.reference)
    assert [m.recipient for m in told] == ["samenleven@stad.example"]
    assert told[0].data["letter_subject"] == "Jaarverslag van het buurtcomité"
    assert mails("ontvangstbevestiging_post", case.reference)  # the sender still hears it arrived


def test_answer_letter_then_sent_closes_the_case_with_the_timeline_entry(app, staff):
    ref = register().reference
    assert staff.ood.case(ref)["status"] == "toegewezen"
    answer(staff.ood, ref)
    view = staff.ood.case(ref)
    assert view["status"] == "brief_klaar"
    assert [w["task"] for w in view["work_items"]] == ["sent_task"]
    replies = replies_of(db.session.scalar(select(Case.id).where(Case.reference == ref)))
    assert [(r.version, r.author, r.group_name) for r in replies] == [(1, "Bart", "Onderhoud openbaar domein")]
    stored = db.session.get(CaseFile, replies[0].file_id)
    assert stored.content_type == DOCX_TYPE and stored.filename == f"antwoord-{ref}-v1.docx"

    sent_on = (local_today() - timedelta(days=1)).isoformat()
    staff.ood.complete(ref, "sent_task", {"decision": "sent", "sent_on": sent_on})
    view = staff.ood.case(ref)
    assert view["status"] == "afgesloten" and view["closed_at"] is not None and view["work_items"] == []
    day = datetime.fromisoformat(sent_on).strftime("%d/%m/%Y")
    assert f"Antwoord per brief verstuurd op {day}" in public_texts(view)
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == stored.case_id,
                                                      CaseEvent.kind == "letter_sent"))
    assert event.public and event.data["file_id"] == stored.id and event.data["version"] == 1
    db.session.expire_all()
    assert replies_of(stored.case_id)[0].sent_on.isoformat() == sent_on
    statuses = [e["status"] for e in view["timeline"] if e["kind"] == "status"]
    assert statuses == ["toegewezen", "brief_klaar", "afgesloten"]
    token = db.session.scalar(select(Case.tracking_token).where(Case.reference == ref))
    with app.app_context():
        tracking = app.test_client().get(f"/volg/{token}").get_data(as_text=True)
    assert f"Antwoord per brief verstuurd op {day}" in tracking and "Afgesloten" in tracking
    assert "Els Peeters" not in tracking and "Bruul" not in tracking


def test_revising_makes_a_new_version_and_keeps_the_old_one(staff):
    ref = register().reference
    answer(staff.ood, ref, "Eerste versie.")
    staff.ood.complete(ref, "sent_task", {"decision": "revise"})
    assert staff.ood.case(ref)["status"] == "toegewezen"
    answer(staff.ood, ref, "Tweede versie, met de datum van de herstelling.")
    case_id = db.session.scalar(select(Case.id).where(Case.reference == ref))
    replies = replies_of(case_id)
    assert [(r.version, r.text) for r in replies] == [(1, "Eerste versie."),
                                                       (2, "Tweede versie, met de datum van de herstelling.")]
    files = db.session.scalars(select(CaseFile).where(CaseFile.content_type == DOCX_TYPE)).all()
    assert sorted(f.filename for f in files) == [f"antwoord-{ref}-v1.docx", f"antwoord-{ref}-v2.docx"]
    staff.ood.complete(ref, "sent_task", {"decision": "sent", "sent_on": local_today().isoformat()})
    db.session.expire_all()
    assert [r.sent_on is not None for r in replies_of(case_id)] == [False, True]


def test_sent_needs_a_date_that_is_not_in_the_future(staff):
    ref = register().reference
    answer(staff.ood, ref)
    body = staff.ood.complete(ref, "sent_task", {"decision": "sent"}, expect=422)
    assert "datum van verzending" in body["fields"]["sent_on"][0]
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    body = staff.ood.complete(ref, "sent_task", {"decision": "sent", "sent_on": tomorrow}, expect=422)
    assert body["fields"]["sent_on"] == ["De datum van verzending ligt in de toekomst."]
    assert staff.ood.case(ref)["status"] == "brief_klaar"


def test_an_answer_needs_its_text(staff):
    ref = register().reference
    body = staff.ood.complete(ref, "answer", {"action": "letter", "answer_text": "  "}, expect=422)
    assert "answer_text" in body["fields"]
    body = staff.ood.complete(ref, "answer", {"action": "reroute"}, expect=422)
    assert body["fields"]["reroute_reason"] == ["Zeg waarom de brief terug naar het onthaal gaat."]


def test_the_group_sends_the_letter_back_and_the_onthaal_reroutes_it(staff, onthaal):
    ref = register(kind="klacht").reference
    deadline = staff.ood.case(ref)["deadline_at"]
    staff.ood.complete(ref, "answer", {"action": "reroute", "reroute_reason": "Gaat over afval, niet over wegen."})
    view = onthaal.case(ref)
    assert view["status"] == "herrouteren" and view.get("group") is None
    item = onthaal.open_item(ref, "reroute_task")
    assert item["group"] == "onthaal"
    assert "Gaat over afval, niet over wegen." in view["suggestion_reason"]

    body = onthaal.complete(ref, "reroute_task", {"group": "bestaat-niet"}, expect=422)
    assert body["fields"]["group"] == ["Kies een actieve behandelaarsgroep."]
    onthaal.complete(ref, "reroute_task", {"group": "openbare-netheid"})
    view = staff.netheid.case(ref)
    assert view["status"] == "toegewezen" and view["group"] == "openbare-netheid"
    assert view["deadline_at"] == deadline  # the legal term runs from receipt
    assert staff.netheid.open_item(ref, "answer")["group"] == "openbare-netheid"
    assert staff.ood.get(f"/api/v1/cases/{ref}").status_code == 403  # no longer theirs
    assert "Doorgestuurd naar Openbare netheid" in public_texts(view)


def test_escalation_at_the_deadline_tells_the_leads_and_the_onthaal_once(staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = register(kind="vraag", received_on=local_today(), deadline_days="3", deadline_unit="kalenderdagen")\
            .reference
        due = datetime.fromisoformat(staff.ood.case(ref)["deadline_at"].replace("Z", "+00:00"))
        clock.move_to(due - timedelta(minutes=1))
        assert timers.tick() == 0
        clock.move_to(due + timedelta(minutes=1))
        assert timers.tick() == 1
        assert timers.tick() == 0
    sent = mails("post_escalatie", ref)
    assert sorted(m.recipient for m in sent) == ["chris@stad.example", "onthaal@stad.example"]
    assert sent[0].recipient_kind == "medewerker" and sent[0].data["letter_subject"].startswith("Vraag over")
    view = staff.ood.case(ref)
    assert "escalated" in timeline_kinds(view) and view["status"] == "toegewezen"
    answer(staff.ood, ref)  # still answerable after the escalation
    assert staff.ood.case(ref)["status"] == "brief_klaar"


def test_another_group_cannot_answer(app, staff):
    ref = register().reference
    item = staff.ood.open_item(ref, "answer")
    response = staff.netheid.post(f"/api/v1/work-items/{item['id']}/complete",
                                  json={"action": "letter", "answer_text": "Niet van ons."})
    assert response.status_code == 403
    dina = web_user(app, "behandelaar", "openbare-netheid", "dina.web", "Dina Web")
    assert dina.get(f"/werk/dossier/{ref}").status_code == 403
    response = dina.post(f"/werk/dossier/{ref}/taak/{item['id']}",
                         data={"action": "letter", "answer_text": "Niet van ons."},
                         page="/werk/wachtrij/openbare-netheid")
    assert response.status_code == 403
    assert db.session.get(WorkItem, item["id"]).status == "open"
    assert staff.ood.case(ref)["status"] == "toegewezen"


def test_the_case_page_offers_the_forms_of_the_waiting_work(app, staff):
    ref = register().reference
    bart = web_user(app, "behandelaar", "onderhoud-openbaar-domein", "bart.web", "Bart Web")
    page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert 'data-task="answer"' in page and 'name="answer_text"' in page and 'name="reroute_reason"' in page
    item = staff.ood.open_item(ref, "answer")
    response = bart.post(f"/werk/dossier/{ref}/taak/{item['id']}", data={"action": "letter", "answer_text": ""},
                         page=f"/werk/dossier/{ref}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Schrijf de tekst van het antwoord" in html
    response = bart.post(f"/werk/dossier/{ref}/taak/{item['id']}",
                         data={"action": "letter", "answer_text": "Beste,\n\nWe herstellen de lamp."},
                         page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert 'data-task="sent_task"' in page and 'id="letter-download"' in page
    assert f"antwoord-{ref}-v1.docx" in page and f'value="{local_today().isoformat()}"' in page
