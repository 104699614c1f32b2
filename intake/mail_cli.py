"""`meldpunt mail`: take in .eml files, or poll the info mailbox once."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("mail")
def mail_group() -> None:
    """The info mailbox: import .eml files, poll the IMAP mailbox."""


@mail_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(files: tuple[Path, ...]) -> None:
    """Take in mails from .eml files (each file once; importing it again does nothing)."""
    from .mail_intake import take_in
    from .mail_parse import looks_like_mail

    failed = 0
    for path in files:
        raw = path.read_bytes()
        if not looks_like_mail(raw):
            click.echo(f"{path}: not a mail message (no mail headers); nothing done")
            failed += 1
            continue
        result = take_in(raw)
        failed += result.outcome == "failed" and not result.already
        click.echo(f"{path}: {result}")
    if failed:
        sys.exit(1)


@mail_group.command("poll")
@with_appcontext
def poll_command() -> None:
    """Read the new messages of the IMAP mailbox now (the worker does this every MELDPUNT_IMAP_SECONDS)."""
    from .mailbox import poll

    report = poll()
    for result in report.results:
        click.echo(f"  {result}")
    click.echo(str(report))
    if report.error:
        sys.exit(2)
