"""Forms that create or complete something are done once: the back button and "send" again, a double click or
a retry after a network error never make a second case, on the public /melden form, the staff task forms and
post registration; two requests with one token at the same moment still make one case."""
from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta
from urllib.parse import unquote

from freezegun import freeze_time
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile, WorkItem
from handlers import idempotency
from handlers.idempotency import IdempotencyKey, forget_expired
from handlers.post_models import PostLetter
from web import form_tokens
from web.scheduler import forget_used_form_tokens, start_background_scheduler

from .helpers import Browser, with_password
from .test_post_support import form as letter_form
from .test_post_support import pdf_bytes, postkamer_user
from .test_public_form import JPEG, VALID

FORM = "/melden?categorie=straatlamp-defect"
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def count(model=Case) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def citizen_form(client) -> dict:
    """The form page as a citizen's browser has it: its CSRF token and its one-time token."""
    return hidden_fields(client.get(FORM, follow_redirects=True).get_data(as_text=True))


def hidden_fields(html: str) -> dict:
    """The CSRF token and the one-time token of the page's form (empty when the form has none)."""
    token = TOKEN.search(html)
    return {"csrf_token": CSRF.search(html).group(1), "form_token": token.group(1) if token else ""}


def send(client, page: dict, data: dict, photos=()):
    body = {**data, **page, "photos": [(io.BytesIO(content), name) for content, name in photos]}
    return client.post(FORM, data=body, content_type="multipart/form-data")


def test_sending_the_public_form_twice_makes_one_melding_and_shows_its_confirmation_again(app, client):
    page = citizen_form(client)
    first = send(client, page, VALID, photos=[(JPEG, "paal12.jpg")])
    assert first.status_code == 303
    again = send(client, page, VALID, photos=[(JPEG, "paal12.jpg")])  # back button, "Melding versturen" again
    assert again.status_code == 303
    assert again.headers["Location"].split("?")[0] == first.headers["Location"]
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    case = db.session.scalar(select(Case))
    assert count() == 1 and case.reference in html
    assert "Deze melding was al verstuurd." in html
    assert "Deze melding was al verstuurd." not in client.get(first.headers["Location"]).get_data(as_text=True)
    # one receipt mail, one photo
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "created")) == 1
    assert count(CaseFile) == 1


def test_the_form_page_keeps_its_token_in_its_url_and_tells_when_it_was_sent_already(app, client):
    """The back button shows the page of the history entry: its URL holds the token, so a browser that fetches
    the page again (as Chromium does) gets the same token back, and a notice that it was sent."""
    opened = client.get(FORM)
    assert opened.status_code == 302 and "formulier=" in opened.headers["Location"]
    url = opened.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    token = TOKEN.search(html).group(1)
    assert token in unquote(url)
    assert "U verstuurde dit formulier al" not in html
    send(client, hidden_fields(html), VALID)
    reference = db.session.scalar(select(Case.reference))
    back = client.get(url).get_data(as_text=True)  # the back button
    assert TOKEN.search(back).group(1) == token
    assert f"U verstuurde dit formulier al: uw melding heeft het referentienummer {reference}." in back
    # another visitor with this URL gets a form of their own, and no word about this melding
    stranger = app.test_client()

    def as_stranger(path: str, **kw):
        with app.app_context():  # a request context of their own (the test's context would share `g`)
            return stranger.get(path, **kw)

    as_stranger(FORM, follow_redirects=True)  # their own session
    theirs = as_stranger(url)
    assert theirs.status_code == 302 and token not in unquote(theirs.headers["Location"])
    html = as_stranger(theirs.headers["Location"]).get_data(as_text=True)
    assert reference not in html and "U verstuurde dit formulier al" not in html
    with app.app_context():
        cookieless = app.test_client(use_cookies=False).get(url).get_data(as_text=True)
    assert TOKEN.search(cookieless).group(1) != token and reference not in cookieless


def test_a_second_form_page_is_a_new_melding(app, client):
    """Reporting a second problem is not a repeat: every form page has its own token."""
    assert send(client, citizen_form(client), VALID).status_code == 303
    assert send(client, citizen_form(client), {**VALID, "address": "Bruul 14"}).status_code == 303
    assert count() == 2


def test_a_form_corrected_after_an_error_goes_out_with_the_same_token_and_makes_one_melding(app, client):
    page = citizen_form(client)
    wrong = send(client, page, {**VALID, "description": "kort"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and count() == 0
    assert TOKEN.search(html).group(1) == page["form_token"]  # the form comes back with the token it was sent with
    assert send(client, page, VALID).status_code == 303
    again = send(client, page, {**VALID, "description": "kort"})  # the old error page sent again
    assert again.status_code == 303 and "opnieuw=1" in again.headers["Location"]
    assert count() == 1


def test_a_token_of_another_visitor_or_tampered_with_creates_nothing_and_keeps_what_was_typed(app, client):
    page = citizen_form(client)
    other = app.test_client()
    with app.app_context():  # a request context of their own (the test's context would share `g`)
        theirs = citizen_form(other)
    response = send(client, {**page, "form_token": theirs["form_token"]}, VALID)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert "Het formulier was verlopen" in html and "Bruul 12, 2800 Mechelen" in html
    fresh = TOKEN.search(html).group(1)
    assert fresh not in (page["form_token"], theirs["form_token"])
    assert send(client, {**page, "form_token": fresh}, VALID).status_code == 303 and count() == 1


def test_an_expired_token_is_refused_with_the_form_kept(app, client, monkeypatch):
    monkeypatch.setattr(form_tokens, "MAX_AGE", timedelta(seconds=1))  # 24 hours in production
    page = citizen_form(client)
    time.sleep(2.1)  # the form page was left open too long
    response = send(client, page, VALID)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert "Het formulier was verlopen" in html and "Bruul 12, 2800 Mechelen" in html
    assert TOKEN.search(html).group(1) != page["form_token"]


def test_two_sends_of_one_form_at_the_same_moment_make_one_melding(app, client, monkeypatch):
    """Both requests look for an earlier use before either has made the case (forced with a barrier): the
    unique constraint on the token, not that look-up, keeps the second from making a case."""
    page = citizen_form(client)
    cookie = client.get_cookie("session")
    barrier = threading.Barrier(2, timeout=20)
    original = form_tokens.FormToken.earlier

    def earlier_then_wait(self):
        found = original(self)
        barrier.wait()
        return found

    monkeypatch.setattr(form_tokens.FormToken, "earlier", earlier_then_wait)
    results: list = []

    def submit():
        browser = app.test_client()
        browser.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
        response = browser.post(FORM, data={**VALID, **page}, content_type="multipart/form-data")
        results.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(code for code, _ in results) == [303, 303], results
    assert count() == 1
    locations = sorted(location for _, location in results)
    assert locations[0].split("?")[0] == locations[1].split("?")[0] and "opnieuw=1" in locations[1]


def test_used_tokens_are_forgotten_after_a_day_by_the_worker(app, client):
    send(client, citizen_form(client), VALID)
    assert count(IdempotencyKey) == 1
    assert forget_expired() == 0
    assert forget_expired(utcnow() + idempotency.TTL - timedelta(minutes=1)) == 0
    scheduler = start_background_scheduler(app)
    try:
        job = scheduler.get_job("forget_used_form_tokens")
        assert job is not None and job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)
    with freeze_time(utcnow() + idempotency.TTL + timedelta(minutes=1)):
        assert forget_used_form_tokens(app) == 1
    assert count(IdempotencyKey) == 0


# --- staff: task forms on the case page --------------------------------------------------------------------

def task_form(browser: Browser, reference: str, task: str) -> tuple[str, dict]:
    """The action and hidden fields of one task's form on the case page."""
    html = browser.get(f"/werk/dossier/{reference}").get_data(as_text=True)
    match = re.search(rf'<form method="post" action="(/werk/dossier/{reference}/taak/\d+)"[^>]*data-task="{task}">'
                      r'(.*?)</form>', html, re.S)
    assert match, f"no form for {task}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2)))
    return match.group(1), fields


def test_a_task_form_sent_twice_is_done_once_and_says_so(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    action, hidden = task_form(desk, ref, "triage")
    data = {**hidden, "decision": "dispatch", "group": "onderhoud-openbaar-domein", "note": "Lamp in de Bruul"}
    first = desk._call(desk.client.post, action, data=data)
    assert first.status_code == 302
    again = desk._call(desk.client.post, action, data=data)  # double click / back button and send again
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/werk/dossier/{ref}")
    page = desk.get(again.headers["Location"]).get_data(as_text=True)
    assert "al verwerkt" in page and "Niet opgeslagen" not in page
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind == "task_completed")).all()
    assert len(events) == 1


def test_a_task_done_by_someone_else_meanwhile_is_explained_in_dutch(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    action, hidden = task_form(desk, ref, "triage")
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})  # a colleague, through the API
    response = desk._call(desk.client.post, action, data={**hidden, "decision": "dispatch"})
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Niet opgeslagen: deze taak werd intussen al afgewerkt." in page
    assert "no longer open" not in page


def test_a_task_form_with_errors_can_be_corrected_with_the_same_token(app, staff):
    ref = staff.meldkamer.file_melding()["reference"]
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    action, hidden = task_form(desk, ref, "triage")
    wrong = desk._call(desk.client.post, action, data={**hidden, "decision": "refer"})  # refer needs a text
    assert wrong.status_code == 422
    assert f'name="form_token" value="{hidden["form_token"]}"' in wrong.get_data(as_text=True)
    right = desk._call(desk.client.post, action, data={**hidden, "decision": "dispatch"})
    assert right.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.status == "completed")) == 1


# --- staff: post registration ------------------------------------------------------------------------------

def test_registering_a_letter_twice_makes_one_post_case_and_lands_on_it(app):
    user, password = postkamer_user()
    eva = Browser(app, user.username, password)
    html = eva.get("/werk/post/nieuw").get_data(as_text=True)
    hidden = hidden_fields(html)

    def register():
        body = {**letter_form(), **hidden, "scan": (io.BytesIO(pdf_bytes(2)), "brief.pdf")}
        return eva._call(eva.client.post, "/werk/post/nieuw", data=body, content_type="multipart/form-data")

    first = register()
    assert first.status_code == 302
    again = register()
    assert count(PostLetter) == 1
    reference = db.session.scalar(select(Case.reference).where(Case.kind == "post"))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/werk/dossier/{reference}")
    page = eva.get(again.headers["Location"]).get_data(as_text=True)
    assert "al verwerkt" in page and reference in page


def test_the_note_is_english_for_an_english_reader(app, client):
    client.set_cookie("lang", "en")
    page = citizen_form(client)
    send(client, page, VALID)
    again = send(client, page, VALID)
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This report had already been sent." in html


def test_a_browser_without_cookies_gets_the_form_without_a_redirect_loop(app):
    bot = app.test_client(use_cookies=False)
    first = bot.get(FORM)
    assert first.status_code == 302
    second = bot.get(first.headers["Location"])
    assert second.status_code == 200 and TOKEN.search(second.get_data(as_text=True))


def test_photos_over_the_limit_give_the_form_back_with_a_token(app, client):
    """The "too large" page cannot read the body; it still shows a working form with a one-time token."""
    page = citizen_form(client)
    big = b"\xff\xd8\xff" + b"\0" * (32 * 1024 * 1024)  # over the three photos of 10 MB the form takes
    response = send(client, page, VALID, photos=[(big, "groot.jpg")])
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "samen te groot" in html
    assert TOKEN.search(html) and count() == 0
