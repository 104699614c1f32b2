"""`meldpunt report ...`: the quarterly report as DOCX, the fortnightly reports on demand.

Registered in web/cli.py; long runs say on stderr what they are doing.
"""
from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Optional, cast

import click
from flask.cli import with_appcontext

from engine.clock import utcnow

from .delivery import Delivery
from .fortnightly import desk_or_group, figures_for, send_fortnightly
from .periods import Period, days_period, local_today, parse_quarter
from .quarterly import build_document, period_titles, quarterly_report
from .scheduled import send_quarterly
from .tables import period_phrase, period_text

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def _progress(text: str) -> None:
    click.echo(text, err=True)


def _quarter(_ctx, _param, value: str):
    try:
        return parse_quarter(value)
    except ValueError as err:
        raise click.BadParameter(f"'{value}' is geen kwartaal: gebruik de vorm 2026Q3") from err


def _date(_ctx, param, value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise click.BadParameter(f"'{value}' is geen datum: gebruik de vorm 2026-11-30")


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as err:
        raise click.ClickException(f"kan {out} niet schrijven: {err.strerror or err}") from err


def _report_delivery(delivery: Delivery, what: str) -> None:
    if delivery.already is not None:
        click.echo(f"{what} werd al verstuurd op {delivery.already.created_at:%d/%m/%Y %H:%M} (UTC); "
                   f"niets opnieuw verstuurd.", err=True)
        sys.exit(1)
    if delivery.skipped:
        click.echo(f"{what} niet verstuurd: {delivery.skipped}", err=True)
        sys.exit(1)
    click.echo(f"{what} klaargezet in de outbox voor {len(delivery.recipients)} ontvanger(s): "
               f"{', '.join(delivery.recipients)}")


@click.group("report")
def report_group() -> None:
    """Reports: the quarterly report (DOCX) and the fortnightly reports."""


@report_group.command("quarterly")
@click.argument("quarter", metavar="KWARTAAL", callback=_quarter)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the DOCX to this file.")
@click.option("--send", is_flag=True, help="Mail it now to MELDPUNT_REPORT_RECIPIENTS (once per quarter).")
@with_appcontext
def quarterly_command(quarter, out: Optional[Path], send: bool) -> None:
    """The quarterly report of KWARTAAL (in the form 2026Q3) as a Word document."""
    if not out and not send:
        raise click.UsageError("geef --out BESTAND.docx of --send")
    if out:
        document, report = quarterly_report(quarter, _progress)
        _write(out, document)
        click.echo(f"{out}: kwartaalrapport {quarter}, {report.current.created} dossiers, {len(document):,} bytes")
    if send:
        _report_delivery(send_quarterly(quarter, trigger="cli", progress=_progress),
                         f"Kwartaalrapport {quarter}")


def fortnight(start: Optional[date], end: Optional[date], today: date) -> Period:
    """The period from --from/--to: both given, one (14 days from or up to it), or none (the 14 days up to
    yesterday). ValueError when the end is before the start."""
    if start is None and end is None:
        end = today - timedelta(days=1)
    if start is None:
        start = cast(date, end) - timedelta(days=13)  # set just above when both were missing
    if end is None:
        end = start + timedelta(days=13)
    if end < start:
        raise ValueError(f"--to ({end}) ligt voor --from ({start})")
    return days_period(start, end)


@report_group.command("fortnightly")
@click.option("--desk", is_flag=True, help="The meldkamer report (all dossiers).")
@click.option("--group", "group_key", metavar="KEY", help="The report of this handler group.")
@click.option("--from", "start", callback=_date, help="First day (default: 14 days before yesterday).")
@click.option("--to", "end", callback=_date, help="Last day (default: yesterday).")
@click.option("--send", is_flag=True, help="Mail it to the desk or group now (once per period).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write it as DOCX to this file.")
@with_appcontext
def fortnightly_command(desk: bool, group_key: Optional[str], start: Optional[date], end: Optional[date],
                        send: bool, out: Optional[Path]) -> None:
    """A fortnightly report on demand, for any period: --desk or --group KEY, and --send or --out FILE."""
    if desk == bool(group_key):
        raise click.UsageError("geef --desk of --group KEY (één van beide)")
    if send == bool(out):
        raise click.UsageError("geef --send of --out BESTAND (één van beide)")
    group = desk_or_group(None if desk else group_key)
    if group is None or group.kind == "external":
        raise click.BadParameter(f"geen behandelaarsgroep '{group_key}'", param_hint="--group")
    try:
        period = fortnight(start, end, local_today(utcnow()))
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    what = f"Rapport {group.name} {period_text(period.first_day, period.last_day)}"
    if send:
        _report_delivery(send_fortnightly(group, period, trigger="cli", progress=_progress), what)
        return
    report = figures_for(group, period, _progress)
    title = "Tweewekelijks rapport" if period.days == 14 else "Rapport"
    if group.key == "meldkamer":  # the desk's report covers every dossier; a group's names the group itself
        title += " meldkamer"
    titles = period_titles(title, period.days, period_phrase(period.first_day, period.last_day))
    document = build_document(report, titles, _progress)
    _write(cast(Path, out), document)  # --out is given when --send is not
    click.echo(f"{out}: {what.lower()}, {report.current.created} dossiers, {len(document):,} bytes")

