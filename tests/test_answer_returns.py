"""When the answer a handler waited for arrives, the work goes back to that handler with a mail and a mark.

Bart (Onderhoud openbaar domein) asks the reporter a question or orders the work from a contractor.
The reporter's reply by mail, the reporter's silence, or the contractor's report (done or refused)
puts the next handling task back on Bart's name, mails him in his language, and marks the row
"antwoord ontvangen" in the queue and on the case page until he opens it.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import WorkItem
from notifications.sender import send_due

from .channels import contractor_reports, latest_mail, reply_by_mail
from .helpers import Browser, with_password

QUEUE = "/werk/wachtrij/onderhoud-openbaar-domein"


@pytest.fixture
def mail_to(app, smtp_server):
    app.config.update(smtp_server.config())
    return smtp_server


def in_handling(staff) -> str:
    """A melding that Bart took in handling: the handling task is on his name."""
    ref = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    return ref


def ask(staff, ref: str) -> None:
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Aan welke paal hangt de lamp?"})
    assert staff.ood.case(ref)["status"] == "wacht_op_melder"


def order(staff, ref: str) -> None:
    staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                       "instructions": "Lamp vervangen aan paal 12"})


def handling_item(ref: str) -> WorkItem:
    db.session.expire_all()
    items = [i for i in db.session.scalars(select(WorkItem).where(WorkItem.status == "open",
                                                                  WorkItem.task_name == "handle"))
             if i.case.reference == ref]
    assert len(items) == 1, items
    return items[0]


def queue_row(browser: Browser, ref: str) -> str:
    html = browser.get(QUEUE).get_data(as_text=True)
    return re.search(rf'<tr data-reference="{ref}">.*?</tr>', html, re.S).group(0)


def test_the_reporter_s_reply_goes_back_to_the_handler_who_asked_with_a_mail_and_the_mark(app, staff, mail_to):
    ref = in_handling(staff)
    ask(staff, ref)
    send_due()
    mail_to.messages.clear()

    assert reply_by_mail(ref, "Paal 1234, naast de bushalte.").outcome == "added_to_case"

    item = handling_item(ref)
    assert item.assignee_id == staff.ood.user.id and item.returned_reason == "reactie"
    send_due()
    [mail] = [m for m in mail_to.messages if m.rcpt_tos == ["bart@stad.example"]]
    assert ref in mail.message["Subject"] and "Antwoord van de melder" in mail.message["Subject"]
    text = mail.part("text/plain")
    assert "Beste Bart," in text and "terug op jouw naam" in text and "antwoord ontvangen" in text
    assert f"https://meldpunt.stad.example/werk/dossier/{ref}" in text
    assert "Paal 1234" not in text  # the answer is read on the case, where the role rules apply

    chris = Browser(app, staff.ood_lead.user.username, with_password(staff.ood_lead.user))
    assert "antwoord ontvangen" in queue_row(chris, ref) and "Bart" in queue_row(chris, ref)
    chris.get(f"/werk/dossier/{ref}")  # a colleague looking does not clear Bart's mark
    assert "antwoord ontvangen" in queue_row(chris, ref)
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert f'id="returned-{item.id}"' in page  # shown the first time he opens it ...
    assert "antwoord ontvangen" not in queue_row(bart, ref)  # ... and then gone
    assert handling_item(ref).returned_reason is None


def test_a_handler_who_reads_english_gets_the_mail_in_english(app, staff, mail_to):
    staff.ood.user.language = "en"
    db.session.commit()
    ref = in_handling(staff)
    ask(staff, ref)
    reply_by_mail(ref, "Paal 1234")
    send_due()
    [mail] = [m for m in mail_to.messages if m.rcpt_tos == ["bart@stad.example"]]
    assert mail.message["Subject"] == f"Reply from the reporter for report {ref}"
    assert "marked \"answer received\"" in mail.part("text/plain")


@pytest.mark.parametrize("result, word", [("done", "uitgevoerd"), ("refused", "geweigerd")])
def test_the_contractor_s_report_goes_back_to_the_handler_who_ordered(app, staff, mail_to, result, word):
    ref = in_handling(staff)
    order(staff, ref)
    response = contractor_reports(app, ref, result, note="Geen hoogtewerker beschikbaar" if result == "refused"
                                  else "Lamp vervangen")
    assert response.status_code == 303

    item = handling_item(ref)
    assert item.assignee_id == staff.ood.user.id and item.returned_reason == "aannemer"
    mail = latest_mail("antwoord_ontvangen", ref, "bart@stad.example")
    assert mail.data["result"] == word and mail.language == "nl"
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert "antwoord ontvangen" in queue_row(bart, ref)


def test_a_planned_report_is_no_answer_yet(app, staff):
    from datetime import date

    ref = in_handling(staff)
    order(staff, ref)
    assert contractor_reports(app, ref, "planned", planned_for=date(2030, 1, 15)).status_code == 303
    assert staff.ood.case(ref)["status"] == "bij_aannemer" and staff.ood.case(ref)["work_items"] == []


def test_when_the_handler_left_the_group_the_work_goes_to_the_group_unassigned_still_marked(app, staff, mail_to):
    ref = in_handling(staff)
    ask(staff, ref)
    staff.ood.user.groups.clear()  # Bart moved to another team meanwhile
    db.session.commit()

    reply_by_mail(ref, "Paal 1234")

    item = handling_item(ref)
    assert item.assignee_id is None and item.returned_reason == "reactie"
    mail = latest_mail("antwoord_ontvangen", ref)
    assert mail.recipient == "ood@stad.example" and mail.data["assigned"] is False
    chris = Browser(app, staff.ood_lead.user.username, with_password(staff.ood_lead.user))
    assert "antwoord ontvangen" in queue_row(chris, ref)
    chris.post(f"/werk/taak/{item.id}/opnemen", page=f"/werk/dossier/{ref}")
    item = handling_item(ref)
    assert item.assignee_id == staff.ood_lead.user.id and item.returned_reason is None


def test_an_inactive_handler_does_not_get_the_work_back(app, staff):
    ref = in_handling(staff)
    ask(staff, ref)
    staff.ood.user.active = False
    db.session.commit()
    reply_by_mail(ref, "Paal 1234")
    item = handling_item(ref)
    assert item.assignee_id is None and item.returned_reason == "reactie"
    assert latest_mail("antwoord_ontvangen", ref).recipient == "ood@stad.example"


def test_no_reply_in_time_also_comes_back_to_who_asked_marked_as_such(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = in_handling(staff)
        ask(staff, ref)
        clock.tick(timedelta(days=5, minutes=1))
        assert timers.tick() == 1
    item = handling_item(ref)
    assert item.assignee_id == staff.ood.user.id and item.returned_reason == "geen_reactie"
    assert latest_mail("antwoord_ontvangen", ref, "bart@stad.example").data["reason"] == "geen_reactie"
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert "geen reactie ontvangen" in queue_row(bart, ref)


def test_the_api_shows_who_has_the_work_and_why_it_came_back(staff):
    ref = in_handling(staff)
    ask(staff, ref)
    reply_by_mail(ref, "Paal 1234")
    [item] = staff.ood.case(ref)["work_items"]
    assert (item["assignee"], item["returned_reason"]) == ("bart", "reactie")
