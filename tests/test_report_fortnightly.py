"""The scheduled reports: which report goes out in which week, to whom, once, and what the mails say."""
from __future__ import annotations

import io
import threading
from datetime import date, datetime, time

import pytest
from docx import Document
from flask.cli import ScriptInfo
from freezegun import freeze_time
from sqlalchemy import select

from engine.db import db
from handlers.groups import group_by_key
from handlers.models import User
from notifications.models import OutboxMessage
from notifications.outbox import queue_mail
from notifications.render import render_mail, render_row
from notifications.sender import send_due
from reports.delivery import Delivery, record_and_queue
from reports.fortnightly import figures_for, mail_data, recipients
from reports.models import ReportRun
from reports.periods import CITY_TZ, Quarter, days_period, parse_quarter
from reports.scheduled import (
    fortnightly_due,
    fortnightly_job,
    quarterly_due,
    quarterly_job,
    run_fortnightly,
    send_quarterly,
)
from web.cli import main
from web.scheduler import start_background_scheduler


def local(day: str, hour: int = 8, minute: int = 0) -> datetime:
    """A moment in Mechelen's time."""
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CITY_TZ)


def outbox(template: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    return [m for m in db.session.scalars(query) if template is None or m.template == template]


def add_user(username: str, role: str, group: str | None = None, email: str | None = "", active: bool = True,
             language: str = "nl") -> User:
    user = User(username=username, display_name=username.title(), role=role, active=active, language=language,
                email=f"{username}@stad.example" if email == "" else email)
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.mark.parametrize("moment, audience, first, last", [
    (local("2026-12-21"), "groep", "2026-12-07", "2026-12-20"),        # ISO week 52: even
    (local("2026-12-28"), "meldkamer", "2026-12-14", "2026-12-27"),    # week 53 (2026 has 53 weeks): odd
    (local("2026-12-30", 15), "meldkamer", "2026-12-14", "2026-12-27"),  # later that week: the same report
    (local("2027-01-04"), "meldkamer", "2026-12-21", "2027-01-03"),    # week 1 of 2027: odd again, across the year
    (local("2027-01-11"), "groep", "2026-12-28", "2027-01-10"),        # week 2: even
    (local("2027-01-04", 6, 59), "meldkamer", "2026-12-14", "2026-12-27"),  # before 07:00 Monday: last week's
    (local("2026-12-28", 6, 30), "groep", "2026-12-07", "2026-12-20"),
])
def test_odd_weeks_meldkamer_even_weeks_groups(moment, audience, first, last):
    assert fortnightly_due(moment) == (audience, days_period(date.fromisoformat(first), date.fromisoformat(last)))


@pytest.mark.parametrize("moment, quarter", [
    (local("2026-10-01", 7, 0), Quarter(2026, 3)),   # Thursday 1 October, the first working day
    (local("2026-10-01", 6, 59), None),
    (local("2027-01-01", 12), None),                 # New Year's Day, then a weekend: not yet
    (local("2027-01-04", 7, 30), Quarter(2026, 4)),  # Monday 4 January is the first working day of 2027Q1
    (local("2027-01-17", 23), Quarter(2026, 4)),     # a worker that was down catches up within 14 days
    (local("2027-01-19"), None),
])
def test_quarterly_report_is_due_from_the_first_working_day(moment, quarter):
    assert quarterly_due(moment) == quarter


def test_recipients_of_the_meldkamer_and_of_groups(app):
    add_user("an", "meldkamer")
    add_user("anne", "meldkamer", language="en")
    add_user("oud", "meldkamer", active=False)
    add_user("zonder", "meldkamer", email=None)
    add_user("bart", "behandelaar", "onderhoud-openbaar-domein")
    add_user("chris", "groepsverantwoordelijke", "onderhoud-openbaar-domein")
    add_user("weg", "behandelaar", "fietsteam", active=False)
    assert recipients(group_by_key("meldkamer")) == [("an@stad.example", "nl"), ("anne@stad.example", "en"),
                                                     ("meldkamer@stad.example", "nl")]
    assert recipients(group_by_key("onderhoud-openbaar-domein")) == [("bart@stad.example", "nl"),
                                                                     ("chris@stad.example", "nl")]
    # no active member with an address: the group's own address
    assert recipients(group_by_key("fietsteam")) == [("fietsteam@stad.example", "nl")]


def test_fortnightly_jobs_send_each_report_once(data, app):
    add_user("an", "meldkamer")
    add_user("anne", "meldkamer", language="en")
    add_user("bart", "behandelaar", "onderhoud-openbaar-domein")
    add_user("dina", "behandelaar", "openbare-netheid")

    with freeze_time(local("2027-01-04", 7, 7)):  # Monday of ISO week 1: the meldkamer
        assert fortnightly_job(app) == 1
        assert fortnightly_job(app) == 0  # the second run (or a second worker) sends nothing
    mails = outbox("rapport_meldkamer")
    assert sorted(m.recipient for m in mails) == ["an@stad.example", "anne@stad.example", "meldkamer@stad.example"]
    dutch = render_row(next(m for m in mails if m.recipient == "an@stad.example"))
    assert dutch.subject == "Tweewekelijks rapport meldkamer: 21 december 2026 – 3 januari 2027"
    # created 21/12-3/1 Mechelen time: c3, c9, c10 (31/12 23:00 UTC) and the case of 1/1 00:00 UTC
    # and 7/12-20/12 before: c4, c5, c6, c7, c8, the mail m1 and the letter p1
    assert "- Binnengekomen dossiers: 4 / 7 / −43%" in dutch.text
    assert "- waarvan meldingen: 4 / 5 / −20%" in dutch.text
    assert "Van 21 december 2026 tot en met 3 januari 2027 kwamen 4 dossiers binnen, allemaal meldingen. Dat is " \
           "43% minder dan de 14 dagen ervoor; 50% van de meldingen ging over netheid;" in dutch.text
    assert "over alle dossiers (meldingen, e-mails en brieven)" in dutch.text
    assert "Per soort dossier:\n- Melding: 4 (100%)\n- E-mail: 0 (0%)\n- Brief: 0 (0%)" in dutch.text
    assert "Meest gemelde categorieën (alleen meldingen):" in dutch.text
    assert "Het enige antwoord op de tevredenheidsvraag was niet tevreden." in dutch.text  # c4, 11 December
    assert "- Openbare netheid: 2 (50%)" in dutch.text
    assert "https://meldpunt.stad.example/werk/rapporten?van=2026-12-21&tot=2027-01-03" in dutch.text
    assert "<table" in dutch.html and "Binnengekomen dossiers" in dutch.html and "Per soort dossier" in dutch.html
    assert "Binnengekomen meldingen" not in dutch.text + dutch.html
    english = render_row(next(m for m in mails if m.recipient == "anne@stad.example"))
    assert english.subject == "Fortnightly dispatch desk report: 21/12/2026 – 03/01/2027"
    assert "- Cases received: 4 / 7 / −43%" in english.text and "- of which reports: 4 / 5 / −20%" in english.text
    assert "Per kind of case:\n- Report: 4 (100%)\n- E-mail: 0 (0%)\n- Letter: 0 (0%)" in english.text
    assert "Most reported categories (reports only):" in english.text

    with freeze_time(local("2027-01-11", 9)):  # week 2: every handler group
        sent = fortnightly_job(app)
        assert fortnightly_job(app) == 0
    group_mails = outbox("rapport_groep")
    internal = 9
    assert sent == internal and len({m.data["group"] for m in group_mails}) == internal
    by_group = {m.data["group"]: [] for m in group_mails}
    for m in group_mails:
        by_group[m.data["group"]].append(m.recipient)
    assert by_group["Onderhoud openbaar domein"] == ["bart@stad.example"]
    assert by_group["Fietsteam"] == ["fietsteam@stad.example"]
    netheid = render_row(next(m for m in group_mails if m.recipient == "dina@stad.example"))
    assert netheid.subject == "Tweewekelijks rapport Openbare netheid: 28 december 2026 – 10 januari 2027"
    assert "- Binnengekomen dossiers: 1 /" in netheid.text  # c9 (30 December)
    assert "groep=openbare-netheid" in netheid.text
    assert db.session.scalar(select(ReportRun).where(ReportRun.kind == "meldkamer")).recipients == 3


def test_a_second_producer_loses_on_the_unique_key_and_queues_nothing(data, app):
    period = days_period(date(2026, 12, 14), date(2026, 12, 27))
    first = record_and_queue(Delivery("meldkamer", None, period), [("a@stad.example", "nl")], "rapport_kwartaal",
                             lambda _lang: {"quarter": "x", "quarter_name": "x", "filename": "x"}, "planning")
    assert first.sent and first.already is None
    second = record_and_queue(Delivery("meldkamer", None, period), [("b@stad.example", "nl")], "rapport_kwartaal",
                              lambda _lang: {"quarter": "x", "quarter_name": "x", "filename": "x"}, "cli")
    assert not second.sent and second.already is not None and second.already.id == first.run_id
    assert [m.recipient for m in outbox()] == ["a@stad.example"]


def test_quarterly_job_mails_the_docx_to_the_management_over_smtp(data, app, smtp_server):
    app.config.update(smtp_server.config())
    app.config["MELDPUNT_REPORT_RECIPIENTS"] = "mteam@stad.example, college@stad.example"
    with freeze_time(local("2027-01-01", 10)):
        assert quarterly_job(app) == 0  # a holiday: not yet
    with freeze_time(local("2027-01-04", 7, 9)):
        assert quarterly_job(app) == 1
        assert quarterly_job(app) == 0
    rows = outbox("rapport_kwartaal")
    assert [r.recipient for r in rows] == ["mteam@stad.example", "college@stad.example"]
    run = db.session.scalar(select(ReportRun))
    assert (run.kind, run.filename, str(Quarter(2026, 4))) == ("kwartaal", "meldpunt-kwartaalrapport-2026Q4.docx",
                                                                "2026Q4")
    assert all(r.data["attachment_report_run"] == run.id for r in rows)

    report = send_due(now=local("2027-01-04", 8))  # the rows are due from when they were queued
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["college@stad.example", "mteam@stad.example"]
    mail = smtp_server.messages[0].message
    assert mail["Subject"] == "Kwartaalrapport dossiers 2026Q4" and mail.get_content_type() == "multipart/mixed"
    assert "In de bijlage vindt u het kwartaalrapport" in mail.get_body(("plain",)).get_content()
    attachments = list(mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["meldpunt-kwartaalrapport-2026Q4.docx"]
    assert attachments[0].get_content_type().endswith("wordprocessingml.document")
    document = Document(io.BytesIO(attachments[0].get_content()))
    assert document.paragraphs[1].text == "Kwartaalrapport dossiers – vierde kwartaal van 2026"
    kinds = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert kinds == {"Soort dossier": "Dossiers", "Melding": "10", "E-mail": "1", "Brief": "1"}
    key = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows}
    assert key["Binnengekomen dossiers"] == "12" and key["Afgesloten dossiers"] == "6"


def test_fortnightly_mail_over_smtp_is_text_and_html(data, app, smtp_server):
    app.config.update(smtp_server.config())
    add_user("dina", "behandelaar", "openbare-netheid")
    with freeze_time(local("2026-12-21", 8)):  # week 52: groups
        fortnightly_job(app)
    assert send_due(now=local("2026-12-21", 9)).sent == 9
    received = next(m for m in smtp_server.messages if m.rcpt_tos == ["dina@stad.example"])
    assert received.message.get_content_type() == "multipart/alternative"
    assert "Tweewekelijks rapport Openbare netheid: 7 december 2026 – 20 december 2026" == received.message["Subject"]
    assert "Binnengekomen dossiers" in received.part("text/html") and "<table" in received.part("text/html")
    # The fietsteam's fortnight 7/12-20/12: the meldingen c5 and c8, the mail m1 and the letter p1.
    fiets = next(m for m in smtp_server.messages if m.rcpt_tos == ["fietsteam@stad.example"])
    plain = fiets.part("text/plain")
    assert "kwamen 4 dossiers binnen: 2 meldingen, 1 e-mail en 1 brief." in " ".join(plain.split())
    assert "- Melding: 2 (50%)" in plain and "- E-mail: 1 (25%)" in plain and "- Brief: 1 (25%)" in plain
    assert "- Weg, voetpad of plein – Fietspad beschadigd: 2 (100%)" in plain  # shares of the 2 meldingen
    assert "geen categorie" not in plain and "<th" in fiets.part("text/html")
    assert "Per soort dossier" in fiets.part("text/html")


def test_no_recipients_means_no_quarterly_report_recorded(data, app):
    app.config["MELDPUNT_REPORT_RECIPIENTS"] = ""
    delivery = send_quarterly(parse_quarter("2026Q4"))
    assert delivery.skipped and not delivery.sent
    assert db.session.scalar(select(ReportRun)) is None and outbox() == []


def test_worker_runs_the_report_jobs(app):
    scheduler = start_background_scheduler(app)
    try:
        assert scheduler.get_job("fortnightly_reports") is not None and scheduler.get_job("quarterly_report")
    finally:
        scheduler.shutdown(wait=False)


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_cli_fortnightly_on_demand(data, app, tmp_path):
    out = tmp_path / "netheid.docx"
    result = invoke(app, "report", "fortnightly", "--group", "openbare-netheid", "--from", "2026-12-01",
                    "--to", "2026-12-31", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "figuren berekenen..." in result.stderr and "document schrijven..." in result.stderr
    document = Document(str(out))
    assert document.paragraphs[1].text == "Rapport – Openbare netheid"
    assert "Van 1 december 2026 tot en met 31 december 2026 kwamen 3 dossiers binnen, allemaal meldingen." \
           in document.paragraphs[4].text
    key = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows}
    assert key["Binnengekomen dossiers"] == "3" and key["waarvan meldingen"] == "3"

    add_user("an", "meldkamer")
    sent = invoke(app, "report", "fortnightly", "--desk", "--from", "2026-12-14", "--to", "2026-12-27", "--send")
    assert sent.exit_code == 0, sent.output
    assert "voor 2 ontvanger(s): an@stad.example, meldkamer@stad.example" in sent.stdout
    again = invoke(app, "report", "fortnightly", "--desk", "--from", "2026-12-14", "--to", "2026-12-27", "--send")
    assert again.exit_code == 1 and "werd al verstuurd" in again.output
    assert len(outbox("rapport_meldkamer")) == 2


@pytest.mark.parametrize("args, message", [
    (["--desk", "--group", "fietsteam", "--send"], "--desk of --group"),
    (["--group", "fietsteam"], "--send of --out"),
    (["--group", "bestaat-niet", "--send"], "geen behandelaarsgroep 'bestaat-niet'"),
    (["--desk", "--from", "31/02/2026", "--send"], "gebruik de vorm 2026-11-30"),
    (["--desk", "--from", "2026-12-10", "--to", "2026-12-01", "--send"], "ligt voor --from"),
])
def test_cli_fortnightly_refuses_bad_input(app, args, message):
    result = invoke(app, "report", "fortnightly", *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert outbox() == []


def test_two_workers_at_the_same_moment_send_the_report_once(data, app):
    """Two workers run the job at the same time, each in its own session: one report run, one set of mails."""
    add_user("an", "meldkamer")
    barrier, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.extend(run_fortnightly(local("2027-01-04", 8)))
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(d.sent for d in results) == [False, True]
    assert sorted(m.recipient for m in outbox("rapport_meldkamer")) == ["an@stad.example", "meldkamer@stad.example"]
    assert len(db.session.scalars(select(ReportRun)).all()) == 1


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_report_mail_renders_in_both_languages(data, app, language):
    period = days_period(date(2026, 12, 1), date(2026, 12, 14))
    samples = {"rapport_meldkamer": mail_data(figures_for(group_by_key("meldkamer"), period),
                                              group_by_key("meldkamer"), language),
               "rapport_groep": mail_data(figures_for(group_by_key("fietsteam"), period), group_by_key("fietsteam"),
                                          language),
               "rapport_kwartaal": {"quarter": "2026Q4", "quarter_name": "het vierde kwartaal van 2026",
                                    "filename": "meldpunt-kwartaalrapport-2026Q4.docx", "created": 10}}
    for template, sample in samples.items():
        mail = render_mail(template, sample, language, "medewerker")
        assert mail.language == language and mail.subject and "\n" not in mail.subject
        for body in (mail.text, mail.html):
            assert "{{" not in body and "{%" not in body and "None" not in body and "Undefined" not in body
        assert mail.html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in mail.html
        if template != "rapport_kwartaal":
            assert sample["dashboard_url"] in mail.text and sample["rows"][0][0] in mail.text
    assert ("Cases received" if language == "en" else "Binnengekomen dossiers") in render_mail(
        "rapport_groep", samples["rapport_groep"], language, "medewerker").text


def test_a_mail_whose_document_is_gone_fails_instead_of_going_out_without_it(app, smtp_server):
    app.config.update(smtp_server.config())
    queue_mail(None, "mteam@stad.example", "rapport_kwartaal", recipient_kind="medewerker",
               data={"quarter": "2026Q4", "quarter_name": "het vierde kwartaal van 2026", "filename": "x.docx",
                     "attachment_report_run": 999})
    db.session.commit()
    report = send_due()
    assert (report.sent, report.failed) == (0, 1) and smtp_server.messages == []
    assert "report run 999 has no document to attach" in outbox()[0].last_error
