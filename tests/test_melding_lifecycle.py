"""Every path of the melding process, driven through the staff API as the meldkamer and handlers would."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from notifications.models import OutboxMessage

from .channels import contractor_reports, give_feedback, latest_mail, reply_by_mail
from .helpers import public_texts, timeline_kinds


def mails(template: str, reference: str | None = None) -> list[OutboxMessage]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    return [m for m in rows if reference is None or m.data.get("reference") == reference]


def dispatch_and_take(staff, reference: str) -> None:
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    staff.ood.complete(reference, "take_in_handling")


def test_happy_path_moves_from_ontvangen_to_in_behandeling_to_afgesloten(app, staff):
    created = staff.meldkamer.file_melding()
    ref = created["reference"]
    assert created["status"] == "ontvangen"
    assert created["tracking_url"].startswith("https://meldpunt.stad.example/volg/")
    assert mails("ontvangen", ref)[0].recipient == "melder@voorbeeld.example"

    case = staff.meldkamer.case(ref)
    assert case["suggested_group"] == "onderhoud-openbaar-domein"
    assert "Straatlamp kapot" in case["suggestion_reason"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    case = staff.ood.case(ref)
    assert case["status"] == "toegewezen" and case["group"] == "onderhoud-openbaar-domein"
    assert case["deadline_at"] is not None

    staff.ood.complete(ref, "take_in_handling")
    assert staff.ood.case(ref)["status"] == "in_behandeling"
    assert mails("in_behandeling", ref)

    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Lamp vervangen."})
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and case["closed_at"] is not None
    assert mails("afgesloten", ref)[0].data["public_text"] == "Lamp vervangen."
    assert [w["task"] for w in case["work_items"]] == []

    assert give_feedback(app, ref, True, answer="snel").status_code == 200
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten"
    statuses = [e["status"] for e in case["timeline"] if e["kind"] == "status"]
    assert statuses == ["toegewezen", "in_behandeling", "afgesloten"]
    assert "Lamp vervangen." in public_texts(case)


def test_referred_elsewhere_closes_with_the_explanation_for_the_reporter(staff):
    ref = staff.meldkamer.file_melding("Lawaai van de buren")["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "refer", "public_text": "Neem contact op met de politie."})
    case = staff.meldkamer.case(ref)
    assert case["status"] == "doorverwezen" and case["work_items"] == []
    assert mails("doorverwezen", ref)[0].data["public_text"] == "Neem contact op met de politie."


def test_refer_without_explanation_is_refused_with_a_field_error(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    body = staff.meldkamer.complete(ref, "triage", {"decision": "refer"}, expect=422)
    assert "public_text" in body["fields"]
    assert staff.meldkamer.case(ref)["status"] == "ontvangen"


def test_duplicate_is_linked_and_its_reporter_follows_the_original(staff):
    original = staff.meldkamer.file_melding(email="eerste@voorbeeld.example")["reference"]
    duplicate = staff.meldkamer.file_melding(email="tweede@voorbeeld.example")["reference"]
    staff.meldkamer.complete(duplicate, "triage", {"decision": "duplicate", "duplicate_of": original})
    assert staff.meldkamer.case(duplicate)["status"] == "duplicaat"
    assert mails("duplicaat", duplicate)
    dispatch_and_take(staff, original)
    # Each reporter hears of the original's progress under their own reference and tracking link.
    [first], [second] = mails("in_behandeling", original), mails("in_behandeling", duplicate)
    assert (first.recipient, second.recipient) == ("eerste@voorbeeld.example", "tweede@voorbeeld.example")
    assert first.data["tracking_url"] != second.data["tracking_url"]


def test_duplicate_of_an_unknown_reference_is_refused(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    body = staff.meldkamer.complete(ref, "triage", {"decision": "duplicate", "duplicate_of": "M1999-000001"},
                                    expect=422)
    assert "duplicate_of" in body["fields"]


def test_reporter_reaction_returns_the_case_to_the_handler(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    dispatch_and_take(staff, ref)
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Welk paalnummer?"})
    case = staff.ood.case(ref)
    assert case["status"] == "wacht_op_melder"
    assert mails("informatie_gevraagd", ref)[0].data["public_text"] == "Welk paalnummer?"
    assert reply_by_mail(ref, "Paal 1234").outcome == "added_to_case"
    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling"
    assert [w["task"] for w in case["work_items"]] == ["handle"]


def test_reaction_timeout_continues_without_an_answer_and_moves_the_deadline(staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        dispatch_and_take(staff, ref)
        deadline_before = staff.ood.case(ref)["deadline_at"]
        staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Welk paalnummer?"})
        clock.tick(timedelta(days=4))
        assert timers.tick() == 0
        clock.tick(timedelta(days=1, minutes=1))
        assert timers.tick() == 1
    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling"
    assert "no_reaction" in timeline_kinds(case)
    assert case["deadline_at"] > deadline_before  # the clock paused while waiting for the reporter


def test_contractor_order_with_reminder_and_report(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        dispatch_and_take(staff, ref)
        staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                           "instructions": "Lamp vervangen aan paal 12"})
        assert staff.ood.case(ref)["status"] == "bij_aannemer"
        assert mails("aannemer_opdracht", ref)[0].recipient == "service@lichtwerk-rupel.example"
        clock.tick(timedelta(days=3, minutes=1))
        assert timers.tick() == 1
        assert mails("aannemer_herinnering", ref)
        assert contractor_reports(app, ref, "planned", planned_for=date(2030, 1, 15)).status_code == 303
        assert staff.ood.case(ref)["status"] == "bij_aannemer"
        assert contractor_reports(app, ref, "done", note="Lamp vervangen").status_code == 303
    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling"
    assert "De aannemer meldt dat de werken zijn uitgevoerd." in public_texts(case)


def test_contractor_silence_escalates_to_the_lead_and_the_meldkamer(staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        dispatch_and_take(staff, ref)
        staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting"})
        clock.tick(timedelta(days=7, minutes=1))
        timers.tick()
    recipients = {m.recipient for m in mails("aannemer_escalatie", ref)}
    assert recipients == {"chris@stad.example", "meldkamer@stad.example"}


def test_order_from_an_internal_group_is_refused(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    dispatch_and_take(staff, ref)
    body = staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "fietsteam"}, expect=422)
    assert "contractor" in body["fields"]


def test_sla_escalation_tells_lead_and_meldkamer_but_leaves_the_task_open(staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]  # straatlamp-defect: 5 working days
        dispatch_and_take(staff, ref)
        clock.tick(timedelta(days=3))
        assert timers.tick() == 0
        clock.tick(timedelta(days=7))
        assert timers.tick() == 1
        assert timers.tick() == 0  # escalates once per deadline
    case = staff.ood.case(ref)
    assert "escalated" in timeline_kinds(case)
    assert {m.recipient for m in mails("escalatie", ref)} == {"chris@stad.example", "meldkamer@stad.example"}
    assert [w["task"] for w in case["work_items"]] == ["handle"]
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Hersteld."})
    assert staff.ood.case(ref)["status"] == "afgesloten"


def test_send_back_returns_the_case_to_the_meldkamer_for_rerouting(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    dispatch_and_take(staff, ref)
    staff.ood.complete(ref, "handle", {"action": "send_back", "note": "Is voor netheid"})
    case = staff.meldkamer.case(ref)
    assert [w["task"] for w in case["work_items"]] == ["triage"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch", "group": "openbare-netheid"})
    assert staff.netheid.case(ref)["group"] == "openbare-netheid"
    staff.netheid.complete(ref, "take_in_handling")


def close_with_negative_feedback(app, staff) -> str:
    ref = staff.meldkamer.file_melding()["reference"]
    dispatch_and_take(staff, ref)
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Lamp vervangen."})
    assert give_feedback(app, ref, False, comment="Lamp is nog altijd stuk").status_code == 200
    return ref


def test_negative_feedback_reopens_case_for_the_same_group(app, staff):
    ref = close_with_negative_feedback(app, staff)
    case = staff.ood.case(ref)
    assert case["status"] == "heropenverzoek"
    assert case["work_items"][0]["task"] == "review_reopen"
    assert case["work_items"][0]["group"] == "onderhoud-openbaar-domein"
    staff.ood.complete(ref, "review_reopen", {"reopen": True, "note": "Klopt, andere lamp"})
    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling" and case["closed_at"] is None
    assert mails("heropend", ref)
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Nu echt vervangen."})
    assert staff.ood.case(ref)["status"] == "afgesloten"


def test_negative_feedback_kept_closed_with_a_reason(app, staff):
    ref = close_with_negative_feedback(app, staff)
    staff.ood.complete(ref, "review_reopen", {"reopen": False, "reason": "De lamp brandt volgens onze controle."})
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and case["work_items"] == []
    assert mails("gesloten_gehouden", ref)[0].data["public_text"] == "De lamp brandt volgens onze controle."


def test_feedback_window_closes_after_fourteen_days(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = staff.meldkamer.file_melding()["reference"]
        dispatch_and_take(staff, ref)
        staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Klaar."})
        clock.tick(timedelta(days=14, minutes=1))
        timers.tick()
        no_link = urlsplit(latest_mail("afgesloten", ref).data["feedback_no_url"])
        page = app.test_client().get(f"{no_link.path}?{no_link.query}")
    assert page.status_code == 410 and "De termijn om te antwoorden is voorbij" in page.get_data(as_text=True)
    assert staff.ood.case(ref)["status"] == "afgesloten" and "feedback" not in timeline_kinds(staff.ood.case(ref))
