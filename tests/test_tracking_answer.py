"""The citizen answers the city's question on the tracking page: text and up to three photos, delivered as the
same `reporter_reaction` message a reply mail delivers, back in the asker's queue; and everything that can go
wrong (bad photos, too long, another case's form, twice, too late, after closing) keeps what was typed."""
from __future__ import annotations

import html as htmllib
import io
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, WorkItem

from .channels import latest_mail, reply_by_mail
from .helpers import Browser, with_password
from .images import huge_png, phone_jpeg, png

QUESTION = "Beste Els Melder, aan welke paal hangt de lamp? Bel gerust 0470 12 34 56."
ANSWER = "Paal 1234, naast de bushalte. De lamp hangt scheef."


def asked(staff, question: str = QUESTION) -> tuple[str, str]:
    """A melding in Bart's handling with a question to the reporter: (reference, tracking path)."""
    created = staff.meldkamer.file_melding(email="els@voorbeeld.example")
    ref = created["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": question})
    assert staff.ood.case(ref)["status"] == "wacht_op_melder"
    return ref, created["tracking_url"].replace("https://meldpunt.stad.example", "")


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def answer(client, path: str, text: str = ANSWER, photos=(), form_from: str | None = None, **extra):
    """Open the tracking page (or `form_from`'s) and send its answer form."""
    page = client.get(form_from or path).get_data(as_text=True)
    body = {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"), "antwoord": text,
            "photos": [(io.BytesIO(content), name) for content, name in photos], **extra}
    return client.post(f"{path}/antwoord", data=body, content_type="multipart/form-data")


def case_of(ref: str) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.reference == ref))


def handling_item(ref: str) -> WorkItem:
    return db.session.scalar(select(WorkItem).where(WorkItem.case_id == case_of(ref).id, WorkItem.status == "open",
                                                    WorkItem.task_name == "handle"))


def test_the_question_is_on_the_tracking_page_without_anyone_s_personal_data(staff, client):
    ref, path = asked(staff)
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert 'id="question"' in text and "De stad heeft een vraag voor u" in text
    assert "aan welke paal hangt de lamp?" in text and 'name="antwoord"' in text and 'name="photos"' in text
    for private in ("Els Melder", "0470 12 34 56", "els@voorbeeld.example", "Straatlamp brandt niet"):
        assert private not in text, private
    assert re.search(r"Antwoord uiterlijk op \d{2}/\d{2}/\d{4}", text)


def test_the_answer_with_a_photo_goes_back_to_the_handler_who_asked_as_a_reply_mail_would(app, staff, client):
    ref, path = asked(staff)
    response = answer(client, path, photos=[(phone_jpeg(), "paal.jpg")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Bedankt voor uw antwoord" in page and ref in page

    case = case_of(ref)
    assert case.status == "in_behandeling"
    item = handling_item(ref)
    assert item.assignee_id == staff.ood.user.id and item.returned_reason == "reactie"
    message = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "message"))
    assert message.data == {"message": "reporter_reaction", "payload": {"text": ANSWER}}  # what a reply mail sends
    [photo] = db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id)).all()
    assert photo.source == "melder" and not photo.public and photo.stripped and photo.filename == "paal.jpg"
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "deadline_moved"))
    # The tracking page no longer asks, and the case page shows Bart the answer.
    assert 'id="question"' not in client.get(path).get_data(as_text=True)
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    staff_page = bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)
    assert ANSWER in htmllib.unescape(staff_page) and "antwoord ontvangen" in staff_page


def test_the_same_form_twice_delivers_one_answer(staff, client):
    ref, path = asked(staff)
    page = client.get(path).get_data(as_text=True)
    body = {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"), "antwoord": ANSWER}
    assert client.post(f"{path}/antwoord", data=body).status_code == 200
    again = client.post(f"{path}/antwoord", data=body)
    assert again.status_code == 200 and "Dit antwoord was al verstuurd" in again.get_data(as_text=True)
    case = case_of(ref)
    assert len(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.kind == "message")).all()) == 1


def test_answering_again_from_another_page_gets_a_clear_page_and_keeps_the_text(staff, client):
    ref, path = asked(staff)
    stale = client.get(path).get_data(as_text=True)  # a second tab, opened before the first answer
    assert answer(client, path).status_code == 200
    body = {"csrf_token": hidden(stale, "csrf_token"), "form_token": hidden(stale, "form_token"),
            "antwoord": "Nog iets: de paal is groen."}
    response = client.post(f"{path}/antwoord", data=body)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "U hebt deze vraag al beantwoord" in page
    assert "Uw antwoord werd niet opgeslagen" in page and "Nog iets: de paal is groen." in page


def test_an_answer_by_mail_first_makes_the_page_say_it_was_answered(staff, client):
    ref, path = asked(staff)
    stale = client.get(path).get_data(as_text=True)
    reply_by_mail(ref, "Paal 1234", sender="els@voorbeeld.example")
    response = client.post(f"{path}/antwoord", data={"csrf_token": hidden(stale, "csrf_token"),
                                                     "form_token": hidden(stale, "form_token"), "antwoord": ANSWER})
    assert response.status_code == 409 and "al beantwoord" in response.get_data(as_text=True)


def test_too_late_gets_a_clear_page_and_keeps_the_text(app, staff, client):
    with freeze_time(utcnow(), tick=True) as clock:
        ref, path = asked(staff)
        stale = client.get(path).get_data(as_text=True)
        clock.tick(timedelta(days=5, minutes=1))
        assert timers.tick() == 1
        response = client.post(f"{path}/antwoord", data={"csrf_token": hidden(stale, "csrf_token"),
                                                         "form_token": hidden(stale, "form_token"),
                                                         "antwoord": ANSWER})
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and "De termijn om te antwoorden is voorbij" in page and ANSWER in page
    assert handling_item(ref).returned_reason == "geen_reactie"


def test_after_closing_gets_a_clear_page_and_keeps_the_text(staff, client):
    ref, path = asked(staff)
    stale = client.get(path).get_data(as_text=True)
    reply_by_mail(ref, "Paal 1234", sender="els@voorbeeld.example")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp brandt weer."})
    response = client.post(f"{path}/antwoord", data={"csrf_token": hidden(stale, "csrf_token"),
                                                     "form_token": hidden(stale, "form_token"), "antwoord": ANSWER})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Uw melding is afgesloten" in page and ANSWER in page


def test_a_6000_character_answer_is_refused_in_dutch_and_kept(staff, client):
    ref, path = asked(staff)
    long = ("lang antwoord " * 429)[:5996] + "eind"
    assert len(long) == 6000
    response = answer(client, path, text=long)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Uw antwoord is te lang: 6000 tekens, maximaal 4000 tekens." in page
    assert long in page and 'aria-describedby="answer-hint error-antwoord"' in page
    assert case_of(ref).status == "wacht_op_melder"


def test_an_empty_answer_is_refused(staff, client):
    ref, path = asked(staff)
    response = answer(client, path, text="   ")
    assert response.status_code == 422 and "Schrijf uw antwoord op de vraag." in response.get_data(as_text=True)
    assert case_of(ref).status == "wacht_op_melder"


@pytest.mark.parametrize("photos, message", [
    ([(b"%PDF-1.4 geen foto", "foto.jpg")], "foto.jpg: dit is geen foto. Alleen JPEG of PNG is toegelaten."),
    ([(png(), f"f{i}.png") for i in range(4)], "U kunt maximaal 3 foto's meesturen."),
    ([(huge_png(), "kaart.png")], "kaart.png: de foto heeft te veel pixels (20000 x 20000)"),
    ([(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "groot.jpg")], "groot.jpg: de foto is te groot (maximaal 10 MB)."),
    ([(b"", "leeg.jpg")], "leeg.jpg: het bestand is leeg."),
])
def test_photos_are_checked_as_on_the_report_form_and_the_text_is_kept(staff, client, photos, message):
    ref, path = asked(staff)
    response = answer(client, path, photos=photos)
    page = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in page, page[:3000]
    assert ANSWER in page and "Uw foto's werden nog niet bewaard: kies ze opnieuw." in page
    case = case_of(ref)
    assert case.status == "wacht_op_melder"
    assert db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id)).all() == []


def test_the_form_of_another_case_is_refused_and_nothing_is_delivered(staff, client):
    ref, path = asked(staff)
    other_ref, other_path = asked(staff, "Welke kleur heeft de paal?")
    response = answer(client, path, form_from=other_path)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Het formulier was verlopen" in page and ANSWER in page
    assert case_of(ref).status == "wacht_op_melder" and case_of(other_ref).status == "wacht_op_melder"


def test_an_unknown_token_is_not_found(client):
    response = client.post("/volg/" + "x" * 32 + "/antwoord", data={"antwoord": ANSWER})
    assert response.status_code in (400, 404)
    assert client.get("/volg/" + "x" * 32).status_code == 404


def test_no_question_no_form(staff, client):
    created = staff.meldkamer.file_melding()
    page = client.get(created["tracking_url"].replace("https://meldpunt.stad.example", "")).get_data(as_text=True)
    assert 'id="question"' not in page and 'name="antwoord"' not in page


def test_the_feedback_question_is_on_the_tracking_page_after_closing(staff, client):
    ref, path = asked(staff)
    reply_by_mail(ref, "Paal 1234", sender="els@voorbeeld.example")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp brandt weer."})
    page = client.get(path).get_data(as_text=True)
    assert 'id="feedback-question"' in page
    link = htmllib.unescape(re.search(r'id="feedback-no" href="([^"]+)"', page).group(1))
    form = client.get(link.replace("https://meldpunt.stad.example", ""))
    assert form.status_code == 200 and "De lamp brandt weer." in form.get_data(as_text=True)


def test_an_english_reader_gets_the_question_mail_the_tracking_page_and_its_messages_in_english(app, staff):
    created = staff.meldkamer.file_melding(email="els@voorbeeld.example")
    ref = created["reference"]
    case = case_of(ref)
    case.reporter.language = "en"
    db.session.commit()
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Aan welke paal hangt de lamp?"})
    mail = latest_mail("informatie_gevraagd", ref, "els@voorbeeld.example")
    assert mail.language == "en" and mail.data["tracking_url"].endswith(f"/volg/{case.tracking_token}?lang=en")

    citizen = app.test_client()  # a phone that never saw Meldpunt: the link alone sets the language
    link = mail.data["tracking_url"].replace("https://meldpunt.stad.example", "")
    opened = citizen.get(link)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/volg/{case.tracking_token}")
    assert "lang=en" in opened.headers["Set-Cookie"] and opened.headers["Referrer-Policy"] == "no-referrer"
    path = f"/volg/{case.tracking_token}"
    page = citizen.get(path).get_data(as_text=True)
    assert '<html lang="en">' in page and "The city has a question for you" in page and "Send answer" in page
    response = answer(citizen, path, text="x" * 4001)
    assert response.status_code == 422
    assert "Your answer is too long: 4001 characters, at most 4000 characters." in response.get_data(as_text=True)
    thanks = answer(citizen, path, text="Pole 1234")
    assert thanks.status_code == 200 and "Thank you for your answer" in thanks.get_data(as_text=True)
    assert case_of(ref).reporter.language == "en"


def test_a_dutch_reader_s_links_carry_no_language(staff):
    created = staff.meldkamer.file_melding(email="els@voorbeeld.example")
    ref = created["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    mail = latest_mail("in_behandeling", ref, "els@voorbeeld.example")
    assert mail.language == "nl" and mail.data["tracking_url"] == created["tracking_url"]


def test_a_follower_s_tracking_page_never_gets_the_reporter_s_question_or_form(staff, client):
    from handlers.case_followers import follow, follower_tracking_url

    ref, path = asked(staff)
    follower, _ = follow(case_of(ref), "Jan Peeters", "jan.peeters@voorbeeld.example", None)
    db.session.commit()
    following = follower_tracking_url(follower).replace("https://meldpunt.stad.example", "")
    page = client.get(following).get_data(as_text=True)
    assert client.get(following).status_code == 200
    assert "aan welke paal" not in page and 'name="antwoord"' not in page and 'id="question"' not in page
    # Nor can the follower's token be used to answer.
    token = following.rsplit("/", 1)[-1]
    response = client.post(f"/volg/{token}/antwoord", data={"antwoord": ANSWER})
    assert response.status_code in (400, 404)
    assert case_of(ref).status == "wacht_op_melder"
