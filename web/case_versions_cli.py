"""`meldpunt bpmn move KEY --from N --to M [--dry-run] [REF ...]`: move running cases to another version."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional

import click
from flask.cli import with_appcontext

from engine.db import db
from engine.errors import EngineError, NotFound
from handlers.case_versions import definition_version, move_cases

from .i18n import translate


@dataclass
class CommandLine:
    """Who moves the cases when it is done on the server: the audit says 'cli'."""

    id: Optional[int] = None
    display_name: str = "cli"


@click.command("move")
@click.argument("key")
@click.option("--from", "source_version", type=int, required=True, help="The version the cases run on now.")
@click.option("--to", "target_version", type=int, required=True, help="The version to move them to.")
@click.option("--dry-run", is_flag=True, help="Only check: say per case whether it can move and why not.")
@click.argument("references", nargs=-1)
@with_appcontext
def bpmn_move(key: str, source_version: int, target_version: int, dry_run: bool, references: tuple[str, ...]) -> None:
    """Move the running cases of KEY from one version to another (all, or the REFERENCES given)."""
    try:
        source = definition_version(key, source_version)
        target = definition_version(key, target_version)
    except NotFound:
        missing = target_version if source_version in _versions(key) else source_version
        click.echo(translate("Fout: het proces '{key}' heeft geen versie {version}", key=key, version=missing),
                   err=True)
        sys.exit(2)
    try:
        report = move_cases(source, target, CommandLine(), list(references) or None, dry_run=dry_run)
    except EngineError as err:
        db.session.rollback()
        click.echo(f"Fout: {err.message}", err=True)
        sys.exit(2)
    for verdict in report:
        if verdict.moved:
            outcome = translate("verplaatst naar {target}", target=verdict.target)
        elif verdict.movable:
            outcome = translate("kan verplaatst worden naar {target}", target=verdict.target)
        else:
            outcome = translate("blijft op {source}: {reasons}", source=verdict.source,
                                reasons="; ".join(translate(r) for r in verdict.reasons))
        click.echo(f"{verdict.reference}: {outcome}")
    moved = sum(v.moved for v in report)
    click.echo(translate("{moved} van {total} zaken verplaatst", moved=moved, total=len(report)) if not dry_run
               else translate("{movable} van {total} zaken kunnen verplaatst worden",
                              movable=sum(v.movable for v in report), total=len(report)))


def _versions(key: str) -> set[int]:
    from handlers.case_versions import versions_of

    return {v.version for v in versions_of(key)}
