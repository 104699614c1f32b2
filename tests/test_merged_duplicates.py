"""Merging a melding into an earlier one: every reporter keeps their own case, links and voice.

Els reports a broken street light (A); Jan reports the same light (B) and the meldkamer marks B a
duplicate of A. Each hears of A's progress with their own reference, tracking link and feedback link,
never the other's name, contact data, photos or links; Jan's answer to the feedback question is his
own, and a "no" from him raises the reopen request on A without naming him.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.files import store_file
from notifications.models import OutboxMessage
from notifications.sender import send_due

from .channels import give_feedback, latest_mail
from .helpers import Browser, timeline_kinds, with_password
from .test_browser_staff_flow import JPEG

ELS = {"name": "Els Melder", "email": "els.melder@voorbeeld.example", "phone": "0470 12 34 56"}
JAN = {"name": "Jan Peeters", "email": "jan.peeters@voorbeeld.example", "phone": "0486 98 76 54"}
CLOSING = "Beste Els, de lamp aan paal 12 werd vervangen. Dank u voor uw melding."


@pytest.fixture
def mail_to(app, smtp_server):
    app.config.update(smtp_server.config())
    return smtp_server


def file(staff, reporter: dict, description: str = "Straatlamp brandt niet aan paal 12") -> dict:
    return staff.meldkamer.file_melding(description, reporter=reporter)


def merge(staff, duplicate: str, original: str) -> None:
    staff.meldkamer.complete(duplicate, "triage", {"decision": "duplicate", "duplicate_of": original})
    assert staff.meldkamer.case(duplicate)["status"] == "duplicaat"


def handle(staff, reference: str) -> None:
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    staff.ood.complete(reference, "take_in_handling")


def close(staff, reference: str, text: str = CLOSING) -> None:
    staff.ood.complete(reference, "handle", {"action": "close", "public_text": text})


def path(url: str) -> str:
    return urlsplit(url).path


def stored(reference: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == reference))


def events(reference: str, kind: str) -> list[CaseEvent]:
    case = stored(reference)
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
                                   .order_by(CaseEvent.id)))


@pytest.fixture
def merged(staff):
    """A (Els) and B (Jan), B merged into A by a reference typed in lower case."""
    a, b = file(staff, ELS), file(staff, JAN)
    merge(staff, b["reference"], a["reference"].lower())
    return a, b


# --- the mails -----------------------------------------------------------------------------------------------


def test_each_reporter_gets_the_progress_over_smtp_with_their_own_links_and_no_other_name(app, staff, mail_to,
                                                                                         merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])
    send_due()

    a_feedback = path(latest_mail("afgesloten", a["reference"]).data["feedback_yes_url"])
    by_recipient: dict[str, list] = {}
    for received in mail_to.messages:
        by_recipient.setdefault(received.rcpt_tos[0], []).append(received)
    for_els, for_jan = by_recipient[ELS["email"]], by_recipient[JAN["email"]]
    subjects = [m.message["Subject"] for m in for_jan]
    assert any("in behandeling" in s for s in subjects) and any("afgehandeld" in s for s in subjects)
    for received in for_jan:
        body = received.part("text/plain") + received.part("text/html")
        assert b["reference"] in received.message["Subject"]
        assert b["tracking_url"] in body and a["tracking_url"] not in body
        assert a_feedback not in body
        for private in ("Els", "Melder", ELS["email"], "0470"):
            assert private not in body, f"{private!r} in Jan's mail {received.message['Subject']!r}"
    [jan_closed] = [m for m in for_jan if "afgehandeld" in m.message["Subject"]]
    text = jan_closed.part("text/plain")
    assert "de lamp aan paal 12 werd vervangen" in text and "[verborgen]" in text
    jan_feedback = re.search(r"https://meldpunt\.stad\.example(/feedback/[^?\s]+)\?tevreden=ja", text).group(1)
    assert jan_feedback != a_feedback
    for received in for_els:
        body = received.part("text/plain") + received.part("text/html")
        assert b["tracking_url"] not in body and "Jan" not in body and JAN["email"] not in body
    [els_closed] = [m for m in for_els if "afgehandeld" in m.message["Subject"]]
    assert a_feedback in els_closed.part("text/plain") and CLOSING in els_closed.part("text/plain")


def test_a_question_goes_only_to_the_reporter_it_is_addressed_to(app, staff, merged, client):
    a, b = merged
    handle(staff, a["reference"])
    staff.ood.complete(a["reference"], "handle", {"action": "request_info", "question": "Welk paalnummer, Els?"})
    questions = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "informatie_gevraagd")).all()
    assert [m.recipient for m in questions] == [ELS["email"]]
    html = client.get(path(b["tracking_url"])).get_data(as_text=True)
    assert "Wacht op uw reactie" not in html and "Welk paalnummer" not in html


# --- the tracking page ---------------------------------------------------------------------------------------


def test_the_tracking_page_of_the_duplicate_shows_the_original_progress_but_nothing_of_its_reporter(
        app, staff, merged, client):
    a, b = merged
    original = stored(a["reference"])
    photo = store_file(original, JPEG, "lamp.jpg", source="melder", uploaded_by="melder", public=True)
    db.session.commit()
    handle(staff, a["reference"])
    close(staff, a["reference"])

    page = client.get(path(b["tracking_url"]))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert b["reference"] in html and "Samengevoegd met een andere melding" in html
    assert "Opvolging van de eerdere melding" in html
    assert "Doorgestuurd naar Onderhoud openbaar domein" in html and "Afgesloten" in html
    assert "de lamp aan paal 12 werd vervangen" in html and "Beste [verborgen]" in html
    a_token = path(a["tracking_url"]).rsplit("/", 1)[1]
    for private in ("Els", ELS["email"], a_token, "/foto/", "lamp.jpg"):
        assert private not in html
    assert client.get(f"{path(b['tracking_url'])}/foto/{photo.id}").status_code == 404
    # The original's own page is unchanged for its reporter: her name in the text written to her stays.
    assert CLOSING in client.get(path(a["tracking_url"])).get_data(as_text=True)


# --- feedback ------------------------------------------------------------------------------------------------


def test_the_duplicate_feedback_link_answers_on_its_own_case_and_cannot_act_on_the_original(app, staff, merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])

    thanks = give_feedback(app, b["reference"], True, recipient=JAN["email"], comment="Snel, merci")
    assert thanks.status_code == 200 and "Bedankt voor uw mening" in thanks.get_data(as_text=True)
    assert [e.note for e in events(b["reference"], "feedback")] == ["Snel, merci"]
    assert events(a["reference"], "feedback") == []
    original = stored(a["reference"])
    assert original.status == "afgesloten" and not original.completed  # still waiting for Els
    again = give_feedback(app, b["reference"], False, recipient=JAN["email"])
    assert again.status_code == 409 and "U hebt al geantwoord" in again.get_data(as_text=True)
    assert stored(a["reference"]).status == "afgesloten"

    assert give_feedback(app, a["reference"], True, recipient=ELS["email"]).status_code == 200
    assert stored(a["reference"]).completed
    assert [e.data["satisfied"] for e in events(a["reference"], "feedback")] == [True]


def test_a_no_from_the_duplicate_reopens_the_original_without_naming_who(app, staff, merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])

    page = give_feedback(app, b["reference"], False, answer="niet_opgelost",
                         comment="Jan Peeters hier: de lamp is nog altijd stuk", recipient=JAN["email"])
    assert page.status_code == 200 and "bekijkt ze opnieuw" in page.get_data(as_text=True)
    view = staff.ood.case(a["reference"])
    assert view["status"] == "heropenverzoek" and [w["task"] for w in view["work_items"]] == ["review_reopen"]
    timeline = str(view["timeline"])
    assert "Een melder van een dubbele melding is niet tevreden" in timeline
    for private in ("Jan", JAN["email"], "nog altijd stuk"):
        assert private not in timeline
    assert "Probleem is niet opgelost" in timeline
    assert [e.note for e in events(b["reference"], "feedback")] == ["Jan Peeters hier: de lamp is nog altijd stuk"]
    # Els can still give her own opinion while the request is reviewed; it is recorded beside it.
    els = give_feedback(app, a["reference"], True, recipient=ELS["email"])
    assert els.status_code == 200 and [e.data["satisfied"] for e in events(a["reference"], "feedback")] == [True]
    assert stored(a["reference"]).status == "heropenverzoek"

    staff.ood.complete(a["reference"], "review_reopen", {"reopen": True})
    to_jan = latest_mail("heropend", b["reference"], JAN["email"])
    to_els = latest_mail("heropend", a["reference"], ELS["email"])
    assert to_jan.data["thanks"] is True and to_els.data["thanks"] is False
    assert to_jan.data["tracking_url"] == b["tracking_url"] and to_els.data["tracking_url"] == a["tracking_url"]


def test_keeping_the_original_closed_answers_only_the_reporter_who_was_not_satisfied(app, staff, merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])
    give_feedback(app, b["reference"], False, recipient=JAN["email"])
    staff.ood.complete(a["reference"], "review_reopen", {"reopen": False, "reason": "Volgens onze controle brandt de "
                                                                                       "lamp weer."})
    kept = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "gesloten_gehouden")).all()
    assert [(m.recipient, m.data["reference"]) for m in kept] == [(JAN["email"], b["reference"])]


def test_a_no_after_the_original_stopped_waiting_is_noted_and_the_group_is_told(app, staff, merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])
    give_feedback(app, a["reference"], True, recipient=ELS["email"])  # Els is satisfied: A's process ends
    assert stored(a["reference"]).completed

    page = give_feedback(app, b["reference"], False, answer="niet_opgelost", recipient=JAN["email"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="passed-on"' in html and "bekijkt ze opnieuw" not in html
    [note] = events(a["reference"], "duplicate_feedback")
    assert "niet tevreden" in note.note and "Jan" not in note.note
    told = latest_mail("melder_niet_tevreden", a["reference"])
    assert told.recipient == "ood@stad.example" and told.data["duplicate"] == b["reference"]


def test_a_new_closing_of_the_original_gives_the_duplicate_a_new_link(app, staff, merged):
    a, b = merged
    handle(staff, a["reference"])
    close(staff, a["reference"])
    first = latest_mail("afgesloten", b["reference"], JAN["email"]).data["feedback_no_url"]
    give_feedback(app, b["reference"], False, recipient=JAN["email"])
    staff.ood.complete(a["reference"], "review_reopen", {"reopen": True})
    close(staff, a["reference"], "De lamp werd nu echt vervangen.")

    old = app.test_client().get(f"{path(first)}?tevreden=nee")
    assert old.status_code == 410 and "niet meer geldig" in old.get_data(as_text=True)
    assert give_feedback(app, b["reference"], True, recipient=JAN["email"]).status_code == 200
    assert [e.data["satisfied"] for e in events(b["reference"], "feedback")] == [False, True]


def test_the_feedback_period_of_the_duplicate_link_ends_with_the_original(app, staff, merged):
    a, b = merged
    with freeze_time(utcnow(), tick=True) as clock:
        handle(staff, a["reference"])
        close(staff, a["reference"])
        clock.tick(timedelta(days=14, minutes=1))
        timers.tick()
        url = latest_mail("afgesloten", b["reference"], JAN["email"]).data["feedback_no_url"]
        page = app.test_client().get(f"{path(url)}?tevreden=nee")
    assert page.status_code == 410 and stored(a["reference"]).completed


# --- refusals at triage ----------------------------------------------------------------------------------------


def assert_refused(staff, reference: str, form: dict, field: str, message: str) -> None:
    body = staff.meldkamer.complete(reference, "triage", form, expect=422)
    assert message in " ".join(body["fields"][field]), body
    view = staff.meldkamer.case(reference)
    assert view["status"] == "ontvangen" and [w["task"] for w in view["work_items"]] == ["triage"]
    assert "error" not in timeline_kinds(view) and stored(reference).error is None


def test_a_melding_cannot_be_its_own_duplicate(staff):
    ref = file(staff, ELS)["reference"]
    assert_refused(staff, ref, {"decision": "duplicate", "duplicate_of": ref.lower()}, "duplicate_of",
                   "een melding kan geen dubbel van zichzelf zijn")


def test_only_a_melding_can_be_the_original(staff):
    from .test_infomail_process import receive_mail
    from .test_post_support import register

    ref = file(staff, ELS)["reference"]
    infomail = receive_mail()
    letter = register().reference
    assert_refused(staff, ref, {"decision": "duplicate", "duplicate_of": infomail}, "duplicate_of",
                   f"{infomail} is een e-mail aan het infoadres, geen melding")
    assert_refused(staff, ref, {"decision": "duplicate", "duplicate_of": letter}, "duplicate_of",
                   f"{letter} is een brief, geen melding")


def test_a_duplicate_cannot_be_the_original_and_its_own_original_is_offered(staff, merged):
    a, b = merged
    c = file(staff, {"name": "Mia Claes", "email": "mia@voorbeeld.example"})["reference"]
    assert_refused(staff, c, {"decision": "duplicate", "duplicate_of": b["reference"]}, "duplicate_of",
                   f"{b['reference']} is zelf een dubbel van {a['reference']}; kies dat dossier")
    # ... and an original cannot be merged back into one of its own duplicates.
    assert_refused(staff, a["reference"], {"decision": "duplicate", "duplicate_of": b["reference"]}, "duplicate_of",
                   "werd zelf al als dubbel van dit dossier gekoppeld")


def test_unknown_reference_and_no_group_to_dispatch_to_are_refused_in_dutch(staff):
    from handlers.groups import forget_group_ids, group_by_key

    ref = file(staff, ELS)["reference"]
    assert_refused(staff, ref, {"decision": "duplicate", "duplicate_of": "M1999-000001"}, "duplicate_of",
                   "Er is geen dossier met referentie M1999-000001")
    assert_refused(staff, ref, {"decision": "duplicate"}, "duplicate_of", "Geef de referentie")
    assert_refused(staff, ref, {"decision": "dispatch", "group": "bestaat-niet"}, "group",
                   "'bestaat-niet' is geen actieve behandelaarsgroep")
    group_by_key("onderhoud-openbaar-domein").active = False  # the suggested group was switched off
    db.session.commit()
    forget_group_ids()
    assert_refused(staff, ref, {"decision": "dispatch"}, "group", "Kies een behandelaarsgroep")


def test_ordering_from_an_unknown_contractor_is_refused_before_the_process_runs(staff):
    ref = file(staff, ELS)["reference"]
    handle(staff, ref)
    body = staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "bestaat-niet"}, expect=422)
    assert body["fields"]["contractor"] == ["Kies een actieve aannemer."]
    view = staff.ood.case(ref)
    assert view["status"] == "in_behandeling" and "error" not in timeline_kinds(view)


def test_the_triage_page_shows_the_dutch_refusal_with_what_was_typed(app, staff, merged):
    a, b = merged
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    c = file(staff, {"name": "Mia Claes", "email": "mia@voorbeeld.example"})["reference"]
    html = desk.get(f"/werk/dossier/{c}").get_data(as_text=True)
    item = re.search(rf'/werk/dossier/{c}/taak/(\d+)"[^>]*data-task="triage"', html).group(1)
    for typed, message in ((c.lower(), "een melding kan geen dubbel van zichzelf zijn"),
                           (b["reference"], f"is zelf een dubbel van {a['reference']}; kies dat dossier")):
        response = desk.post(f"/werk/dossier/{c}/taak/{item}", {"decision": "duplicate", "duplicate_of": typed,
                                                                "note": "zelfde lamp"}, page=f"/werk/dossier/{c}")
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page
        assert f'value="{typed}"' in page and "zelfde lamp" in page
    assert "Procesfout" not in desk.get(f"/werk/dossier/{c}").get_data(as_text=True)
    assert stored(c).status == "ontvangen"


# --- chains ----------------------------------------------------------------------------------------------------


def test_a_melding_merged_into_one_that_becomes_a_duplicate_follows_the_new_original(app, staff):
    a, b = file(staff, ELS), file(staff, JAN)
    d = file(staff, {"name": "Mia Claes", "email": "mia@voorbeeld.example"})
    merge(staff, d["reference"], b["reference"])  # B is still in triage
    merge(staff, b["reference"], a["reference"])
    assert stored(d["reference"]).duplicate_of_id == stored(a["reference"]).id
    handle(staff, a["reference"])
    to_mia = latest_mail("in_behandeling", d["reference"], "mia@voorbeeld.example")
    assert to_mia.data["tracking_url"] == d["tracking_url"] and to_mia.data["merged"] is True


def test_an_original_that_became_a_duplicate_after_the_form_was_checked_is_still_refused_cleanly(staff, monkeypatch):
    """The form's check and the process run are two moments: what changed in between is refused by the
    service task as a form error, rolled back, with no process error on the case."""
    import handlers.forms

    a, b = file(staff, ELS), file(staff, JAN)
    c = file(staff, {"name": "Mia Claes", "email": "mia@voorbeeld.example"})["reference"]
    merge(staff, b["reference"], a["reference"])
    monkeypatch.setattr(handlers.forms, "original_for", lambda case, ref: None)  # as if checked before B merged
    assert_refused(staff, c, {"decision": "duplicate", "duplicate_of": b["reference"]}, "duplicate_of",
                   "kies dat dossier")
