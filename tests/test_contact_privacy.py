"""Contacts under the privacy rules (issue #16): anonymised after the same period as reporters, in the reporter's
data export, and the caller's data only for the roles that need it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import update

from engine.clock import utcnow
from engine.db import db
from engine.models import Reporter
from handlers.contact_models import Contact
from handlers.contacts import contact_view
from handlers.groups import group_by_key
from handlers.models import User
from handlers.privacy import EMAIL_MARK, NAME_MARK, PHONE_MARK, anonymise_due
from handlers.privacy_export import export_reporter
from intake.contacts import register_contact
from notifications.models import OutboxMessage

ELS = {"name": "Els Peeters", "email": "els@voorbeeld.example", "phone": "0470 12 34 56"}


@pytest.fixture
def eva(app) -> User:
    user = User(username="eva", display_name="Eva Wouters", role="onthaal", email="eva@stad.example")
    user.groups.append(group_by_key("onthaal"))
    db.session.add(user)
    db.session.commit()
    return user


def answered(user: User, **changes) -> Contact:
    values = {"channel": "telefoon", "topic": "burgerzaken", "outcome": "answered", "taken_by": user,
              "question": "Els Peeters (els@voorbeeld.example, 0470 12 34 56) vraagt naar haar identiteitskaart",
              "answer": "Afspraak gemaakt; bevestiging naar els@voorbeeld.example", "reporter": dict(ELS)}
    values.update(changes)
    return register_contact(**values)


def test_a_contact_without_a_case_is_anonymised_after_the_period_and_not_before(app, eva):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    contact = answered(eva)
    contact_id, reporter_id, made = contact.id, contact.reporter_id, contact.created_at
    with freeze_time(made + timedelta(days=5 * 30)):
        anonymise_due()
    db.session.expire_all()
    kept = db.session.get(Contact, contact_id)
    assert kept.anonymised_at is None and "Els Peeters" in kept.question
    assert db.session.get(Reporter, reporter_id).email == ELS["email"]

    with freeze_time(made + timedelta(days=6 * 31 + 1)):
        anonymise_due()
    db.session.expire_all()
    scrubbed = db.session.get(Contact, contact_id)
    assert scrubbed.anonymised_at is not None
    assert "Els Peeters" not in scrubbed.question and "els@voorbeeld.example" not in scrubbed.question
    assert NAME_MARK in scrubbed.question and EMAIL_MARK in scrubbed.question and PHONE_MARK in scrubbed.question
    assert "vraagt naar haar identiteitskaart" in scrubbed.question  # the question itself stays, for the figures
    assert EMAIL_MARK in scrubbed.answer
    reporter = db.session.get(Reporter, reporter_id)
    assert (reporter.name, reporter.email, reporter.phone) == (None, None, None)


def test_a_citizen_with_a_newer_contact_keeps_their_data(app, eva):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    old = answered(eva)
    old_id, reporter_id = old.id, old.reporter_id
    with freeze_time(utcnow() + timedelta(days=200)):
        answered(eva, question="Nog een vraag")
    with freeze_time(utcnow() + timedelta(days=6 * 31 + 10)):
        anonymise_due()
    db.session.expire_all()
    assert db.session.get(Contact, old_id).anonymised_at is not None
    assert db.session.get(Reporter, reporter_id).email == ELS["email"]  # the newer contact is not due yet


def test_a_handed_over_contact_is_anonymised_with_its_case(app, eva, staff):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    contact = answered(eva, outcome="handover", answer=None, group="onderhoud-openbaar-domein",
                       note="Bel Els Peeters terug op 0470 12 34 56")
    contact_id = contact.id
    reference = contact.case.reference
    staff.ood.complete(reference, "answer", {"answer_text": "Teruggebeld."})
    db.session.expire_all()
    closed_at = db.session.get(Contact, contact_id).case.closed_at
    with freeze_time(closed_at + timedelta(days=6 * 31 + 1)):
        report = anonymise_due()
    db.session.expire_all()
    assert report.cases == 1
    scrubbed = db.session.get(Contact, contact_id)
    assert scrubbed.anonymised_at is not None and "Els Peeters" not in scrubbed.note and PHONE_MARK in scrubbed.note


def test_the_export_lists_the_citizens_contacts(eva):
    answered(eva)
    answered(eva, outcome="handover", answer=None, group="openbare-netheid", question="Vuilbak vol aan de Bruul")
    data = export_reporter(ELS["email"])
    rows = data["contacts"]
    assert [(r["outcome"], r["topic"], r["taken_by"]) for r in rows] == [
        ("answered", "Burgerzaken", "Eva Wouters"), ("handover", "Burgerzaken", "Eva Wouters")]
    assert rows[0]["answer"].startswith("Afspraak gemaakt") and rows[1]["case"].startswith("C")
    reporter_id = data["reporters"][0]["id"]
    assert export_reporter(reporter_id)["contacts"] == rows  # by id as by address


def test_the_callers_data_only_for_roles_that_need_it(eva, staff):
    contact = answered(eva, outcome="handover", answer=None, group="onderhoud-openbaar-domein")
    reporting = User(username="rita", display_name="Rita", role="rapportage")
    db.session.add(reporting)
    db.session.commit()
    assert contact_view(contact, eva)["reporter"]["email"] == ELS["email"]
    assert contact_view(contact, staff.ood.user)["reporter"]["email"] == ELS["email"]  # handed to their group
    assert contact_view(contact, staff.netheid.user)["reporter"] is None  # another group
    hidden = contact_view(contact, reporting)
    assert hidden["reporter"] is None and hidden["question"] is None and hidden["answer"] is None


def test_a_recent_call_keeps_the_citizen_of_an_old_melding(app, eva):
    app.config["MELDPUNT_ANONYMISE_MONTHS"] = 6
    melding = answered(eva, outcome="melding", answer=None, topic="straatlamp-defect",
                       question="Straatlamp aan de Bruul brandt niet",
                       melding={"location": {"address": "Bruul 12, 2800 Mechelen"}})
    case, reporter_id = melding.case, melding.reporter_id
    case.status, case.closed_at = "afgesloten", utcnow()  # closed at once, for the test
    db.session.execute(update(OutboxMessage).values(status="sent"))  # the receipt went out
    db.session.commit()
    with freeze_time(utcnow() + timedelta(days=150)):
        answered(eva, question="Is de lamp al vervangen?")
    with freeze_time(utcnow() + timedelta(days=6 * 31 + 10)):  # the case is due, the call is not
        report = anonymise_due()
    db.session.expire_all()
    assert report.cases == 0 and db.session.get(Reporter, reporter_id).email == ELS["email"]
    with freeze_time(utcnow() + timedelta(days=150 + 6 * 31 + 10)):
        report = anonymise_due()
    db.session.expire_all()
    assert report.cases == 1 and db.session.get(Reporter, reporter_id).email is None
