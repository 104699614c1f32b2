"""`meldpunt files`: where the files are kept, copying them from the folder to a bucket, verifying them."""
from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask.cli import with_appcontext

from engine.clock import utcnow
from engine.settings import settings
from handlers.storage import FolderStorage, StorageUnavailable, bucket_storage, folder_path, storage, storage_status

from .storage_move import FilesReport, move_to_bucket, verify_files

UNREFERENCED_AGE_HOURS = 1


@click.group("files")
def files_group() -> None:
    """Files (photos, scans, attachments, letters, reports): status, move to a bucket, verify."""


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"


def _print_failures(report: FilesReport) -> None:
    if report.failures:
        click.echo(f"failed: {len(report.failures)}")
        for line in report.failures[:200]:
            click.echo(f"  {line}")
        if len(report.failures) > 200:
            click.echo(f"  ... and {len(report.failures) - 200} more")


@files_group.command("status")
@click.option("--write", is_flag=True, help="Also write and remove a probe file.")
@with_appcontext
def files_status(write: bool) -> None:
    """Whether the configured storage can be used (exit code 1 when not)."""
    ok, reason = storage_status(write=write)
    click.echo(f"{'ok' if ok else 'NOT OK'}: {reason}")
    sys.exit(0 if ok else 1)


@files_group.command("move-to-s3")
@click.option("--dry-run", is_flag=True, help="Check the folder against the database and count what would be "
              "copied; write nothing.")
@with_appcontext
def files_move_to_s3(dry_run: bool) -> None:
    """Copy every file from the storage folder to the bucket of MELDPUNT_S3_*, verifying each checksum.

    Resumable: files already in the bucket with the right checksum are left as they are. The folder is not
    changed and MELDPUNT_STORAGE is not switched: do that yourself once every file is verified.
    """
    config = settings()
    if not config.s3_bucket:
        click.echo("Error: set MELDPUNT_S3_BUCKET (and MELDPUNT_S3_ENDPOINT_URL, MELDPUNT_S3_ACCESS_KEY, "
                   "MELDPUNT_S3_SECRET_KEY where needed) to the bucket to copy to", err=True)
        sys.exit(2)
    source = FolderStorage(folder_path())
    target = bucket_storage()
    click.echo(f"from the folder {source.describe()} to {target.describe()}{' (dry run)' if dry_run else ''}")
    report = move_to_bucket(source, target, dry_run=dry_run, progress=lambda line: click.echo(line, err=True))
    if report.stopped:
        click.echo(f"Error: {report.stopped}", err=True)
        _print_failures(report)
        sys.exit(1)
    click.echo(f"files named in the database: {report.total}")
    done = "to copy" if dry_run else "copied and verified"
    click.echo(f"{done}: {report.copied} ({_megabytes(report.bytes_copied)})")
    click.echo(f"already in the bucket, verified: {report.already}")
    _print_failures(report)
    if report.unreferenced:
        click.echo(f"files in the folder that no case or report names (not copied): {report.unreferenced}")
    if not report.ok:
        click.echo("Not every file is in the bucket: fix the failures above and run the command again "
                   "(it resumes). Nothing was switched.")
        sys.exit(1)
    if dry_run:
        click.echo("Dry run: nothing was written.")
    elif config.storage == "s3":
        click.echo("Every file is in the bucket and verified. MELDPUNT_STORAGE is s3 already.")
    else:
        click.echo("Every file is in the bucket and verified. Nothing was switched: stop the web and worker "
                   "processes, run this command once more for files added meanwhile, set MELDPUNT_STORAGE=s3 and "
                   "start them again. The folder is left as it was.")


@files_group.command("verify")
@click.option("--remove-unreferenced", is_flag=True,
              help=f"Delete the files that no case or report names and that were written more than "
                   f"{UNREFERENCED_AGE_HOURS} hour ago (left by a process killed mid-upload).")
@with_appcontext
def files_verify(remove_unreferenced: bool) -> None:
    """Read every file the database names from the configured storage and check its checksum; list the files
    in the storage that nothing names."""
    store = storage()
    click.echo(f"verifying the files in {store.describe()}")
    before = utcnow() - timedelta(hours=UNREFERENCED_AGE_HOURS) if remove_unreferenced else None
    try:
        report = verify_files(store, progress=lambda line: click.echo(line, err=True),
                              remove_unreferenced_before=before)
    except StorageUnavailable as err:
        click.echo(f"Error: {err.reason}", err=True)
        sys.exit(1)
    click.echo(f"files named in the database: {report.total}")
    click.echo(f"verified: {report.verified}")
    _print_failures(report)
    if report.unreferenced:
        click.echo(f"files in the storage that no case or report names: {report.unreferenced}")
        if remove_unreferenced:
            click.echo(f"removed (written more than {UNREFERENCED_AGE_HOURS} hour ago): {report.removed}")
        for key in report.unreferenced_keys:
            click.echo(f"  {key}")
        kept = report.unreferenced - report.removed
        if kept > len(report.unreferenced_keys):
            click.echo(f"  ... and {kept - len(report.unreferenced_keys)} more")
        if not remove_unreferenced:
            click.echo("They were left by a process stopped between writing a file and saving its record; "
                       "`meldpunt files verify --remove-unreferenced` deletes those written more than "
                       f"{UNREFERENCED_AGE_HOURS} hour ago.")
    sys.exit(0 if report.ok else 1)
