"""The quarterly report: the Word document a manager opens, its summary, and `meldpunt report quarterly`."""
from __future__ import annotations

import io

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from flask.cli import ScriptInfo
from freezegun import freeze_time

from reports.bundle import ReportFigures, gather
from reports.figures import Figures, LeadTime, Share
from reports.numbers import decimal, integer, percent
from reports.periods import Period, days_period, parse_quarter
from reports.quarterly import build_document, period_titles, quarterly_report
from reports.summary import summary
from web.cli import main

from .docx_pages import assert_a4_with_page_numbers
from .report_data import END, START, at

DECEMBER = Period(START, END)
NOVEMBER_EQUAL_LENGTH = Period(START - (END - START), START)


def tables(document) -> dict[str, list[list[str]]]:
    """Each table by the text of its first header cell (the second 'Hoofdcategorie' table is the sub categories)."""
    found: dict[str, list[list[str]]] = {}
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        key = rows[0][0] if rows[0][0] not in found else rows[0][0] + "/" + rows[0][1]
        found[key] = rows
    return found


def pictures(document) -> list[bytes]:
    return [rel.target_part.blob for rel in document.part.rels.values() if rel.reltype == RT.IMAGE]


def test_numbers_are_written_the_dutch_way():
    assert integer(1234567) == "1.234.567" and integer(1234567, "en") == "1,234,567"
    assert decimal(1234.56) == "1.234,6" and decimal(0.5, 2) == "0,50"
    assert percent(0.4286) == "43%" and percent(0.075) == "7,5%" and percent(None) == "–"


def test_summary_sentence_from_the_figures():
    current = Figures(start=START, end=END, group_key=None, created=1234, meldingen=1000, closed=1180,
                      on_time_share=0.8712,
                      by_kind=[Share("melding", "melding", 1000, 0.8104), Share("mail", "mail", 150, 0.1216),
                               Share("post", "post", 84, 0.0681)],
                      by_main_category=[Share("wegen", "Weg, voetpad of plein", 531, 0.4303),
                                        Share("netheid", "Netheid", 400, 0.3241)],
                      closing=LeadTime(1180, 84.0, 200.0), open_at_end=57, overdue_at_end=9,
                      feedback_answers=210, satisfied_share=0.81)
    before = Figures(start=START, end=END, group_key=None, created=1102)
    report = ReportFigures(DECEMBER, NOVEMBER_EQUAL_LENGTH, None, None, current, before, [], [], {})
    text = summary(report, "In het derde kwartaal van 2026", "het vorige kwartaal")
    assert text == (
        "In het derde kwartaal van 2026 kwamen 1.234 dossiers binnen: 1.000 meldingen, 150 e-mails en 84 brieven. "
        "Dat is 12% meer dan het vorige kwartaal; 43% van de meldingen ging over weg, voetpad of plein; "
        "87% van de afgesloten dossiers werd binnen de termijn afgesloten. "
        "Er werden 1.180 dossiers afgesloten, de helft binnen 84,0 uur (3,5 dagen). "
        "Op het einde van de periode stonden nog 57 dossiers open, waarvan 9 over de termijn. "
        "Van de 210 antwoorden op de tevredenheidsvraag was 81% tevreden.")

    one = Figures(start=START, end=END, group_key=None, created=1,
                  by_kind=[Share("melding", "melding", 0, 0.0), Share("mail", "mail", 1, 1.0)])
    fewer = ReportFigures(DECEMBER, NOVEMBER_EQUAL_LENGTH, None, None, one, before, [], [], {})
    assert summary(fewer, "Vandaag", "gisteren") == ("Vandaag kwam 1 dossier binnen, een e-mail. "
                                                     "Dat is 100% minder dan gisteren.")
    letters = Figures(start=START, end=END, group_key=None, created=3,
                      by_kind=[Share("melding", "melding", 0, 0.0), Share("post", "post", 3, 1.0)])
    assert summary(ReportFigures(DECEMBER, NOVEMBER_EQUAL_LENGTH, None, None, letters, letters, [], [], {}),
                   "Vandaag", "gisteren") == "Vandaag kwamen 3 dossiers binnen, allemaal brieven. Dat is evenveel " \
                                             "als gisteren."
    none = ReportFigures(DECEMBER, NOVEMBER_EQUAL_LENGTH, None, None,
                         Figures(start=START, end=END, group_key=None), before, [], [], {})
    assert summary(none, "Vandaag", "gisteren") == "Vandaag kwamen 0 dossiers binnen, 100% minder dan gisteren."


def test_document_tables_hold_the_known_figures(data):
    report = gather(DECEMBER, NOVEMBER_EQUAL_LENGTH)
    content = build_document(report, period_titles("Maandrapport", 31, "Van 1 tot en met 31 december 2026"))
    document = Document(io.BytesIO(content))

    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Meldpunt Stad" and document.paragraphs[0].style.name == "Title"
    assert texts[2].startswith("Periode: 1 december 2026") and "Opgemaakt op" in texts[2]
    assert texts[texts.index("Samenvatting") + 1].startswith(
        "Van 1 tot en met 31 december 2026 kwamen 12 dossiers binnen: 10 meldingen, 1 e-mail en 1 brief. "
        "Dat is 1.100% meer dan de 31 dagen ervoor; 50% van de meldingen ging over weg, voetpad of plein; "
        "80% van de afgesloten dossiers werd binnen de termijn afgesloten.")
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Samenvatting", "Kerncijfers", "Per behandelaarsgroep", "Meldingen per categorie",
                        "Per kanaal", "Hoe de cijfers geteld worden"]
    assert texts[texts.index("Meldingen per categorie") + 1].startswith("Alleen meldingen hebben een categorie")

    found = tables(document)
    # The small table in the summary, right after the summary sentence.
    assert document.tables[0].rows[0].cells[0].text == "Soort dossier"
    assert found["Soort dossier"] == [["Soort dossier", "Dossiers", "Aandeel"], ["Melding", "10", "83%"],
                                      ["E-mail", "1", "8,3%"], ["Brief", "1", "8,3%"]]
    key = {row[0]: row[1:] for row in found["Cijfer"][1:]}
    assert found["Cijfer"][0] == ["Cijfer", "Deze periode", "De periode ervoor", "Verschil"]
    assert key["Binnengekomen dossiers"] == ["12", "1", "+1.100%"]
    assert key["waarvan meldingen"] == ["10", "1", "+900%"]
    assert key["Afgesloten dossiers"] == ["6", "0", "–"]
    assert key["waarvan anonieme meldingen"][:2] == ["0", "0"]  # a part of the meldingen (Case.anonymous)
    assert not any("meldingen" in label.lower() and label not in ("waarvan meldingen", "waarvan anonieme meldingen")
                   for label in key)
    assert key["Open op het einde van de periode"][0] == "7" and key["waarvan over de termijn"][0] == "3"
    assert key["Binnen de termijn afgesloten"][0] == "80%"
    assert key["Doorlooptijd tot afsluiten, mediaan"][0] == "84,0 uur (3,5 dagen)"
    assert key["Doorlooptijd tot afsluiten, 90e percentiel"][0] == "107,5 uur (4,5 dagen)"
    assert key["Eerste reactie (in behandeling), mediaan"][0] == "3,0 uur"
    assert key["Eerste reactie (in behandeling), 90e percentiel"][0] == "5,2 uur"
    assert key["Heropende dossiers"][:2] == ["1", "1"] and key["Heropeningsgraad"][0] == "17%"
    assert key["Antwoorden op de tevredenheidsvraag"][0] == "3" and key["Tevreden"][0] == "67%"
    assert key["Aannemersopdrachten"][:2] == ["2", "1"] and key["waarvan uitgevoerd"][0] == "1"
    assert key["Doorlooptijd aannemer, mediaan"][:2] == ["20,0 uur", "24,0 uur (1,0 dagen)"]

    # closed per group in December: OOD c1 24 h, c2 48 h, c6 96 h; netheid c3 119 h, c4 72 h; fietsteam c5 96 h
    assert found["Groep"][0][:3] == ["Groep", "Dossiers", "Aandeel"]
    assert found["Groep"][1:] == [["Onderhoud openbaar domein", "5", "42%", "3", "2,0"],
                                  ["Fietsteam", "4", "33%", "1", "4,0"],
                                  ["Openbare netheid", "3", "25%", "2", "4,0"],
                                  # every other active group, with zero cases, by name
                                  ["Algemene ondersteuning en STRO", "0", "0%", "0", "–"],
                                  ["Beheer openbaar domein", "0", "0%", "0", "–"],
                                  ["Omgeving, economie en wonen", "0", "0%", "0", "–"],
                                  ["Projecten en planning", "0", "0%", "0", "–"],
                                  ["Samen leven", "0", "0%", "0", "–"],
                                  ["Vrije tijd", "0", "0%", "0", "–"]]
    # Shares of the 10 meldingen; the mail and the letter have no category and are not counted here.
    assert found["Hoofdcategorie"][0] == ["Hoofdcategorie", "Meldingen", "Aandeel"]
    assert found["Hoofdcategorie"][1:] == [["Weg, voetpad of plein", "5", "50%"], ["Netheid", "3", "30%"],
                                           ["Openbare verlichting", "2", "20%"]]
    assert sorted(found["Hoofdcategorie/Subcategorie"][1:]) == sorted([
        ["Weg, voetpad of plein", "Put of verzakking in de weg", "3", "30%"],
        ["Netheid", "Volle openbare vuilbak", "3", "30%"],
        ["Weg, voetpad of plein", "Fietspad beschadigd", "2", "20%"],
        ["Openbare verlichting", "Straatlamp kapot", "2", "20%"]])
    assert found["Kanaal"][0] == ["Kanaal", "Dossiers", "Aandeel"]
    assert found["Kanaal"][1:] == [["Webformulier", "5", "42%"], ["E-mail", "3", "25%"], ["Telefoon", "2", "17%"],
                                   ["Balie", "1", "8,3%"], ["Brief", "1", "8,3%"]]

    images = pictures(document)
    assert len(images) == 3 and all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    assert len(document.inline_shapes) == 3


def test_quarter_follows_the_city_calendar(data, app):
    """Q4 2026 runs from 1 October 00:00 to 1 January 00:00 Brussels time: c10 (31 December 23:00 UTC, already
    1 January in Mechelen) is not in it, the November case is."""
    app.config["MELDPUNT_CITY_NAME"] = "Mechelen"
    content, report = quarterly_report(parse_quarter("2026Q4"))
    f = report.current
    assert (f.created, f.meldingen, f.closed, f.open_at_end, f.overdue_at_end) == (12, 10, 6, 6, 2)
    assert (f.reopened, f.contractor_orders, f.contractor_orders_done) == (2, 3, 2)
    assert report.before.created == 0
    assert [w.label for w in report.weeks][0] == "W40" and [w.label for w in report.weeks][-1] == "W53"
    assert sum(w.count for w in report.weeks) == 12

    document = Document(io.BytesIO(content))
    assert document.paragraphs[0].text == "Meldpunt Mechelen"
    assert document.paragraphs[1].text == "Kwartaalrapport dossiers – vierde kwartaal van 2026"
    assert tables(document)["Cijfer"][0] == ["Cijfer", "2026Q4", "2026Q3 (vorig kwartaal)", "Verschil"]
    summary_text = [p.text for p in document.paragraphs if p.text.startswith("In het vierde kwartaal")][0]
    assert summary_text.startswith("In het vierde kwartaal van 2026 kwamen 12 dossiers binnen: 10 meldingen, 1 e-mail "
                                   "en 1 brief. Het vorige kwartaal kwam er geen binnen; 60% van de meldingen ging "
                                   "over weg, voetpad of plein;")


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_cli_writes_the_quarterly_report_with_progress(data, app, tmp_path):
    out = tmp_path / "q4.docx"
    result = invoke(app, "report", "quarterly", "2026Q4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert ["figuren berekenen...", "grafieken...", "document schrijven..."] == [
        line for line in result.stderr.splitlines() if line in ("figuren berekenen...", "grafieken...",
                                                                  "document schrijven...")]
    assert f"{out}: kwartaalrapport 2026Q4, 12 dossiers" in result.stdout
    document = Document(str(out))
    assert tables(document)["Cijfer"][1] == ["Binnengekomen dossiers", "12", "0", "–"]


@pytest.mark.parametrize("quarter", ["2026Q5", "Q3", "2026-3", "derde"])
def test_cli_refuses_a_quarter_in_another_form(app, tmp_path, quarter):
    result = invoke(app, "report", "quarterly", quarter, "--out", str(tmp_path / "x.docx"))
    assert result.exit_code == 2 and "gebruik de vorm 2026Q3" in result.output
    assert not (tmp_path / "x.docx").exists() and "Traceback" not in result.output


def test_cli_needs_out_or_send(app):
    result = invoke(app, "report", "quarterly", "2026Q3")
    assert result.exit_code == 2 and "--out" in result.output


def test_periods_are_local_days():
    period = days_period(parse_quarter("2026Q3").first_day, parse_quarter("2026Q3").next().first_day)
    assert period.first_day.isoformat() == "2026-07-01" and period.start.hour == 22  # 00:00 CEST
    q1 = parse_quarter("2027q1").period
    assert q1.start.hour == 23 and q1.end.hour == 22  # winter time at the start, summer time at the end


def test_the_quarterly_report_is_a4_with_page_numbers(data):
    content, _report = quarterly_report(parse_quarter("2026Q4"))
    document = Document(io.BytesIO(content))
    assert_a4_with_page_numbers(document, ("Pagina", "van"))
    assert len(document.sections) == 1 and document.sections[0].page_width > document.sections[0].page_height * 0.7


def test_a_quarterly_report_made_mid_quarter_counts_only_passed_deadlines(data):
    """Made on 16 December 2026 at noon: the November case is over its deadline; c7's deadline (10 working days
    from 15 December) is still ahead, so it is open but not late."""
    with freeze_time(at(12, 16, 12)):
        content, report = quarterly_report(parse_quarter("2026Q4"))
    assert (report.current.open_at_end, report.current.overdue_at_end) == (3, 1)
    document = Document(io.BytesIO(content))
    key = {row[0]: row[1:] for row in tables(document)["Cijfer"][1:]}
    assert key["Open op het einde van de periode"][0] == "3" and key["waarvan over de termijn"][0] == "1"
    summary_text = [p.text for p in document.paragraphs if p.text.startswith("In het vierde kwartaal")][0]
    assert "Op het moment van dit rapport staan nog 3 dossiers open, waarvan 1 over de termijn." in summary_text
    # The groups table lists every active group, also those without a case yet.
    groups = [row[0] for row in tables(document)["Groep"][1:]]
    assert "Vrije tijd" in groups and "Samen leven" in groups and "Projecten en planning" in groups
