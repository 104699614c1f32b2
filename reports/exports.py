"""Exports for people's own analysis: the cases of a period and the figures, as CSV and XLSX.

The case export holds no personal data of reporters (no name, e-mail, phone, address or description):
only what a case is about, where it went and how fast. CSV is written for Flemish spreadsheets
(semicolons, decimal comma, UTF-8 with BOM); XLSX holds real numbers and dates.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from typing import Any, Optional

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine.db import db
from engine.models import Case
from handlers.models import Category, HandlerGroup

from .bundle import ReportFigures
from .figures import _group_id
from .periods import CITY_TZ, Period
from .tables import NO_CATEGORY, NO_GROUP, breakdown_rows, channel_name, key_figure_values, kind_name

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CASE_COLUMNS = ["Referentie", "Soort", "Aangemaakt", "Afgesloten", "Status", "Groep", "Hoofdcategorie", "Subcategorie",
                "Kanaal", "Termijn", "Binnen termijn afgesloten", "Doorlooptijd (uren)"]
BATCH = 2000


def _local(value: Optional[datetime]) -> Optional[datetime]:
    return value.astimezone(CITY_TZ).replace(tzinfo=None) if value is not None else None


def case_rows(period: Period, group_key: Optional[str] = None) -> Iterator[list[Any]]:
    """The cases created in the period (of one group or all), oldest first, as export rows with raw values."""
    group_id = _group_id(group_key)
    sub, main = aliased(Category), aliased(Category)
    query = (select(Case.reference, Case.kind, Case.created_at, Case.closed_at, Case.status, HandlerGroup.name,
                    main.name, sub.name, Case.channel, Case.deadline_at)
             .outerjoin(HandlerGroup, HandlerGroup.id == Case.group_id)
             .outerjoin(sub, sub.id == Case.category_id).outerjoin(main, main.id == sub.parent_id)
             .where(Case.created_at >= period.start, Case.created_at < period.end)
             .order_by(Case.created_at, Case.id).execution_options(yield_per=BATCH))
    if group_id is not None:
        query = query.where(Case.group_id == group_id)
    for ref, kind, created, closed, status, group, main_name, sub_name, channel, deadline in db.session.execute(query):
        on_time = None if closed is None or deadline is None else closed <= deadline
        hours = round((closed - created).total_seconds() / 3600, 1) if closed is not None else None
        yield [ref, kind_name(kind), _local(created), _local(closed), status, group or NO_GROUP,
               main_name or sub_name or NO_CATEGORY, sub_name if main_name else None, channel_name(channel),
               _local(deadline), on_time, hours]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _csv_lines(rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def cases_csv(period: Period, group_key: Optional[str] = None) -> Iterator[str]:
    """The case export as CSV text, streamed line by line (checks the group before the first line)."""
    _group_id(group_key)
    return _csv_lines(chain([CASE_COLUMNS], case_rows(period, group_key)))


def _xlsx(sheets: list[tuple[str, list[str], Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    for title, head, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(head)
        for row in rows:
            sheet.append(["ja" if v is True else "nee" if v is False else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cases_xlsx(period: Period, group_key: Optional[str] = None) -> bytes:
    """The case export as an XLSX workbook (one sheet 'Dossiers')."""
    return _xlsx([("Dossiers", CASE_COLUMNS, case_rows(period, group_key))])


def figure_sheets(report: ReportFigures) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The figures as (sheet, head, rows) with raw values: shares as fractions, durations in hours."""
    rows = breakdown_rows(report)
    return [
        ("Kerncijfers", ["Cijfer", "Soort", "Deze periode", "Vorige periode"],
         [[label, {"count": "aantal", "share": "aandeel", "hours": "uren"}[kind], now, before]
          for label, kind, now, before in key_figure_values(report)]),
        ("Per soort dossier", ["Soort dossier", "Dossiers", "Aandeel"], [list(r) for r in rows["kinds"]]),
        ("Per groep", ["Groep", "Dossiers", "Aandeel", "Afgesloten", "Doorlooptijd mediaan (uren)"],
         [list(r) for r in rows["groups"]]),
        ("Meldingen per hoofdcategorie", ["Hoofdcategorie", "Meldingen", "Aandeel"], [list(r) for r in rows["main"]]),
        ("Meldingen per subcategorie", ["Hoofdcategorie", "Subcategorie", "Meldingen", "Aandeel"],
         [list(r) for r in rows["sub"]]),
        ("Per kanaal", ["Kanaal", "Dossiers", "Aandeel"], [list(r) for r in rows["channels"]]),
        ("Per week", ["Jaar", "Week", "Maandag", "Dossiers"],
         [[w.year, w.week, w.monday, w.count] for w in report.weeks]),
    ]


def figures_xlsx(report: ReportFigures) -> bytes:
    """The figures as an XLSX workbook, one sheet per table."""
    return _xlsx(figure_sheets(report))


def figures_csv(report: ReportFigures) -> str:
    """The figures as one CSV: a first column naming the table, then its columns."""
    lines = []
    for title, head, rows in figure_sheets(report):
        lines.append(["Tabel", *head])
        lines += [[title, *row] for row in rows]
        lines.append([])
    return "".join(_csv_lines(lines))
