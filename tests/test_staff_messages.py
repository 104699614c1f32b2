"""Staff cannot speak for a citizen or a contractor: the API refuses the messages that are theirs to send."""
from __future__ import annotations

import pytest

from .helpers import timeline_kinds


def closed_case(staff) -> str:
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "Lamp vervangen."})
    return ref


@pytest.mark.parametrize("who", ["ood", "ood_lead", "meldkamer", "admin"])
def test_a_handler_cannot_post_the_satisfaction_feedback_of_their_own_case(staff, who):
    ref = closed_case(staff)
    actor = getattr(staff, who)
    for payload in ({"satisfied": True, "answer": "Snel opgelost"}, {"satisfied": False}):
        body = actor.send_message(ref, "feedback", payload, expect=403)
        assert body["error"] == "Forbidden" and "feedback link" in body["message"]
    case = staff.ood.case(ref)
    assert case["status"] == "afgesloten" and "feedback" not in timeline_kinds(case)


def test_staff_cannot_report_for_the_contractor_or_answer_for_the_reporter(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting"})
    for payload in ({"result": "planned", "planned_for": "2030-01-15"}, {"result": "done"},
                    {"result": "refused", "note": "Geen tijd"}):
        body = staff.ood.send_message(ref, "contractor_report", payload, expect=403)
        assert "contractor portal" in body["message"]
    assert staff.ood.case(ref)["status"] == "bij_aannemer"

    asked = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(asked, "triage", {"decision": "dispatch"})
    staff.ood.complete(asked, "take_in_handling")
    staff.ood.complete(asked, "handle", {"action": "request_info", "question": "Welk paalnummer?"})
    body = staff.ood.send_message(asked, "reporter_reaction", {"text": "Paal 12"}, expect=403)
    assert "reply to the question mail" in body["message"]
    assert staff.ood.case(asked)["status"] == "wacht_op_melder"


def test_an_unknown_message_is_still_a_field_error(staff):
    ref = closed_case(staff)
    body = staff.ood.send_message(ref, "tevreden", {}, expect=422)
    assert "name" in body["fields"]
