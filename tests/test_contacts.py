"""First-line contacts (issue #16): registering a phone call or counter visit with each outcome, and every bad input,
through intake/contacts.register_contact (the staff page and the API both call it)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case, CaseEvent, Reporter, WorkItem
from engine.timers import tick
from handlers.contact_models import Contact, ContactTopic
from handlers.contacts import contacts_of_reporter, find_topic, link_candidates, link_reporters, linked_reporter_ids
from handlers.groups import group_by_key
from handlers.models import User
from intake.contacts import register_contact

from .test_post_support import mails


@pytest.fixture
def eva(app) -> User:
    user = User(username="eva", display_name="Eva Wouters", role="onthaal", email="eva@stad.example")
    user.groups.append(group_by_key("onthaal"))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def an(app) -> User:
    user = User(username="an", display_name="An Peeters", role="meldkamer", email="an@stad.example")
    db.session.add(user)
    db.session.commit()
    return user


def call(user: User, **changes) -> Contact:
    values = {"channel": "telefoon", "question": "Wanneer is het containerpark open?", "topic": "afval",
              "outcome": "answered", "answer": "Van dinsdag tot zaterdag, 9 tot 17 uur.", "taken_by": user,
              "reporter": {"name": "Els Peeters", "email": "els@voorbeeld.example", "phone": "015 12 34 56"}}
    values.update(changes)
    return register_contact(**values)


def refused(user: User, **changes) -> dict:
    with pytest.raises(InvalidInput) as err:
        call(user, **changes)
    db.session.rollback()
    return err.value.fields


def test_a_question_answered_at_once_is_a_light_record_with_the_caller(eva):
    contact = call(eva)
    stored = db.session.get(Contact, contact.id)
    assert stored.outcome == "answered" and stored.case is None and stored.group is None
    assert (stored.topic_key, stored.topic_name) == ("afval", "Afval en containerpark")
    assert stored.answer == "Van dinsdag tot zaterdag, 9 tot 17 uur."
    assert stored.taken_by_name == "Eva Wouters" and stored.reporter.email == "els@voorbeeld.example"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0  # no case for a light record
    assert [c.id for c in contacts_of_reporter(stored.reporter_id)] == [contact.id]


def test_the_general_topics_are_seeded_and_a_city_can_add_one(eva):
    keys = set(db.session.scalars(select(ContactTopic.key)))
    assert {"afval", "parkeren", "burgerzaken"} <= keys
    db.session.add(ContactTopic(key="begraafplaatsen", name="Begraafplaatsen", position=200))
    db.session.commit()
    contact = call(eva, topic="begraafplaatsen")
    assert contact.topic_name == "Begraafplaatsen"
    assert find_topic("straatlamp-defect").kind == "category"


def test_a_melding_by_phone_starts_the_melding_process_with_the_receipt_mail(eva):
    contact = call(eva, outcome="melding", answer=None, topic="straatlamp-defect",
                   question="Straatlamp brandt niet meer",
                   melding={"location": {"address": "Bruul 12, 2800 Mechelen"}})
    case = db.session.get(Case, contact.case_id)
    assert case.kind == "melding" and case.channel == "telefoon" and case.reference.startswith("M")
    assert case.category.key == "straatlamp-defect" and case.address == "Bruul 12, 2800 Mechelen"
    assert case.description == "Straatlamp brandt niet meer"
    assert case.reporter_id == contact.reporter_id
    receipt = mails("ontvangen", case.reference)
    assert [m.recipient for m in receipt] == ["els@voorbeeld.example"]


def test_a_melding_at_the_counter_without_e_mail_keeps_the_citizen_and_sends_nothing(eva):
    contact = call(eva, channel="balie", outcome="melding", answer=None, topic="sluikstort",
                   question="Matras gedumpt aan de Dijle", reporter={"name": "Jan Smets", "phone": "0470 12 34 56"},
                   melding={"location": {"address": "Haverwerf 1, 2800 Mechelen"}})
    case = db.session.get(Case, contact.case_id)
    assert case.channel == "balie" and case.reporter.name == "Jan Smets"
    assert mails("ontvangen", case.reference) == []


def test_a_warm_handover_lands_in_the_groups_queue_with_deadline_note_and_who_took_the_call(eva):
    before = utcnow()
    contact = call(eva, outcome="handover", answer=None, topic="parkeren", group="samen-leven",
                   question="Buurman parkeert al weken op het voetpad", note="Mevrouw is boos; graag vandaag bellen.")
    case = db.session.get(Case, contact.case_id)
    assert case.kind == "contact" and case.reference.startswith("C") and case.group.key == "samen-leven"
    assert contact.group.key == "samen-leven"
    assert case.deadline_at > before + timedelta(days=2)  # three working days
    item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open"))
    assert item.group.key == "samen-leven" and item.due_at == case.deadline_at and item.title == "Burger antwoorden"
    handover = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                         CaseEvent.kind == "contact_handover"))
    assert handover.actor == "Eva Wouters" and handover.note == "Mevrouw is boos; graag vandaag bellen."
    told = mails("overdracht", case.reference)
    assert [m.recipient for m in told] == ["samenleven@stad.example"]
    assert told[0].data["by"] == "Eva Wouters" and told[0].data["note"] == "Mevrouw is boos; graag vandaag bellen."


def test_the_group_answers_a_handover_and_the_case_closes(app, eva, client, staff):
    contact = call(eva, outcome="handover", answer=None, topic="straatlamp-defect",
                   group="onderhoud-openbaar-domein", question="Wanneer wordt de lamp vervangen?")
    reference = db.session.get(Case, contact.case_id).reference
    staff.ood.complete(reference, "answer", {"answer_text": "Teruggebeld: volgende week."})
    case = staff.ood.case(reference)
    assert case["status"] == "afgesloten"
    answered = [e for e in case["timeline"] if e["kind"] == "contact_answered"]
    assert answered and answered[0]["note"] == "Teruggebeld: volgende week."


def test_the_answer_deadline_of_a_handover_escalates_to_the_lead_and_the_onthaal(app, eva, staff):
    contact = call(eva, outcome="handover", answer=None, topic="afval", group="onderhoud-openbaar-domein",
                   deadline_days="1")
    case = db.session.get(Case, contact.case_id)
    with freeze_time(case.deadline_at + timedelta(hours=1)):
        tick()
    escalations = mails("escalatie", case.reference)
    assert sorted(m.recipient for m in escalations) == ["chris@stad.example", "onthaal@stad.example"]


def test_information_for_an_existing_case_goes_on_its_timeline(eva, staff):
    melding = staff.meldkamer.file_melding()
    contact = call(eva, outcome="existing_case", answer=None, case=melding["reference"].lower(), topic="afval",
                   question="Lamp knippert nu ook", note="Melder belt: de lamp ernaast knippert nu ook.")
    case = staff.meldkamer.case(melding["reference"])
    notes = [e for e in case["timeline"] if e["kind"] == "contact"]
    assert notes and notes[0]["note"] == "Melder belt: de lamp ernaast knippert nu ook."
    assert notes[0]["public"] is False
    assert db.session.get(Contact, contact.id).case.reference == melding["reference"]


def test_two_staff_registering_the_same_call_are_both_kept_and_linked(eva, an):
    first = call(eva)
    second = call(an, answer="Ook beantwoord door de meldkamer.")
    assert second.related_contact_id == first.id
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 2
    third = call(an, question="Nog een vraag", related_contact=None)
    assert third.related_contact_id == first.id  # still the same call, by the other colleague
    explicit = call(eva, reporter=None, anonymous=True, related_contact=str(second.id))
    assert explicit.related_contact_id == second.id and explicit.reporter_id is None and explicit.anonymous


def test_a_citizen_found_twice_is_offered_for_linking_never_merged(eva, an):
    first = call(eva)
    second = call(an, reporter={"name": "Els Peeters", "email": "els.peeters@werk.example", "phone": "+32 15 12 34 56"})
    one, two = db.session.get(Reporter, first.reporter_id), db.session.get(Reporter, second.reporter_id)
    assert one.id != two.id
    assert [r.id for r in link_candidates(one)] == [two.id]
    link_reporters(one, two, by=an)
    db.session.commit()
    assert linked_reporter_ids(one.id) == {one.id, two.id}
    assert link_candidates(one) == []
    assert {c.id for c in contacts_of_reporter(one.id)} == {first.id, second.id}
    assert db.session.get(Reporter, two.id).email == "els.peeters@werk.example"  # nothing merged


@pytest.mark.parametrize("changes, field, message", [
    ({"question": "  "}, "question", "Vul de vraag in, in een paar woorden."),
    ({"question": "x" * 1001}, "question", "De vraag is te lang (maximaal 1000 tekens)."),
    ({"topic": "vuilbakken-xyz"}, "topic",
     "Onbekend onderwerp 'vuilbakken-xyz'. Kies een categorie of een algemeen onderwerp."),
    ({"topic": ""}, "topic", "Kies een onderwerp: een categorie of een algemeen onderwerp."),
    ({"channel": "fax"}, "channel", "Kies het kanaal: telefoon, balie, ..."),
    ({"outcome": "vergeten"}, "outcome",
     "Kies wat er met het contact gebeurde: beantwoord, melding, overgedragen of bij een dossier."),
    ({"answer": ""}, "answer", "Vul het antwoord in dat u gaf."),
    ({"outcome": "handover"}, "group", "Kies de dienst waaraan u het contact overdraagt."),
    ({"outcome": "handover", "group": "meldkamer"}, "group", "Kies een actieve behandelaarsgroep."),
    ({"outcome": "handover", "group": "fietsteam", "deadline_days": "0"}, "deadline_days",
     "Geef de antwoordtermijn als een aantal werkdagen van 1 tot 60."),
    ({"outcome": "existing_case"}, "case", "Geef de referentie van het dossier waarbij het contact hoort."),
    ({"outcome": "existing_case", "case": "M2026-999999"}, "case",
     "Er is geen dossier met referentie 'M2026-999999'."),
    ({"reporter": 999999}, "reporter", "Deze burger werd niet gevonden. Zoek opnieuw of vul de gegevens in."),
    ({"anonymous": True}, "reporter",
     "Een anoniem contact heeft geen burger: kies anoniem of vul de burger in, niet allebei."),
    ({"related_contact": "12345"}, "related_contact", "Het gekoppelde contact bestaat niet."),
])
def test_bad_input_is_refused_with_a_dutch_message_and_nothing_is_saved(eva, changes, field, message):
    fields = refused(eva, **changes)
    assert [str(m) for m in fields[field]] == [message]
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_every_problem_is_reported_at_once(eva):
    fields = refused(eva, question="", topic="bestaat-niet", outcome="handover",
                     reporter={"email": "geen-adres", "phone": "12"})
    assert set(fields) == {"question", "topic", "group", "reporter"}
    assert set(fields["reporter"]) == {"email", "phone"}


def test_a_melding_with_a_too_short_description_names_the_melding_field(eva):
    fields = refused(eva, outcome="melding", question="Lamp", answer=None, topic="straatlamp-defect")
    assert [str(m) for m in fields["melding"]["description"]] == ["Beschrijf het probleem in minstens 10 tekens."]
