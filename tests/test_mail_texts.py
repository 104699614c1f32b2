"""Mail texts a city edits itself (/werk/beheer/mailteksten): saved as versions, checked in a sandbox, really sent.

The admin rewrites the Dutch "in behandeling" mail; a case reaching "in behandeling" sends it over SMTP with
the placeholders filled, the English mail stays the shipped one; "terug naar standaard" brings the shipped
text back. Texts that could read internals, loop or do not parse are refused with their line and a Dutch
reason, and what was typed stays in the form.
"""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from engine.db import db
from handlers.admin_changes import AdminChange
from notifications.mail_texts import MAIL_TEXTS, MailTextVersion
from notifications.render import TEMPLATES, render_mail, shipped_texts
from notifications.sender import send_due

from .helpers import Browser, with_password

PAGE = "/werk/beheer/mailteksten/in_behandeling"
SUBJECT = "Stad Mechelen pakt melding {{ reference }} aan"
TEXT = ("Dag {% if name %}{{ name }}{% else %}melder{% endif %},\n\n"
        "Onze ploeg is gestart met melding {{ reference }}.\n"
        "Meer weten? {{ tracking_url }}")
HTML = "<p>Onze ploeg is gestart met melding <strong>{{ reference }}</strong>.</p><p>{{ name }}</p>"


@pytest.fixture
def mail_to(app, smtp_server):
    app.config.update(smtp_server.config())
    return smtp_server


@pytest.fixture
def admin(app, staff) -> Browser:
    return Browser(app, "root", with_password(staff.admin.user))


def save(browser: Browser, language: str = "nl", subject: str = SUBJECT, text: str = TEXT, html: str = HTML,
         action: str = "save"):
    return browser.post(PAGE, {"language": language, "subject": subject, "text": text, "html": html,
                               "action": action})


def body(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def handle(staff, reference: str) -> None:
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    staff.ood.complete(reference, "take_in_handling")


def received(smtp, address: str, subject_part: str):
    found = [m for m in smtp.messages if m.rcpt_tos == [address] and subject_part in m.message["Subject"]]
    assert found, [(m.rcpt_tos, m.message["Subject"]) for m in smtp.messages]
    return found[-1]


def test_the_page_lists_every_mail_with_its_purpose_and_placeholders(admin):
    page = admin.get("/werk/beheer/mailteksten")
    assert page.status_code == 200
    text = body(page)
    assert set(MAIL_TEXTS) == set(TEMPLATES)
    for key in MAIL_TEXTS:
        assert f'data-mail="{key}"' in text
    assert "Aan de melder: de melding is in behandeling genomen" in text
    one = body(admin.get(PAGE))
    assert "{{ tracking_url }}" in one and "de link naar de volgpagina van de melding" in one
    assert "{{ case_url }}" not in one  # a reporter's mail has no staff link
    # the form starts from the shipped text of each language, placeholders written out
    assert "Uw melding {{ reference }} is in behandeling" in one
    assert "Your report {{ reference }} is being handled" in one


def test_every_shipped_placeholder_is_declared_and_every_shipped_text_passes_the_checks(app):
    from jinja2 import meta

    from notifications.mail_texts import check_text
    from notifications.render import _env
    for template, info in MAIL_TEXTS.items():
        for ext in ("txt", "html"):
            source = _env.loader.get_source(_env, f"{template}.{ext}")[0]
            used = meta.find_undeclared_variables(_env.parse(source)) - {"_", "ngettext", "pgettext", "m"}
            assert used <= set(info.placeholders), (template, used - set(info.placeholders))
        for language in ("nl", "en"):
            for part, source in shipped_texts(template, language).items():
                assert check_text(template, part, source) == [], (template, language, part)


def test_an_edited_dutch_text_is_sent_over_smtp_with_its_placeholders_filled_and_english_stays(
        app, staff, admin, mail_to):
    response = save(admin)
    assert response.status_code == 302
    assert "deze tekst wordt vanaf nu gebruikt" in body(admin.get(PAGE))

    nl = staff.meldkamer.file_melding("Straatlamp brandt niet aan paal 12")
    en = staff.meldkamer.file_melding("Street light out at pole 14",
                                      reporter={"name": "Ann Smith", "email": "ann@voorbeeld.example",
                                                "language": "en"})
    handle(staff, nl["reference"])
    handle(staff, en["reference"])
    send_due()

    dutch = received(mail_to, "melder@voorbeeld.example", "pakt melding")
    assert dutch.message["Subject"] == f"Stad Mechelen pakt melding {nl['reference']} aan"
    text = dutch.part("text/plain")
    assert "Dag Els Melder," in text
    assert f"Onze ploeg is gestart met melding {nl['reference']}." in text
    assert f"Meer weten? {nl['tracking_url']}" in text
    assert "Goed nieuws" not in text  # the shipped body is replaced
    assert "Met vriendelijke groeten" in text  # the layout (signature) stays
    assert f"<strong>{nl['reference']}</strong>" in dutch.part("text/html")

    english = received(mail_to, "ann@voorbeeld.example", "being handled")
    assert english.message["Subject"] == f"Your report {en['reference']} is being handled"
    assert "Good news" in english.part("text/plain")


def test_placeholder_values_are_escaped_in_html_and_not_in_text(app):
    with app.test_request_context():
        version = MailTextVersion(template="in_behandeling", language="nl", subject=SUBJECT, text=TEXT, html=HTML,
                                  actor="root")
        db.session.add(version)
        db.session.commit()
        mail = render_mail("in_behandeling", {"reference": "M1", "name": "<b>Els</b> & co",
                                              "tracking_url": "https://x/volg/t"}, "nl")
    assert "<p>&lt;b&gt;Els&lt;/b&gt; &amp; co</p>" in mail.html
    assert "Beste &lt;b&gt;Els&lt;/b&gt; &amp; co," in mail.html  # the shipped greeting around it too
    assert "<b>" not in mail.html
    assert '<h2 style="margin:24px 0 8px' in mail.html  # the layout's own markup stays markup
    assert "Dag <b>Els</b> & co," in mail.text


def test_terug_naar_standaard_gives_the_shipped_text_again_and_versions_and_audit_rows_are_kept(
        app, staff, admin, mail_to):
    assert save(admin).status_code == 302
    assert save(admin, subject="Tweede versie voor {{ reference }}").status_code == 302
    page = body(admin.get(PAGE))
    assert "Tweede versie voor {{ reference }}" in page and SUBJECT in page  # both versions listed
    assert admin.post(PAGE, {"language": "nl", "action": "revert"}).status_code == 302
    page = body(admin.get(PAGE))
    assert "terug naar standaard" in page and "De standaardtekst van Meldpunt is in gebruik" in page

    case = staff.meldkamer.file_melding()
    handle(staff, case["reference"])
    send_due()
    mail = received(mail_to, "melder@voorbeeld.example", "in behandeling")
    assert mail.message["Subject"] == f"Uw melding {case['reference']} is in behandeling"
    assert "Goed nieuws" in mail.part("text/plain")

    with app.app_context():
        rows = db.session.scalars(select(MailTextVersion).order_by(MailTextVersion.id)).all()
        assert [(r.language, r.shipped, r.actor) for r in rows] == [("nl", False, "root")] * 2 + [("nl", True, "root")]
        changes = db.session.scalars(select(AdminChange).where(AdminChange.area == "mail_text")
                                     .order_by(AdminChange.id)).all()
        assert [(c.action, c.subject, c.actor) for c in changes] == [
            ("update", "in_behandeling (nl)", "root"), ("update", "in_behandeling (nl)", "root"),
            ("revert", "in_behandeling (nl)", "root")]
        assert changes[1].data["old"]["subject"] == SUBJECT
        assert changes[1].data["new"]["subject"] == "Tweede versie voor {{ reference }}"
        assert changes[2].data["new"] is None
    assert "in_behandeling (nl)" in body(admin.get("/werk/beheer/wijzigingen?onderdeel=mail_text"))


@pytest.mark.parametrize("part, source, line, reason", [
    ("text", "Beste,\n\n{{ ''.__class__ }}", 3, "toegang tot attributen of onderdelen van een waarde"),
    ("text", "Beste,\n{{ config }}", 2, "onbekende plaatshouder 'config'"),
    ("html", "<p>a</p>\n<p>b</p>\n{% if reference %}<p>c</p>", 3, "syntaxfout"),
    ("text", "{% for i in range(10**9) %}x{% endfor %}", 1, "herhalingen ({% for %}) zijn niet toegestaan"),
    ("subject", "{{ reference|attr('__class__') }}", 1, "de filter 'attr' is niet toegestaan"),
    ("html", "{{ 'x' * 1000000000 }}", 1, "rekenen met *, **, / of % is niet toegestaan"),
    ("text", "{{ lipsum() }}", 1, "functies aanroepen is niet toegestaan"),
    ("text", "{{ " + "(" * 3000 + "reference" + ")" * 3000 + " }}", 1, "te diep genest"),
    ("html", "{% if reference %}" * 800 + "x" + "{% endif %}" * 800, 1, "te diep genest"),
])
def test_texts_that_break_the_sandbox_or_do_not_render_are_refused_with_line_and_reason(app, admin, part, source,
                                                                                         line, reason):
    texts = {"subject": SUBJECT, "text": TEXT, "html": HTML, part: source}
    response = save(admin, **texts)
    assert response.status_code == 422
    page = body(response)
    errors = re.findall(r'<p class="errors" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    assert any(f"regel {line}: " in html_lib.unescape(e) and reason in html_lib.unescape(e) for e in errors), errors
    assert source in page  # what was typed stays in the form
    with app.app_context():
        assert db.session.scalars(select(MailTextVersion)).all() == []
        assert db.session.scalars(select(AdminChange).where(AdminChange.area == "mail_text")).all() == []


def test_preview_on_a_real_case_shows_the_mail_as_it_would_be_sent(app, staff, admin):
    case = staff.meldkamer.file_melding()
    response = admin.post(PAGE, {"language": "nl", "subject": SUBJECT, "text": TEXT, "html": HTML,
                                 "action": "preview", "referentie": case["reference"].lower()})
    assert response.status_code == 200
    page = body(response)
    assert f'<span id="preview-subject">Stad Mechelen pakt melding {case["reference"]} aan</span>' in page
    assert "Dag Els Melder," in page and f"Meer weten? {case['tracking_url']}" in page
    assert f"<strong>{case['reference']}</strong>" in page  # the HTML part, in the sandboxed frame
    with app.app_context():  # a preview stores nothing
        assert db.session.scalars(select(MailTextVersion)).all() == []
    unknown = admin.post(PAGE, {"language": "en", "subject": "S {{ reference }}", "text": "T", "html": "H",
                                "action": "preview", "referentie": "M2026-999999"})
    assert unknown.status_code == 422
    assert "Er is geen melding met referentie M2026-999999." in body(unknown)
    assert "S {{ reference }}" in body(unknown)


@pytest.mark.parametrize("who", ["meldkamer", "ood", "ood_lead"])
def test_only_admins_reach_the_mail_texts(app, staff, who):
    actor = getattr(staff, who)
    browser = Browser(app, actor.user.username, with_password(actor.user))
    assert browser.get("/werk/beheer/mailteksten").status_code == 403
    assert browser.get(PAGE).status_code == 403
    response = browser.post(PAGE, {"language": "nl", "subject": SUBJECT, "text": TEXT, "html": HTML,
                                   "action": "save"}, page=browser.get("/werk/").headers["Location"])
    # (a valid form token, from their own start page: the refusal is the role's, not the token's)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(MailTextVersion)).all() == []


def test_unknown_mail_is_404(admin):
    assert admin.get("/werk/beheer/mailteksten/bestaat_niet").status_code == 404


def test_a_stored_text_that_breaks_the_sandbox_fails_its_row_and_sends_nothing(app, staff, mail_to):
    """A text that bypassed the page (written into the database by hand) still runs in the sandbox: the mail
    is marked failed with the template named, never sent with internals in it."""
    with app.app_context():
        db.session.add(MailTextVersion(template="in_behandeling", language="nl", subject=SUBJECT,
                                       text="{{ ''.__class__.__mro__ }}", html=HTML, actor="psql"))
        db.session.commit()
    case = staff.meldkamer.file_melding()
    handle(staff, case["reference"])
    send_due()
    assert not [m for m in mail_to.messages if "pakt melding" in m.message["Subject"]]
    with app.app_context():
        from notifications.models import OutboxMessage
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "in_behandeling")).one()
        assert row.status == "failed" and "edited mail text 'in_behandeling'" in row.last_error, row.last_error
        assert "unsafe" in row.last_error or "__class__" in row.last_error, row.last_error
