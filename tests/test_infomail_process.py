"""The info mailbox's triage by the onthaal, path by path, through the staff API (bpmn/infomail.bpmn).

A mail arrives as the mail intake starts it (start_case with the mail's subject, Message-ID and sender,
and the intake's `mail_received` event); the onthaal answers it, turns it into a melding, routes it to a
handler group with an answer deadline, or closes it; the citizen's reply comes back as the message
`citizen_reply` and lands with whoever answered.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.errors import Conflict, InvalidInput
from engine.messages import deliver_message
from engine.models import Case, CaseFile
from engine.runtime import start_case
from engine.timeline import add_event
from engine.workitems import validate_form
from handlers.calendar import CITY_TZ
from handlers.files import open_file
from handlers.groups import group_by_key
from handlers.models import RoutingRule, User
from intake.mail_files import store_mail_file
from intake.meldingen import find_or_create_reporter
from notifications.models import OutboxMessage
from notifications.sender import send_due

from .helpers import Actor, public_texts, timeline_kinds

SENDER = "els.vraagsteller@voorbeeld.example"
QUESTION = "Dag,\n\nWanneer is het containerpark open op zaterdag?\n\nGroeten,\nEls"
SUBJECT = "Openingsuren containerpark"
MESSAGE_ID = "<vraag-1@voorbeeld.example>"
INFO = "info@stad.example"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SAMEN_LEVEN = "samen-leven"


def receive_mail(text: str = QUESTION, subject: str = SUBJECT, sender: Optional[str] = SENDER,
                 acknowledge: bool = True, message_id: Optional[str] = MESSAGE_ID,
                 files: tuple[tuple[str, bytes], ...] = ()) -> str:
    """What the mail intake does with a new mail: start the infomail process, keep the files and the facts."""
    reporter = find_or_create_reporter("Els Vraagsteller", sender, None)
    case = start_case(kind="mail", process_key="infomail", actor=sender or "mailbox",
                      fields={"description": text, "channel": "mail", "reporter": reporter},
                      data={"subject": subject, "acknowledge": acknowledge, "message_id": message_id,
                            "from": sender})
    case = db.session.get(Case, case.id)
    for name, content in files:  # as the mail intake keeps them (intake/mail_files.py)
        store_mail_file(case, content, name, "image/png" if content.startswith(b"\x89PNG") else "")
    add_event(case, "mail_received", actor=sender or "mailbox",
              data={"message_id": message_id, "subject": subject, "from": sender,
                    "attachments": [name for name, _ in files]})
    db.session.commit()
    return case.reference


def make_actor(client, username: str, role: str, group: Optional[str], email: Optional[str] = None) -> Actor:
    """A staff member with an API token (and a password, for the web tests)."""
    user = User(username=username, display_name=username.title(), role=role,
                email=email or f"{username}@stad.example")
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


@pytest.fixture
def onthaal(app, client) -> Actor:
    """Eva of the onthaal (role onthaal, member of the onthaal group)."""
    return make_actor(client, "eva", "onthaal", "onthaal")


@pytest.fixture
def samenleven(app, client) -> Actor:
    """A handler of the group 'Samen leven'."""
    return make_actor(client, "sam", "behandelaar", SAMEN_LEVEN)


def case_row(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def outbox(template: Optional[str] = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query))


def reply(reference: str, text: str, message_id: Optional[str] = None) -> None:
    """What the mail intake does with the citizen's reply to one of our mails."""
    payload = {"text": text} | ({"message_id": message_id} if message_id else {})
    deliver_message(case_row(reference).id, "citizen_reply", payload, actor=SENDER)


def route(onthaal: Actor, reference: str, group: str = SAMEN_LEVEN, days: Optional[int] = None) -> dict:
    form = {"decision": "route", "group": group} | ({"days": days} if days else {})
    return onthaal.complete(reference, "triage", form)


# ------------------------------------------------------------------------------------------ intake


def test_new_mail_gets_an_acknowledgement_with_its_reference_and_waits_for_the_onthaal(onthaal):
    ref = receive_mail()
    case = onthaal.case(ref)
    assert ref.startswith("I") and case["kind"] == "mail" and case["status"] == "ontvangen"
    item = onthaal.open_item(ref, "triage")
    assert item["title"] == "Mail triëren" and item["group"] == "onthaal" and item["form"] == "mail_triage"
    [ack] = outbox("ontvangstbevestiging_mail")
    assert ack.recipient == SENDER and ack.data["reference"] == ref


def test_no_acknowledgement_when_the_intake_says_so(onthaal):
    ref = receive_mail(acknowledge=False)
    assert outbox() == []
    assert onthaal.open_item(ref, "triage")


def test_routing_rules_suggest_a_group_from_the_subject(onthaal):
    db.session.add(RoutingRule(position=5, name="Parkeren", group=group_by_key("omgeving-economie-wonen"),
                               keywords="parkeerkaart"))
    db.session.commit()
    ref = receive_mail(text="Hoe vraag ik dat aan?", subject="Parkeerkaart voor bewoners")
    case = onthaal.case(ref)
    assert case["suggested_group"] == "omgeving-economie-wonen"
    assert "Parkeren" in case["suggestion_reason"] and "parkeerkaart" in case["suggestion_reason"]
    other = receive_mail(text="Is het stadhuis open op maandag?", subject="Openingsuren", message_id="<v2@x>")
    assert onthaal.case(other).get("suggested_group") is None
    assert "onthaal kiest" in onthaal.case(other)["suggestion_reason"]


# ------------------------------------------------------------------------------- answer directly


def test_onthaal_answer_reaches_the_citizen_from_the_info_address_in_the_thread(app, onthaal, smtp_server):
    app.config.update(smtp_server.config(), MELDPUNT_INFO_ADDRESS=INFO)
    ref = receive_mail(subject="Re: Openingsuren containerpark")
    answer = "Het containerpark is op zaterdag open van 9 tot 16 uur."
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": answer})

    case = onthaal.case(ref)
    assert case["status"] == "beantwoord" and case["work_items"] == []
    assert answer in public_texts(case)
    assert send_due().sent == 2  # the acknowledgement and the answer
    [mail] = [m for m in smtp_server.messages if answer in m.part("text/plain")]
    assert mail.message["From"] == INFO and mail.rcpt_tos == [SENDER]
    assert mail.message["In-Reply-To"] == MESSAGE_ID and mail.message["References"] == MESSAGE_ID
    assert mail.message["Subject"] == f"Re: Openingsuren containerpark [{ref}]"
    assert answer in mail.part("text/plain") and "/volg/" in mail.part("text/plain")
    assert mail.message["Auto-Submitted"] == "auto-generated"
    ack = next(m for m in smtp_server.messages if m is not mail)
    assert f"[{ref}]" in ack.message["Subject"]
    assert ack.message["From"] == INFO and ack.message["In-Reply-To"] == MESSAGE_ID  # in the same thread


def test_citizen_reply_goes_back_to_the_onthaal_that_answered_and_threads_the_next_answer(onthaal):
    ref = receive_mail()
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Op zaterdag van 9 tot 16 uur."})
    reply(ref, "En op zondag?", message_id="<reactie-1@voorbeeld.example>")

    item = onthaal.open_item(ref, "triage")
    assert item["group"] == "onthaal"
    assert "citizen_reply" in timeline_kinds(onthaal.case(ref))
    onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Op zondag is het gesloten."})
    second = outbox("antwoord_mail")[-1]
    assert second.data["answer_text"] == "Op zondag is het gesloten."
    assert second.data["in_reply_to"] == "<reactie-1@voorbeeld.example>"
    assert second.data["references"] == f"{MESSAGE_ID} <reactie-1@voorbeeld.example>"


def test_reply_the_case_is_not_waiting_for_is_refused(onthaal):
    ref = receive_mail()
    with pytest.raises(Conflict, match="not waiting for .citizen_reply."):
        reply(ref, "Nog een vraag")
    assert onthaal.open_item(ref, "triage")


def test_without_reply_the_case_closes_after_the_reply_window(app, onthaal):
    app.config["MELDPUNT_MAIL_REPLY_DAYS"] = 3
    with freeze_time(utcnow(), tick=True) as clock:
        ref = receive_mail()
        onthaal.complete(ref, "triage", {"decision": "answer", "answer_text": "Van 9 tot 16 uur."})
        clock.tick(timedelta(days=2, hours=23))
        assert timers.tick() == 0 and case_row(ref).status == "beantwoord"
        clock.tick(timedelta(hours=1, minutes=1))
        assert timers.tick() == 1
    case = case_row(ref)
    assert case.status == "afgesloten" and case.completed and case.closed_at is not None
    assert onthaal.case(ref)["work_items"] == []


# -------------------------------------------------------------------------------- convert to melding


def test_converting_starts_a_melding_with_the_text_sender_and_attachments(onthaal, staff):
    ref = receive_mail(text="Er ligt al een week een matras aan de Bruul 12.", subject="Sluikstort",
                       files=(("matras.png", PNG),))
    onthaal.complete(ref, "triage", {"decision": "convert", "category": "sluikstort", "note": "Is een melding"})

    mail_case = case_row(ref)
    assert mail_case.status == "omgezet" and mail_case.completed and mail_case.closed_at is not None
    melding = db.session.scalar(select(Case).where(Case.kind == "melding"))
    assert melding.description == "Er ligt al een week een matras aan de Bruul 12."
    assert melding.channel == "mail" and melding.reporter_id == mail_case.reporter_id
    assert melding.category.key == "sluikstort" and melding.suggested_group.key == "openbare-netheid"
    assert staff.meldkamer.open_item(melding.reference, "triage")  # the melding waits at the meldkamer
    [copy] = db.session.scalars(select(CaseFile).where(CaseFile.case_id == melding.id)).all()
    [original] = db.session.scalars(select(CaseFile).where(CaseFile.case_id == mail_case.id)).all()
    assert copy.filename == "matras.png" and copy.storage_key != original.storage_key
    with open_file(copy) as handle:
        assert handle.read() == PNG

    assert f"Omgezet naar melding {melding.reference}" in public_texts(onthaal.case(ref))
    melding_timeline = staff.meldkamer.case(melding.reference)["timeline"]
    assert any(e["kind"] == "converted_from" and ref in e["note"] for e in melding_timeline)
    to_sender = [(m.template, m.data["reference"]) for m in outbox() if m.recipient == SENDER]
    assert to_sender == [("ontvangstbevestiging_mail", ref), ("ontvangen", melding.reference)]


def test_converting_with_an_unknown_category_is_refused_and_changes_nothing(onthaal):
    ref = receive_mail()
    response = onthaal.complete(ref, "triage", {"decision": "convert", "category": "bestaat-niet"}, expect=422)
    assert "category" in response["fields"]
    assert db.session.scalar(select(Case).where(Case.kind == "melding")) is None
    assert onthaal.open_item(ref, "triage")


# ------------------------------------------------------------------------------- route to a group


def test_routed_mail_gets_a_deadline_in_working_days_and_escalates_when_it_passes(app, client, onthaal,
                                                                                  samenleven):
    make_actor(client, "lea", "groepsverantwoordelijke", SAMEN_LEVEN, email="lea@stad.example")
    friday = datetime(2026, 4, 3, 10, 0, tzinfo=CITY_TZ)  # Easter Monday 6 April is a public holiday
    with freeze_time(friday, tick=True) as clock:
        ref = receive_mail()
        route(onthaal, ref, days=3)
        case = case_row(ref)
        assert case.group.key == SAMEN_LEVEN
        assert case.deadline_at.astimezone(CITY_TZ).date() == datetime(2026, 4, 9).date()
        item = samenleven.open_item(ref, "answer")
        assert item["title"] == "Mail beantwoorden" and item["group"] == SAMEN_LEVEN and item["due_at"]

        clock.move_to(datetime(2026, 4, 9, 9, 0, tzinfo=CITY_TZ))
        assert timers.tick() == 0
        clock.move_to(datetime(2026, 4, 9, 10, 1, tzinfo=CITY_TZ))
        assert timers.tick() == 1
        assert timers.tick() == 0  # once per deadline
    escalations = outbox("escalatie_mail")
    assert sorted(m.recipient for m in escalations) == ["lea@stad.example", "onthaal@stad.example"]
    assert all(m.recipient_kind == "medewerker" for m in escalations)
    assert samenleven.open_item(ref, "answer")  # the task stays with the group


def test_deadline_defaults_to_the_setting(app, onthaal):
    app.config["MELDPUNT_MAIL_ANSWER_DAYS"] = 2
    with freeze_time(datetime(2026, 3, 2, 9, 0, tzinfo=CITY_TZ)):  # a Monday
        ref = receive_mail()
        route(onthaal, ref)
    assert case_row(ref).deadline_at.astimezone(CITY_TZ) == datetime(2026, 3, 4, 9, 0, tzinfo=CITY_TZ)


def test_group_answers_and_the_reply_comes_back_to_the_group(onthaal, samenleven):
    ref = receive_mail()
    route(onthaal, ref)
    samenleven.complete(ref, "answer", {"action": "answer", "answer_text": "Dat regelt de wijkagent."})
    [answer] = outbox("antwoord_mail")
    assert answer.recipient == SENDER and answer.data["in_reply_to"] == MESSAGE_ID
    assert case_row(ref).status == "beantwoord"

    reply(ref, "Wie is mijn wijkagent?")
    item = samenleven.open_item(ref, "answer")
    assert item["group"] == SAMEN_LEVEN and item["due_at"] is not None
    assert [i["task"] for i in onthaal.case(ref)["work_items"]] == ["answer"]


def test_group_sends_the_mail_back_to_the_onthaal_with_a_reason(onthaal, samenleven):
    ref = receive_mail()
    route(onthaal, ref)
    samenleven.complete(ref, "answer", {"action": "send_back", "reason": "Dit is een vraag voor Burgerzaken."})
    item = onthaal.open_item(ref, "triage")
    assert item["group"] == "onthaal"
    case = onthaal.case(ref)
    assert case.get("group") is None and case.get("deadline_at") is None
    assert "Dit is een vraag voor Burgerzaken." in case["suggestion_reason"]
    assert outbox("antwoord_mail") == []


# ------------------------------------------------------------------------------ no answer needed


def test_no_answer_needed_closes_with_an_internal_reason(onthaal):
    ref = receive_mail(text="Schrijf u in op onze nieuwsbrief!", subject="Nieuwsbrief")
    onthaal.complete(ref, "triage", {"decision": "no_answer", "reason": "Nieuwsbrief van een leverancier"})
    case = onthaal.case(ref)
    assert case["status"] == "afgesloten" and case["work_items"] == []
    assert "Nieuwsbrief van een leverancier" not in public_texts(case)
    assert any(e["kind"] == "closed_no_answer" and e["note"] == "Nieuwsbrief van een leverancier"
               for e in case["timeline"])
    assert outbox("antwoord_mail") == []


# ------------------------------------------------------------------------- permissions and input


def test_a_handler_of_another_group_cannot_complete_the_onthaal_task(onthaal, staff):
    ref = receive_mail()
    item = onthaal.open_item(ref, "triage")
    response = staff.netheid.post(f"/api/v1/work-items/{item['id']}/complete",
                                  json={"decision": "no_answer", "reason": "spam"})
    assert response.status_code == 403
    assert onthaal.open_item(ref, "triage")["id"] == item["id"]


def test_a_handler_of_another_group_cannot_answer_for_the_group(onthaal, samenleven, staff):
    ref = receive_mail()
    route(onthaal, ref)
    item = samenleven.open_item(ref, "answer")
    response = staff.netheid.post(f"/api/v1/work-items/{item['id']}/complete",
                                  json={"action": "answer", "answer_text": "Niet van ons"})
    assert response.status_code == 403
    assert outbox("antwoord_mail") == []


@pytest.mark.parametrize("form, field", [
    ({"decision": "answer", "answer_text": "  "}, "answer_text"),
    ({"decision": "route", "group": "bestaat-niet"}, "group"),
    ({"decision": "route", "group": "aannemer-wegenwerken"}, "group"),
    ({"decision": "route", "group": SAMEN_LEVEN, "days": "veel"}, "days"),
    ({"decision": "route", "group": SAMEN_LEVEN, "days": 0}, "days"),
    ({"decision": "no_answer"}, "reason"),
    ({"decision": "weggooien"}, "decision"),
    ({}, "decision"),
])
def test_bad_triage_input_is_refused_with_a_field_error(onthaal, form, field):
    ref = receive_mail()
    response = onthaal.complete(ref, "triage", form, expect=422)
    assert field in response["fields"], response
    assert onthaal.open_item(ref, "triage") and case_row(ref).status == "ontvangen"


@pytest.mark.parametrize("form, field", [
    ({"action": "answer"}, "answer_text"),
    ({"action": "send_back", "reason": ""}, "reason"),
    ({"action": "archive"}, "action"),
])
def test_bad_answer_input_is_refused_with_a_field_error(onthaal, samenleven, form, field):
    ref = receive_mail()
    route(onthaal, ref)
    response = samenleven.complete(ref, "answer", form, expect=422)
    assert field in response["fields"], response
    assert samenleven.open_item(ref, "answer")


def test_the_reply_payload_is_checked_before_it_becomes_process_data():
    """The mail intake validates a reply with the registered schema `message:citizen_reply`."""
    with pytest.raises(InvalidInput) as caught:
        validate_form("message:citizen_reply", {"text": ""})
    assert "text" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        validate_form("message:citizen_reply", {"text": "Bedankt", "from": "x@y"})
    assert "from" in caught.value.fields
    assert validate_form("message:citizen_reply", {"text": "Bedankt", "message_id": "<r@x>"}) == {
        "text": "Bedankt", "message_id": "<r@x>", "subject": None}
