"""The reports dashboard as each role sees it: figures, charts, exports, the quarterly report, bad input."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from docx import Document
from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy import select

from engine.db import db
from engine.models import Case, Reporter
from handlers.groups import group_by_key
from handlers.models import User
from notifications.models import OutboxMessage

from .helpers import Browser, with_password
from .report_data import at
from .test_english_ui import assert_english, domain_strings

DECEMBER = "van=2026-12-01&tot=2026-12-31"  # Mechelen time: c1-c9, m1, p1; c10 (31/12 23:00 UTC) is 1 January there
REPORTER = ("Els Melder", "els.melder@voorbeeld.example", "0470 12 34 56")


def login(app, role: str, group: str | None = None, language: str = "nl") -> Browser:
    user = User(username=f"{role}-user", display_name=f"{role} user", role=role, email=f"{role}@stad.example",
                language=language)
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    db.session.commit()
    return Browser(app, user.username, with_password(user))


@pytest.fixture
def with_reporter(data):
    """c1 was reported by a citizen with a name, address and phone number."""
    reporter = Reporter(name=REPORTER[0], email=REPORTER[1], phone=REPORTER[2])
    db.session.add(reporter)
    db.session.flush()
    db.session.scalar(select(Case).where(Case.reference == "c1")).reporter_id = reporter.id
    db.session.commit()


def text(response) -> str:
    return response.get_data(as_text=True)


def key_figure(page: str, label: str) -> str:
    row = page.split(f"<td>{label}</td>", 1)[1].split("</tr>", 1)[0]
    return row.split("<td>")[1].split("</td>")[0]


def test_reporting_role_sees_the_figures_and_charts_without_personal_data(app, with_reporter):
    browser = login(app, "rapportage")
    response = browser.get(f"/werk/rapporten?{DECEMBER}")
    page = text(response)
    assert response.status_code == 200
    assert key_figure(page, "Binnengekomen dossiers") == "11" and key_figure(page, "waarvan meldingen") == "9"
    assert key_figure(page, "Afgesloten dossiers") == "6" and "Binnengekomen meldingen" not in page
    assert key_figure(page, "Binnen de termijn afgesloten") == "80%"
    assert page.count('src="data:image/png;base64,') == 3
    assert "Van 1 december 2026 tot en met 31 december 2026 kwamen 11 dossiers binnen: 9 meldingen, 1 e-mail " \
           "en 1 brief." in page
    per_kind = page.split('id="per-kind"', 1)[1].split("</table>", 1)[0]
    assert "<th>Soort dossier</th><th>Dossiers</th><th>Aandeel</th>" in per_kind
    assert [row.split("</tr>")[0] for row in per_kind.split("<tr>")[2:]] == [
        "<td>Melding</td><td>9</td><td>82%</td>", "<td>E-mail</td><td>1</td><td>9,1%</td>",
        "<td>Brief</td><td>1</td><td>9,1%</td>"]
    # Categories over the 9 meldingen: 'Put in het wegdek' c1, c2, c7 = 33%; mail and letter are no '(geen categorie)'.
    categories = page.split('id="categories"', 1)[1].split("</section>", 1)[0]
    assert "<h2>Meldingen per categorie</h2>" in categories and "Alleen meldingen hebben een categorie" in categories
    assert "<td>3</td><td>33%</td>" in categories and "geen categorie" not in categories
    assert "<th>Groep</th><th>Dossiers</th>" in page and "<th>Kanaal</th><th>Dossiers</th>" in page
    assert '<option value="">Alle groepen</option>' in page and 'value="fietsteam"' in page
    assert not any(value in page for value in REPORTER)
    assert 'href="/werk/rapporten"' in page  # the navigation link
    assert "nu mailen" not in page  # the reporting role only reads


@pytest.mark.parametrize("role", ["behandelaar", "onthaal"])
def test_other_roles_get_403(app, data, role):
    browser = login(app, role, "onderhoud-openbaar-domein" if role == "behandelaar" else None)
    for url in ("/werk/rapporten", f"/werk/rapporten/dossiers.csv?{DECEMBER}", "/werk/rapporten/cijfers.xlsx",
                "/werk/rapporten/kwartaalrapport?kwartaal=2026Q4"):
        assert browser.get(url).status_code == 403, url
    assert 'href="/werk/rapporten"' not in text(browser.get("/werk/"))


@pytest.mark.parametrize("role", ["admin", "meldkamer"])
def test_desk_and_admin_see_all_groups(app, data, role):
    page = text(login(app, role).get(f"/werk/rapporten?{DECEMBER}&groep=openbare-netheid"))
    assert key_figure(page, "Binnengekomen dossiers") == "3" and "Openbare netheid:" in page


def test_group_lead_sees_only_their_own_group(app, data):
    lead = login(app, "groepsverantwoordelijke", "onderhoud-openbaar-domein")
    page = text(lead.get(f"/werk/rapporten?{DECEMBER}"))
    assert key_figure(page, "Binnengekomen dossiers") == "4"  # c1, c2, c6, c7
    assert "Alle groepen</option>" not in page and 'value="openbare-netheid"' not in page
    assert lead.get(f"/werk/rapporten?{DECEMBER}&groep=openbare-netheid").status_code == 403
    assert lead.get(f"/werk/rapporten/dossiers.csv?{DECEMBER}&groep=openbare-netheid").status_code == 403
    assert lead.get("/werk/rapporten/kwartaalrapport?kwartaal=2026Q4").status_code == 403
    rows = list(csv.reader(io.StringIO(text(lead.get(f"/werk/rapporten/dossiers.csv?{DECEMBER}")).lstrip("\ufeff")),
                           delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == ["c1", "c2", "c6", "c7"]


def test_case_export_as_csv_and_xlsx(app, with_reporter):
    browser = login(app, "rapportage")
    response = browser.get(f"/werk/rapporten/dossiers.csv?{DECEMBER}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="dossiers-2026-12-01-2026-12-31.csv"' in response.headers["Content-Disposition"]
    body = text(response)
    assert body.startswith("\ufeff") and not any(value in body for value in REPORTER)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Referentie", "Soort", "Aangemaakt", "Afgesloten", "Status", "Groep", "Hoofdcategorie",
                       "Subcategorie", "Kanaal", "Termijn", "Binnen termijn afgesloten", "Doorlooptijd (uren)"]
    by_ref = {r[0]: r for r in rows[1:]}
    assert sorted(by_ref) == sorted([*(f"c{i}" for i in range(1, 10)), "m1", "p1"])
    assert by_ref["m1"][1] == "E-mail" and by_ref["p1"][1] == "Brief" and by_ref["p1"][8] == "Brief"
    assert by_ref["c3"][1:] == ["Melding", "2026-12-23 10:00", "2026-12-28 09:00", "afgesloten", "Openbare netheid",
                                "Netheid", "Volle openbare vuilbak", "Telefoon", "2026-12-28 10:00", "ja", "119"]
    assert by_ref["c4"][10:] == ["nee", "72"] and by_ref["c5"][9:] == ["", "", "96"]  # c5 has no deadline
    assert by_ref["c9"][3:5] == ["", "in_behandeling"] and by_ref["c9"][10:] == ["", ""]

    response = browser.get(f"/werk/rapporten/dossiers.xlsx?{DECEMBER}")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data))["Dossiers"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Referentie" and len(values) == 12
    c1 = next(v for v in values if v[0] == "c1")
    assert c1[1] == "Melding" and c1[2] == datetime(2026, 12, 2, 9, 0) and c1[10] == "ja" and c1[11] == 24.0
    assert not any(value in str(values) for value in REPORTER)


def test_figures_export_as_csv_and_xlsx(app, data):
    browser = login(app, "rapportage")
    book = load_workbook(io.BytesIO(browser.get(f"/werk/rapporten/cijfers.xlsx?{DECEMBER}").data))
    assert book.sheetnames == ["Kerncijfers", "Per soort dossier", "Per groep", "Meldingen per hoofdcategorie",
                               "Meldingen per subcategorie", "Per kanaal", "Per week"]
    key = {row[0]: row[1:] for row in book["Kerncijfers"].iter_rows(values_only=True)}
    assert key["Binnengekomen dossiers"] == ("aantal", 11, 1)  # the 31 days before: the November case
    assert key["waarvan meldingen"] == ("aantal", 9, 1)
    assert key["Binnen de termijn afgesloten"][:2] == ("aandeel", 0.8)
    assert list(book["Per soort dossier"].iter_rows(values_only=True)) == [
        ("Soort dossier", "Dossiers", "Aandeel"), ("Melding", 9, 0.8182), ("E-mail", 1, 0.0909), ("Brief", 1, 0.0909)]
    groups = list(book["Per groep"].iter_rows(values_only=True))
    assert groups[0][:2] == ("Groep", "Dossiers")
    assert {row[0]: row[1:3] for row in groups[1:]} == {
        "Onderhoud openbaar domein": (4, 0.3636), "Fietsteam": (4, 0.3636), "Openbare netheid": (3, 0.2727),
        # the other active groups are listed with zero, not left out
        **{name: (0, 0) for name in ("Algemene ondersteuning en STRO", "Beheer openbaar domein",
                                     "Omgeving, economie en wonen", "Projecten en planning", "Samen leven",
                                     "Vrije tijd")}}
    main = list(book["Meldingen per hoofdcategorie"].iter_rows(values_only=True))
    assert main[1] == ("Weg, voetpad of plein", 5, 0.5556) and sum(row[1] for row in main[1:]) == 9
    body = text(browser.get(f"/werk/rapporten/cijfers.csv?{DECEMBER}"))
    assert "Kerncijfers;Binnengekomen dossiers;aantal;11;" in body and "Per kanaal;Webformulier;5;0,4545" in body
    assert "Per soort dossier;Brief;1;0,0909" in body and "Tabel;Soort dossier;Dossiers;Aandeel" in body


def test_the_running_month_counts_only_deadlines_that_have_passed(app, data):
    """On 16 December the dashboard's December shows what is open and late now: the November case is late,
    c7 (deadline still ahead) is open but not late - the same rule as the quarterly and fortnightly reports."""
    with freeze_time(at(12, 16, 12), tick=True):
        browser = login(app, "rapportage")
        book = load_workbook(io.BytesIO(browser.get(f"/werk/rapporten/cijfers.xlsx?{DECEMBER}").data))
    key = {row[0]: row[1:] for row in book["Kerncijfers"].iter_rows(values_only=True)}
    assert key["Open op het einde van de periode"][:2] == ("aantal", 3)
    assert key["waarvan over de termijn"][:2] == ("aantal", 1)


def test_quick_choices_and_default_period(app, data):
    browser = login(app, "meldkamer")
    for url in ("/werk/rapporten", "/werk/rapporten?snel=dit-kwartaal", "/werk/rapporten?snel=vorig-kwartaal",
                "/werk/rapporten?snel=14-dagen"):
        response = browser.get(url)
        assert response.status_code == 200 and "Kerncijfers" in text(response), url


@pytest.mark.parametrize("query, message", [
    ("van=gisteren&tot=2026-12-31", "De begindatum &#39;gisteren&#39; klopt niet. Gebruik de vorm jjjj-mm-dd"),
    ("van=2026-12-01&tot=2026-02-30", "De einddatum &#39;2026-02-30&#39; klopt niet."),
    ("van=2026-12-31&tot=2026-12-01", "De begindatum (2026-12-31) ligt na de einddatum (2026-12-01)."),
    ("van=2020-01-01&tot=2026-12-01", "Kies een periode van hoogstens drie jaar."),
    (f"{DECEMBER}&groep=bestaat-niet", "Onbekende behandelaarsgroep &#39;bestaat-niet&#39;."),
    ("snel=volgend-jaar", "Onbekende keuze &#39;volgend-jaar&#39; voor de periode."),
])
def test_bad_input_gets_a_dutch_error_on_the_page(app, data, query, message):
    browser = login(app, "rapportage")
    for path in ("/werk/rapporten", "/werk/rapporten/dossiers.csv", "/werk/rapporten/cijfers.xlsx"):
        response = browser.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in text(response) and 'id="report-error"' in text(response)


def test_bad_quarter_for_the_word_report(app, data):
    response = login(app, "rapportage").get("/werk/rapporten/kwartaalrapport?kwartaal=2026Q9")
    assert response.status_code == 400 and "gebruik de vorm 2026Q3" in text(response)


def test_quarterly_report_download(app, data):
    response = login(app, "rapportage").get("/werk/rapporten/kwartaalrapport?kwartaal=2026Q4")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    assert 'filename="meldpunt-kwartaalrapport-2026Q4.docx"' in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[1].text == "Kwartaalrapport dossiers – vierde kwartaal van 2026"


def test_lead_sends_the_fortnightly_report_of_their_group_now_once(app, data):
    lead = login(app, "groepsverantwoordelijke", "onderhoud-openbaar-domein")
    form = {"van": "2026-12-14", "tot": "2026-12-27", "groep": "onderhoud-openbaar-domein"}
    page = "/werk/rapporten?van=2026-12-14&tot=2026-12-27"
    response = lead.post("/werk/rapporten/versturen", form, page=page)
    assert response.status_code == 302
    assert "Rapport klaargezet voor 1 ontvanger." in text(lead.get(response.headers["Location"]))
    again = lead.post("/werk/rapporten/versturen", form, page=page)
    assert "Dit rapport werd al verstuurd op" in text(lead.get(again.headers["Location"]))
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [(r.template, r.recipient) for r in rows] == [("rapport_groep", "groepsverantwoordelijke@stad.example")]
    other = lead.post("/werk/rapporten/versturen", {**form, "groep": "openbare-netheid"}, page=page)
    assert other.status_code == 403

    reader = login(app, "rapportage")
    assert reader.post("/werk/rapporten/versturen", form, page=page).status_code == 403


def test_dashboard_in_english(app, data):
    browser = login(app, "rapportage", language="en")
    page = assert_english(browser.get(f"/werk/rapporten?{DECEMBER}"), domain_strings(), "dashboard")
    assert "Key figures" in page and "<td>Cases received</td>" in page and "<td>of which reports</td>" in page
    assert "<h2>Reports per category</h2>" in page and "<th>Kind of case</th><th>Cases</th>" in page
    assert "<td>Report</td><td>9</td>" in page and "<td>Letter</td><td>1</td>" in page
    assert "1 December 2026 – 31 December 2026" in page and "<td>84.0 hours (3.5 days)</td>" in page
    error = assert_english(browser.get("/werk/rapporten?van=2026-12-31&tot=2026-12-01"), domain_strings(),
                           "dashboard error")
    assert "The start date (2026-12-31) is after the end date (2026-12-01)." in error
