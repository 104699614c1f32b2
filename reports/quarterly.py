"""The report as a Word document (python-docx): title, summary with the dossiers per kind, key figures
compared with the previous period, tables per group, category (meldingen only) and channel, and charts.
The quarterly report for the M-team and the college is this document for a calendar quarter. Its fixed words
come from the gettext catalogue (in Dutch: its summary and figure labels are Dutch sentences)."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from engine.clock import utcnow
from engine.i18n import N_
from engine.settings import settings
from notifications.docx_pages import a4_pages
from notifications.i18n import plural_translator, translator

from . import charts
from .bundle import ReportFigures, gather
from .periods import CITY_TZ, Quarter
from .summary import summary
from .tables import contact_rows, display_rows, key_figure_rows, period_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLE_STYLE = "Light Grid Accent 1"
PICTURE_WIDTH = Cm(16)
LANGUAGE = "nl"  # the language of the document
_ = translator(LANGUAGE)
ngettext = plural_translator(LANGUAGE)


@dataclass(frozen=True)
class Titles:
    """What the document calls its period: the title, the column heads and the summary's phrases."""

    title: str
    current: str  # column head of this period
    previous: str  # column head of the previous period
    period_phrase: str  # 'In het derde kwartaal van 2026'
    previous_phrase: str  # 'het vorige kwartaal'


def city_name() -> str:
    """MELDPUNT_CITY_NAME, or 'Stad' when it is not set."""
    name = settings().city_name
    return (name or "").strip() or _("Stad")


def quarter_titles(quarter: Quarter) -> Titles:
    """Titles of the quarterly report."""
    previous = quarter.previous()
    return Titles(title=_("Kwartaalrapport dossiers – {quarter}", quarter=quarter.dutch_name[4:]),
                  current=str(quarter), previous=_("{quarter} (vorig kwartaal)", quarter=previous),
                  period_phrase=_("In {quarter}", quarter=quarter.dutch_name),
                  previous_phrase=_("het vorige kwartaal"))


def _table(document, head: list[str], rows: list[tuple], numeric_from: int = 1) -> None:
    table = document.add_table(rows=1, cols=len(head))
    table.style = TABLE_STYLE
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.text = str(value)
            if i >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()


def _picture(document, png: bytes) -> None:
    document.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)


def chart_images(report: ReportFigures) -> dict[str, bytes]:
    """The report's charts as PNG bytes: per main category, per week, lead time per group (what it reads is
    reports/dashboard_cache.py `chart_inputs`, the key of the cached charts: keep the two in step)."""
    f = report.current
    return {
        "categories": charts.bar_chart([s.name or "–" for s in f.by_main_category],
                                       [s.count for s in f.by_main_category], _("Meldingen per hoofdcategorie")),
        "weeks": charts.line_chart([w.label for w in report.weeks], [w.count for w in report.weeks],
                                   _("Binnengekomen dossiers per week")),
        "lead_times": charts.bar_chart([g.name or _("(nog geen groep)") for g in report.per_group],
                                       [round((g.median_hours or 0) / 24, 1) for g in report.per_group],
                                       _("Doorlooptijd tot afsluiten per groep (mediaan, dagen)"), decimals=1),
    }


def build_document(report: ReportFigures, titles: Titles,
                   progress: Optional[Callable[[str], None]] = None,
                   images: Optional[dict[str, bytes]] = None) -> bytes:
    """The Word document of `report` as bytes (`images`: its charts drawn already, as `chart_images` draws them)."""
    step = progress or (lambda _text: None)
    step("grafieken...")
    images = images if images is not None else chart_images(report)
    step("document schrijven...")
    document = Document()
    a4_pages(document, LANGUAGE)
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10.5)
    document.core_properties.title = titles.title
    document.core_properties.language = "nl-BE"
    document.core_properties.author = _("Meldpunt {city}", city=city_name())

    document.add_heading(_("Meldpunt {city}", city=city_name()), level=0)
    subtitle = titles.title + (f" – {report.group_name}" if report.group_name else "")
    document.add_paragraph(subtitle, style="Subtitle")
    made = utcnow().astimezone(CITY_TZ)
    before = report.previous_period
    document.add_paragraph(_("Periode: {period}. Vergeleken met {before}. Opgemaakt op {day} om {time}.",
                             period=period_text(report.period.first_day, report.period.last_day, LANGUAGE),
                             before=period_text(before.first_day, before.last_day, LANGUAGE),
                             day=f"{made:%d/%m/%Y}", time=f"{made:%H:%M}"))

    document.add_heading(_("Samenvatting"), level=1)
    document.add_paragraph(summary(report, titles.period_phrase, titles.previous_phrase))
    rows = display_rows(report)
    _table(document, [_("Soort dossier"), _("Dossiers"), _("Aandeel")], rows["kinds"])

    document.add_heading(_("Kerncijfers"), level=1)
    _table(document, [_("Cijfer"), titles.current, titles.previous, _("Verschil")], key_figure_rows(report))
    _picture(document, images["weeks"])

    document.add_heading(_("Per behandelaarsgroep"), level=1)
    _table(document, [_("Groep"), _("Dossiers"), _("Aandeel"), _("Afgesloten"), _("Doorlooptijd (mediaan, dagen)")],
           rows["groups"])
    _picture(document, images["lead_times"])

    document.add_heading(_("Meldingen per categorie"), level=1)
    document.add_paragraph(_("Alleen meldingen hebben een categorie; e-mails en brieven tellen hier niet mee, "
                             "de aandelen zijn delen van de meldingen."))
    _table(document, [_("Hoofdcategorie"), _("Meldingen"), _("Aandeel")], rows["main"])
    _picture(document, images["categories"])
    _table(document, [_("Hoofdcategorie"), _("Subcategorie"), _("Meldingen"), _("Aandeel")], rows["sub"],
           numeric_from=2)

    document.add_heading(_("Per kanaal"), level=1)
    _table(document, [_("Kanaal"), _("Dossiers"), _("Aandeel")], rows["channels"])

    contacts = contact_rows(report)
    if report.contacts is not None and report.contacts.contacts:  # a city without a registering first line: none
        document.add_heading(_("Eerste lijn: telefoon en balie"), level=1)
        _table(document, [_("Cijfer"), titles.current], contacts["key"])
        _table(document, [_("Kanaal"), _("Contacten"), _("Aandeel")], contacts["channels"])
        _table(document, [_("Onderwerp"), _("Contacten"), _("Aandeel")], contacts["topics"])
        _table(document, [_("Afloop"), _("Contacten"), _("Aandeel")], contacts["outcomes"])
        if contacts["handovers"]:
            _table(document, [_("Groep"), _("Overgedragen"), _("Beantwoord"), _("Over de termijn"),
                              _("Antwoordtijd (mediaan)"), _("Antwoordtijd (90e percentiel)")], contacts["handovers"])

    document.add_heading(_("Hoe de cijfers geteld worden"), level=1)
    for text in DEFINITIONS:
        document.add_paragraph(_(text), style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DEFINITIONS = (
    N_("Dossiers: alle soorten samen: meldingen, e-mails (de infomailbox) en brieven (aangetekende post)."),
    N_("Binnengekomen: dossiers die in de periode geregistreerd werden; aandelen zijn delen van dat aantal, "
       "behalve per categorie: daar zijn het delen van de meldingen, want alleen meldingen hebben een categorie."),
    N_("Afgesloten: dossiers met hun afsluiting in de periode; de doorlooptijd loopt van registratie tot afsluiting."),
    N_("Eerste reactie: tijd tot het dossier voor het eerst in behandeling genomen werd."),
    N_("Binnen de termijn: afgesloten vóór de afhandeltermijn in werkdagen (weekends en feestdagen tellen niet); "
       "dossiers zonder termijn tellen niet mee."),
    N_("Open en over de termijn: de toestand op het einde van de periode, of op het moment van het rapport als de "
       "periode nog loopt; over de termijn zijn de open dossiers waarvan de termijn op dat moment verstreken was."),
    N_("Per behandelaarsgroep: elke actieve groep staat in de tabel, ook zonder dossiers in de periode."),
    N_("Heropeningsgraad: dossiers die in de periode heropend werden, gedeeld door de afgesloten dossiers."),
    N_("Tevredenheid: antwoorden op de vraag in de afsluitmail (tevreden of niet) die in de periode binnenkwamen."),
    N_("Aannemersopdrachten: opdrachten gegeven in de periode; doorlooptijd tot de aannemer uitvoering meldt."),
    N_("Eerste lijn: elk geregistreerd contact aan de telefoon of de balie telt; de eerstelijnsoplossing is het "
       "aandeel van de gesprekken dat meteen beantwoord werd (een tweede registratie van hetzelfde gesprek door een "
       "collega telt daar niet mee); de antwoordtijd van een overdracht loopt van het contact tot het antwoord van "
       "de groep."),
)


def quarterly_report(quarter: Quarter, progress: Optional[Callable[[str], None]] = None) -> tuple[bytes, ReportFigures]:
    """The quarterly report of `quarter` (all groups) as DOCX bytes, with the figures it shows."""
    previous = quarter.previous()
    report = gather(quarter.period, previous.period, progress=progress)
    return build_document(report, quarter_titles(quarter), progress), report


def quarterly_filename(quarter: Quarter) -> str:
    """'meldpunt-kwartaalrapport-2026Q3.docx'."""
    return f"meldpunt-kwartaalrapport-{quarter}.docx"


def period_titles(title: str, report_period_days: int, phrase: str) -> Titles:
    """Titles for a report over any period (a fortnight, a chosen range), compared with as many days before;
    `phrase` starts the summary ('Van 1 december 2026 tot en met 14 december 2026')."""
    previous = ngettext("de dag ervoor", "de {count} dagen ervoor", report_period_days)
    return Titles(title=title, current=_("Deze periode"), previous=_("De periode ervoor"),
                  period_phrase=phrase, previous_phrase=previous)
