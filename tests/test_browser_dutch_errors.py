"""In real Chromium, in Dutch: every public and staff form is sent empty or wrong, and what comes back (field
errors, flash messages, error pages) is Dutch, with no English sentence from a library, the engine or the
English catalogue. Each step must show an error, so a form that stops complaining fails the walk too."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from babel.messages.pofile import read_po
from sqlalchemy import select

from engine.db import db
from engine.models import Case, WorkItem
from engine.task_completion import complete_work_item
from handlers.models import User
from intake.meldingen import register_melding
from notifications.models import OutboxMessage

from .live_server import chromium, live_app, login

# Words of an English error message that no Dutch page text uses.
ENGLISH_WORDS = re.compile(r"\b(the|this|field|required|missing|invalid|valid|must|please|permission|should|"
                           r"not allowed|no longer|already|error|length|characters|expected|unknown)\b", re.I)
EN_PO = Path(__file__).resolve().parent.parent / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def english_sentences() -> list[str]:
    """The English catalogue's sentences that differ from their Dutch (four words or more)."""
    with open(EN_PO, "rb") as po:
        catalogue = read_po(po)
    out = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        for string in strings:
            plain = re.split(r"\{\w+\}", string or "")
            out += [part.strip() for part in plain if len(part.split()) >= 4 and part.strip() not in ids]
    return out


def send(page, form: str, fill: dict[str, str] | None = None, choose: str | None = None) -> None:
    """Send a form as a person who leaves it empty (or types `fill`): the browser's own checks are off."""
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    target = page.locator(form).first
    for field in target.locator("input[type=text], input[type=email], input[type=tel], input:not([type]), "
                                "textarea").all():
        if field.is_visible():
            field.fill("")
    target.locator("input[type=radio]").evaluate_all("radios => radios.forEach(r => r.checked = false)")
    if choose:
        target.locator(choose).check()
    for name, value in (fill or {}).items():  # also fields folded away (the coordinates)
        target.locator(f"[name={name}]").evaluate("(field, value) => field.value = value", value)
    with page.expect_navigation():  # also a form folded away (the portal's refusal)
        target.evaluate("form => form.requestSubmit()")


def check(page, where: str, sentences: list[str], expect_error: bool = True) -> list[str]:
    errors = [t.strip() for t in page.locator(".errors, [role=alert], .flash, .card p").all_inner_texts()
              if t.strip()]
    messages = [t.strip() for t in page.locator(".errors, [role=alert], .flash").all_inner_texts() if t.strip()]
    if expect_error:
        assert messages, f"{where}: no error shown"
    english = [m for m in messages if ENGLISH_WORDS.search(m)]
    assert not english, f"{where}: English in the error texts: {english}"
    body = page.locator("body").inner_text()
    leaked = [s for s in sentences if s in body]
    assert not leaked, f"{where}: English catalogue text on a Dutch page: {leaked}"
    return errors


def new_case(description: str) -> str:
    return register_melding(description=description, channel="telefoon", category="straatlamp-defect",
                            location={"address": "Bruul 12, 2800 Mechelen"},
                            reporter={"name": "Els", "email": "els@voorbeeld.example"}).reference


def work(reference: str, task: str, username: str, data: dict | None = None) -> None:
    item = db.session.scalar(select(WorkItem).join(Case, WorkItem.case_id == Case.id).where(
        Case.reference == reference, WorkItem.task_name == task, WorkItem.status == "open"))
    complete_work_item(item.id, db.session.scalar(select(User).where(User.username == username)), data or {})


def mail_link(template: str, reference: str, key: str) -> str:
    mails = [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
             if m.data.get("reference") == reference]
    return urlsplit(mails[-1].data[key]).path


def closed_and_ordered() -> tuple[str, str]:
    """A closed case's 'not satisfied' feedback link and a contractor's portal link."""
    links = []
    for reference, last in ((new_case("Lamp knippert"), {"action": "close", "public_text": "Lamp vervangen."}),
                            (new_case("Paal scheef"), {"action": "order_contractor", "instructions": "Rechtzetten",
                                                       "contractor": "aannemer-verlichting"})):
        work(reference, "triage", "an.meldkamer", {"decision": "dispatch"})
        work(reference, "take_in_handling", "bart.ood")
        work(reference, "handle", "bart.ood", last)
        links.append(reference)
    return (mail_link("afgesloten", links[0], "feedback_no_url"),
            mail_link("aannemer_opdracht", links[1], "portal_url"))


def test_every_form_error_is_dutch(tmp_path):
    sentences = english_sentences()
    assert len(sentences) > 100
    with live_app(tmp_path) as (app, base), chromium() as browser:
        with app.app_context():
            reference = new_case("Straatlamp aan paal 12 brandt niet")
            feedback, portal = closed_and_ordered()
            db.session.remove()

        # the public report form: empty, then wrong in every field
        citizen = browser.new_context().new_page()
        citizen.goto(f"{base}/melden?categorie=straatlamp-defect")
        send(citizen, "form:has(#description)")
        check(citizen, "report form, empty", sentences)
        send(citizen, "form:has(#description)", {"address": "x" * 600, "description": "kort",
                                                   "email": "niet-een-adres", "phone": "abc", "lat": "999",
                                                   "lon": "4.4"})
        check(citizen, "report form, wrong values", sentences)
        citizen.goto(f"{base}/bestaat-niet")
        assert "Deze pagina bestaat niet." in check(citizen, "404 page", sentences, expect_error=False)

        # the reporter's feedback form, the contractor's portal forms
        citizen.goto(f"{base}{feedback}")
        send(citizen, "form:has([name=opmerking])")
        check(citizen, "feedback form, empty", sentences)
        contractor = browser.new_context().new_page()
        for result in ("planned", "refused"):
            contractor.goto(f"{base}{portal}")
            send(contractor, f"form:has(input[name=result][value={result}])")
            check(contractor, f"portal, {result} without the details", sentences)

        # the login form
        staff = browser.new_context().new_page()
        staff.goto(f"{base}/werk/aanmelden")
        send(staff, "form:has([name=password])", {"username": "an.meldkamer", "password": "fout-wachtwoord"})
        check(staff, "login, wrong password", sentences)

        # the meldkamer: a task form sent empty and without its explanation, the handover without a note
        desk = browser.new_context().new_page()
        login(desk, base, "an.meldkamer")
        desk.goto(f"{base}/werk/dossier/{reference}")
        send(desk, "form[data-task='triage']")
        assert "Vul dit veld in." in check(desk, "triage form, empty", sentences)
        send(desk, "form[data-task='triage']", choose="input[name=decision][value=refer]")
        check(desk, "triage form, refer without explanation", sentences)

        # a handler: the admin pages are not theirs (403), the handover needs a note
        bart = browser.new_context().new_page()
        login(bart, base, "bart.ood")
        response = bart.goto(f"{base}/werk/beheer/gebruikers")
        assert response.status == 403
        assert "U hebt geen toegang tot deze pagina." in check(bart, "403 page", sentences, expect_error=False)

        # the administrator's forms
        admin = browser.new_context().new_page()
        login(admin, base, "admin")
        for path, form in (("/werk/beheer/gebruikers", "form.card"), ("/werk/beheer/groepen", "form.card"),
                           ("/werk/beheer/routering", "form.card"), ("/werk/beheer/open311", "form.card")):
            admin.goto(f"{base}{path}")
            send(admin, form)
            check(admin, f"{path}, empty", sentences)
        admin.goto(f"{base}/werk/beheer/routering/test")
        send(admin, "form.card", {"sample_lat": "999", "sample_lon": "abc"})
        check(admin, "routing test, wrong coordinates", sentences)
        admin.goto(f"{base}/werk/beheer/privacy")
        send(admin, "form[method=get]")
        check(admin, "privacy export, no address", sentences)
        admin.goto(f"{base}/werk/rapporten?van=gisteren")
        check(admin, "report dashboard, a wrong date", sentences)

        # the post room: a letter registered without anything
        eva = browser.new_context().new_page()
        login(eva, base, "eva.onthaal")
        eva.goto(f"{base}/werk/post/nieuw")
        send(eva, "#post-form")
        check(eva, "post registration, empty", sentences)
