"""The reports dashboard: figures and charts for a chosen period and group, exports, the quarterly
report, and sending a fortnightly report now. For the rapportage, meldkamer and admin roles (all
groups) and group leads (their own groups)."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.settings import settings
from handlers.permissions import may
from reports.dashboard_cache import cached_charts, cached_gather
from reports.exports import XLSX_TYPE, cases_csv, cases_xlsx, figures_csv, figures_xlsx
from reports.fortnightly import desk_or_group, send_fortnightly
from reports.periods import CITY_TZ, local_today, parse_quarter, quarter_of
from reports.quarterly import DOCX_TYPE, build_document, quarter_titles, quarterly_filename
from reports.selection import (
    NotAllowed,
    Selection,
    SelectionError,
    parse_selection,
    report_groups_for,
)
from reports.summary import summary
from reports.tables import contact_rows, display_rows, key_figure_rows, period_phrase, period_text

from ..auth import requires
from ..i18n import current_language, translate, translate_plural
from . import bp


def _page(selection: Selection | None = None, error: str | None = None, status: int = 200):
    groups = report_groups_for(current_user)
    context: dict[str, Any]
    context = {"selection": selection, "error": error, "groups": groups,
               "all_groups": may(current_user, "reports.all_groups"), "args": request.args,
               "may_send": may(current_user, "reports.send"),
               "default_quarter": str(quarter_of(local_today(utcnow())).previous())}
    if selection is not None:
        # the page may show figures up to MELDPUNT_DASHBOARD_MAX_AGE old, with their time (the worker refreshes them)
        found = cached_gather(selection.period, selection.previous, selection.group_key,
                              max_age=timedelta(seconds=settings().dashboard_max_age))
        report = found.value
        language = current_language()
        images = cached_charts(report).value
        period = period_text(selection.period.first_day, selection.period.last_day, language)
        phrase = (f"In {selection.quarter.dutch_name}" if selection.quarter
                  else period_phrase(selection.period.first_day, selection.period.last_day))
        context.update(report=report, period=period, key_rows=key_figure_rows(report, language),
                       as_of=_as_of(found.as_of),
                       rows=display_rows(report, language), contact_rows=contact_rows(report, language),
                       previous=period_text(selection.previous.first_day, selection.previous.last_day, language),
                       summary=summary(report, phrase, "het vorige kwartaal" if selection.quarter
                                       else "de periode ervoor"),
                       charts={name: base64.b64encode(png).decode() for name, png in images.items()},
                       query=urlencode({"van": selection.period.first_day.isoformat(),
                                        "tot": selection.period.last_day.isoformat(),
                                        **({"groep": selection.group_key} if selection.group_key else {})}))
    return render_template("staff/dashboard.html", **context), status


def _as_of(moment: datetime | None) -> str | None:
    """When the shown figures were computed (None: they describe now): the local time, with the date if not today."""
    if moment is None:
        return None
    local = moment.astimezone(CITY_TZ)
    return f"{local:%H:%M}" if local.date() == local_today(utcnow()) else f"{local:%d/%m/%Y %H:%M}"


def _selection() -> Selection:
    """The checked period and group of this request; aborts with 403 for a group the user may not see."""
    try:
        return parse_selection(request.args if request.method == "GET" else request.form, current_user,
                               local_today(utcnow()))
    except NotAllowed:
        abort(403)


def _error(err: SelectionError):
    values = {key: translate(value) for key, value in err.values.items()}
    return _page(error=translate(err.message, **values), status=400)


def _filename(selection: Selection, what: str, extension: str) -> str:
    group = f"-{selection.group_key}" if selection.group_key else ""
    return f"{what}-{selection.period.first_day}-{selection.period.last_day}{group}.{extension}"


def _download(content, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                          "Cache-Control": "no-store"})


@bp.get("/rapporten")
@requires("reports.see")
def dashboard():
    """The figures of a period (default: this quarter) for all groups or one, with charts and exports."""
    try:
        return _page(_selection())
    except SelectionError as err:
        return _error(err)


@bp.get("/rapporten/dossiers.csv", defaults={"fmt": "csv"})
@bp.get("/rapporten/dossiers.xlsx", defaults={"fmt": "xlsx"})
@requires("reports.see")
def export_cases(fmt: str):
    """The dossiers (cases of every kind) created in the period as CSV or XLSX, without personal data of reporters."""
    try:
        selection = _selection()
    except SelectionError as err:
        return _error(err)
    name = _filename(selection, "dossiers", fmt)
    if fmt == "csv":
        lines = cases_csv(selection.period, selection.group_key)
        return _download(stream_with_context(lines), "text/csv; charset=utf-8", name)
    return _download(cases_xlsx(selection.period, selection.group_key), XLSX_TYPE, name)


@bp.get("/rapporten/cijfers.csv", defaults={"fmt": "csv"})
@bp.get("/rapporten/cijfers.xlsx", defaults={"fmt": "xlsx"})
@requires("reports.see")
def export_figures(fmt: str):
    """The figures of the period (the dashboard's tables) as CSV or XLSX."""
    try:
        selection = _selection()
    except SelectionError as err:
        return _error(err)
    report = cached_gather(selection.period, selection.previous, selection.group_key).value
    name = _filename(selection, "cijfers", fmt)
    if fmt == "csv":
        return _download(figures_csv(report), "text/csv; charset=utf-8", name)
    return _download(figures_xlsx(report), XLSX_TYPE, name)


@bp.get("/rapporten/kwartaalrapport")
@requires("reports.quarterly")
def quarterly_download():
    """The quarterly report of `kwartaal` (e.g. 2026Q3) as a Word document."""
    raw = (request.args.get("kwartaal") or "").strip()
    try:
        quarter = parse_quarter(raw)
    except ValueError:
        return _page(error=translate("'{value}' is geen kwartaal: gebruik de vorm 2026Q3.", value=raw[:20]),
                     status=400)
    report = cached_gather(quarter.period, quarter.previous().period).value  # as quarterly_report gathers it
    document = build_document(report, quarter_titles(quarter), images=cached_charts(report).value)
    return _download(document, DOCX_TYPE, quarterly_filename(quarter))


@bp.post("/rapporten/versturen")
@requires("reports.send")
def send_now():
    """Mail the fortnightly report of the chosen group (or the meldkamer's) for the chosen period now."""
    try:
        selection = _selection()
    except SelectionError as err:
        return _error(err)
    group = selection.group or desk_or_group(None)  # no group: the meldkamer's report, of all groups
    if not may(current_user, "reports.send", group):
        abort(403)
    delivery = send_fortnightly(group, selection.period, trigger="dashboard")
    if delivery.already is not None:
        sent_at = delivery.already.created_at.astimezone(CITY_TZ)
        flash(translate("Dit rapport werd al verstuurd op {date}.", date=f"{sent_at:%d/%m/%Y %H:%M}"), "error")
    elif delivery.skipped:
        flash(translate("Niet verstuurd: niemand om het rapport naar te sturen."), "error")
    else:
        flash(translate_plural("Rapport klaargezet voor {count} ontvanger.",
                               "Rapport klaargezet voor {count} ontvangers.", len(delivery.recipients)))
    query = {k: request.form[k] for k in ("van", "tot", "groep") if request.form.get(k)}
    return redirect(url_for("staff.dashboard", **query))
