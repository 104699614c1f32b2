"""Copying the files from the storage folder to the bucket, every one verified (`meldpunt files move-to-s3`),
and checking that every file the database names is in a storage with its checksum (`meldpunt files verify`).

The database names every file it keeps (case_files, and report_runs with a storage key) with its sha256.
The move reads each file from the folder, checks it against that checksum, writes it to the bucket and
reads it back to check it again. A file that is in the bucket already with the right checksum is left as it
is, so the move can be stopped and run again (it resumes); a file whose copy in the bucket differs is
written again. Nothing is switched: the folder stays as it was, and MELDPUNT_STORAGE decides where
Meldpunt reads and writes, for the operator to change once the move reports every file verified.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from engine.db import db
from engine.models import CaseFile
from handlers.storage import FolderStorage, Storage, StorageUnavailable
from reports.models import ReportRun

PROGRESS_EVERY = 1000
UNREFERENCED_SHOWN = 50


@dataclass
class KeptFile:
    """One file the database names: what it is (for messages), its key, type and checksum."""

    label: str
    key: str
    content_type: str
    sha256: Optional[str]


@dataclass
class FilesReport:
    """What a move or a verification found."""

    total: int = 0
    copied: int = 0
    already: int = 0  # in the bucket already, checksum verified
    verified: int = 0  # `verify`: read back with the right checksum
    bytes_copied: int = 0
    failures: list[str] = field(default_factory=list)
    unreferenced: int = 0  # files in the folder (move) or the storage (verify) that no row names
    unreferenced_keys: list[str] = field(default_factory=list)  # verify: the first of them, kept
    removed: int = 0  # verify --remove-unreferenced: deleted
    stopped: Optional[str] = None  # why the run stopped before the end

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None


def kept_files() -> Iterator[KeptFile]:
    """Every file the database names, in a fixed order (case files by id, then report documents)."""
    rows = db.session.execute(select(CaseFile.id, CaseFile.case_id, CaseFile.storage_key, CaseFile.content_type,
                                     CaseFile.sha256).order_by(CaseFile.id).execution_options(yield_per=1000))
    for row in rows:
        yield KeptFile(f"file {row.id} of case {row.case_id}", row.storage_key, row.content_type, row.sha256)
    runs = db.session.execute(select(ReportRun.id, ReportRun.storage_key, ReportRun.content_type, ReportRun.sha256)
                              .where(ReportRun.storage_key.is_not(None)).order_by(ReportRun.id))
    for run in runs:
        yield KeptFile(f"report run {run.id}", run.storage_key, run.content_type or "application/octet-stream",
                       run.sha256)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _checked_in(target: Storage, kept: KeptFile) -> Optional[bool]:
    """None: not in the target; True: there with the right checksum; False: there with other bytes."""
    try:
        content = target.read(kept.key)
    except FileNotFoundError:
        return None
    return kept.sha256 is None or _sha256(content) == kept.sha256


def move_to_bucket(source: FolderStorage, target: Storage, *, dry_run: bool = False,
                   progress: Optional[Callable[[str], None]] = None) -> FilesReport:
    """Copy every file the database names from `source` to `target`, verifying each checksum twice."""
    report = FilesReport()
    usable, reason = target.status(write=not dry_run)
    if not usable:
        report.stopped = reason
        return report
    named: set[str] = set()
    for kept in kept_files():
        report.total += 1
        named.add(kept.key)
        if progress is not None and report.total % PROGRESS_EVERY == 0:
            progress(f"{report.total} files looked at, {report.copied} copied")
        try:
            there = _checked_in(target, kept)
            if there:
                report.already += 1
                continue
            try:
                content = source.read(kept.key)
            except FileNotFoundError:
                report.failures.append(f"{kept.label} ({kept.key}): not in the folder {source.describe()}")
                continue
            actual = _sha256(content)
            if kept.sha256 is not None and actual != kept.sha256:
                report.failures.append(f"{kept.label} ({kept.key}): the file in the folder has sha256 {actual}, "
                                       f"the database says {kept.sha256}; not copied")
                continue
            if dry_run:
                report.copied += 1
                report.bytes_copied += len(content)
                continue
            target.put(kept.key, content, kept.content_type)
            back = _checked_in(target, KeptFile(kept.label, kept.key, kept.content_type, actual))
            if not back:
                report.failures.append(f"{kept.label} ({kept.key}): the copy in the bucket does not have the "
                                       "same checksum")
                continue
            report.copied += 1
            report.bytes_copied += len(content)
        except StorageUnavailable as err:
            report.failures.append(f"{kept.label} ({kept.key}): {err.reason}")
            if len(report.failures) >= 20 and report.copied + report.already == 0:
                report.stopped = f"stopped after {len(report.failures)} failures and no success: {err.reason}"
                return report
        except OSError as err:
            report.failures.append(f"{kept.label} ({kept.key}): cannot read it from the folder: {err}")
    report.unreferenced = sum(1 for key in source.keys() if key not in named)
    return report


def verify_files(store: Storage, progress: Optional[Callable[[str], None]] = None,
                 remove_unreferenced_before: Optional[datetime] = None) -> FilesReport:
    """Read every file the database names from `store` and check its checksum; then list the files in `store`
    that no row names. Such a file is what a process killed between writing a file and committing its row leaves
    (a transaction that ends otherwise takes its files with it): counted in `unreferenced`, the first keys in
    `unreferenced_keys`, and with `remove_unreferenced_before` those written before that moment are deleted
    (`removed`); younger ones may belong to a transaction still running."""
    report = FilesReport()
    named: set[str] = set()
    for kept in kept_files():
        report.total += 1
        named.add(kept.key)
        if progress is not None and report.total % PROGRESS_EVERY == 0:
            progress(f"{report.total} files verified")
        try:
            there = _checked_in(store, kept)
        except (StorageUnavailable, OSError) as err:
            report.failures.append(f"{kept.label} ({kept.key}): {getattr(err, 'reason', err)}")
            continue
        if there is None:
            report.failures.append(f"{kept.label} ({kept.key}): missing")
        elif not there:
            report.failures.append(f"{kept.label} ({kept.key}): the checksum does not match the database")
        else:
            report.verified += 1
    for key in sorted(set(store.keys()) - named):
        report.unreferenced += 1
        written = store.modified(key)
        if remove_unreferenced_before is not None and written is not None and written < remove_unreferenced_before:
            store.delete(key)
            report.removed += 1
        elif len(report.unreferenced_keys) < UNREFERENCED_SHOWN:
            report.unreferenced_keys.append(f"{key} (written {written:%Y-%m-%d %H:%M} UTC)" if written else key)
    return report
