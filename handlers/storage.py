"""Where Meldpunt keeps its files: one interface, a folder or an S3-compatible bucket.

Every file Meldpunt keeps (photos, scans, mail attachments and originals, reply letters, report documents)
goes through `storage()`: `FolderStorage` (the embedded default, files under MELDPUNT_STORAGE_PATH as
`<case id>/<random>.<ext>`) or `S3Storage` (MinIO, Ceph, a cloud bucket: MELDPUNT_STORAGE=s3 with
MELDPUNT_S3_BUCKET and friends, the same keys under MELDPUNT_S3_PREFIX). The database row names the key.

Nothing half-written: a file is written whole before its row is committed (a temporary file renamed into
place in the folder; one PUT, checked with its MD5, in the bucket). `put_with_transaction` remembers what
the current database transaction wrote, and when that transaction ends without a commit the files are
removed again, so a failed request leaves neither a row without its file nor a file without its row.
`delete_after_commit` removes a file only once the transaction that dropped its row has committed.

A storage that cannot be used (a wrong bucket, wrong credentials, a full disk, an endpoint that does not
answer) raises StorageUnavailable: a 503 whose page says nothing was saved. `storage_status()` says
whether the configured storage can be used, for readiness checks and `meldpunt check`.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Optional

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from engine.db import db
from engine.errors import EngineError
from engine.settings import settings

log = logging.getLogger(__name__)

# Files larger than this are spooled to a temporary file while they are read from the bucket.
SPOOL_BYTES = 8 * 1024 * 1024
PROBE_PREFIX = ".meldpunt-probe/"


class StorageUnavailable(EngineError):
    """The file storage cannot be used right now; nothing was saved. `reason` is for the log and operators."""

    status_code = 503

    def __init__(self, reason: str, *, writing: bool = True) -> None:
        super().__init__("the file storage cannot be reached right now; " +
                         ("nothing was saved" if writing else "try again later"))
        self.reason = reason


def check_key(key: str) -> str:
    """A key is a relative path of plain names ("12/ab34.jpg"): no "..", no leading "/", no backslash."""
    parts = PurePosixPath(key).parts
    if not key or "\\" in key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def new_key(folder: str | int, ext: str) -> str:
    """A fresh, unguessable key in `folder` (a case id, or "reports") with extension `ext` (".pdf")."""
    return check_key(f"{folder}/{secrets.token_hex(16)}{ext}")


class Storage(ABC):
    """One place where files are kept, addressed by key."""

    kind = ""

    @abstractmethod
    def put(self, key: str, content: bytes, content_type: str = "application/octet-stream") -> None:
        """Write the whole file under `key` (replacing any); StorageUnavailable when it cannot."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """An open binary file to read; FileNotFoundError when there is no such file."""

    def read(self, key: str) -> bytes:
        """The whole file; FileNotFoundError when there is no such file."""
        with self.open(key) as handle:
            return handle.read()

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file; nothing happens when it is not there."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is kept under `key`."""

    def copy(self, source: str, target: str, content_type: str = "application/octet-stream") -> None:
        """Keep a copy of `source` under `target`."""
        self.put(target, self.read(source), content_type)

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every key kept (for the move command and for checks), in no particular order."""

    @abstractmethod
    def modified(self, key: str) -> Optional[datetime]:
        """When the file was last written (UTC), or None when there is no such file."""

    @abstractmethod
    def status(self, write: bool = False) -> tuple[bool, str]:
        """(usable, reason): reachable and readable, and with `write` also writable (a probe file is written
        and removed). The reason is one line for an operator."""

    @abstractmethod
    def describe(self) -> str:
        """Where the files are, for messages: a folder path or s3://bucket/prefix."""


class FolderStorage(Storage):
    """Files in a folder on this machine (or a shared mount): the embedded default."""

    kind = "folder"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, content: bytes, content_type: str = "application/octet-stream") -> None:
        target = self.path(key)
        temporary = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(temporary, 0o640)  # mkstemp makes it 0600; the group may read (backups), others not
            os.replace(temporary, target)  # whole or not at all: a crash leaves at most a hidden .upload- file
        except OSError as err:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {target}: {err.strerror or err}") from err

    def open(self, key: str) -> IO[bytes]:
        path = self.path(key)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise
        except OSError as err:  # unreadable, a mount that went away
            raise StorageUnavailable(f"cannot read {path}: {err.strerror or err}", writing=False) from err

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def modified(self, key: str) -> Optional[datetime]:
        try:
            return datetime.fromtimestamp(self.path(key).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def keys(self) -> Iterator[str]:
        for folder, subfolders, files in os.walk(self.root):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]  # probes
            for name in files:
                if not name.startswith("."):  # an .upload- file a crash left behind is no file
                    yield (Path(folder) / name).relative_to(self.root).as_posix()

    def status(self, write: bool = False) -> tuple[bool, str]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            return False, f"storage folder {self.root} cannot be created: {err.strerror or err}"
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            return False, f"storage folder {self.root} is not readable and writable by this process"
        if write:
            probe = f"{PROBE_PREFIX}{secrets.token_hex(8)}"
            try:
                self.put(probe, b"probe")
                self.delete(probe)
            except (StorageUnavailable, OSError) as err:
                return False, f"storage folder {self.root}: {getattr(err, 'reason', err)}"
        return True, f"storage folder {self.root}"

    def describe(self) -> str:
        return str(self.root)


class S3Storage(Storage):
    """Files in an S3-compatible bucket (MinIO, Ceph, a cloud bucket), through boto3."""

    kind = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: Optional[str] = None,
                 region: Optional[str] = None, access_key: Optional[str] = None,
                 secret_key: Optional[str] = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self._options = {"region": region, "access_key": access_key, "secret_key": secret_key}
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client (thread-safe; made once)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"},
                        # Path-style addressing and checksums only where S3 needs them: what MinIO, Ceph and
                        # older S3-compatible servers understand. Uploads carry their own MD5 (put below).
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                        request_checksum_calculation="when_required", response_checksum_validation="when_required")
                    self._client = boto3.session.Session().client(
                        "s3", endpoint_url=self.endpoint_url, region_name=self._options["region"],
                        aws_access_key_id=self._options["access_key"],
                        aws_secret_access_key=self._options["secret_key"], config=config)
        return self._client

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _unavailable(self, err: Exception, doing: str, writing: bool = True) -> StorageUnavailable:
        reason = f"{doing} in {self.describe()}: {explain_s3_error(err, self.bucket, self.endpoint_url)}"
        log.error("file storage unavailable: %s", reason)
        return StorageUnavailable(reason, writing=writing)

    def put(self, key: str, content: bytes, content_type: str = "application/octet-stream") -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        md5 = base64.b64encode(hashlib.md5(content, usedforsecurity=False).digest()).decode()
        try:  # one PUT: the server keeps the whole object or none, and refuses one whose MD5 differs
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=content,
                                   ContentType=content_type, ContentMD5=md5,
                                   Metadata={"sha256": hashlib.sha256(content).hexdigest()})
        except (BotoCoreError, ClientError) as err:
            raise self._unavailable(err, f"cannot write {key}") from err

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
            for chunk in answer["Body"].iter_chunks(1024 * 1024):
                spooled.write(chunk)
        except ClientError as err:
            if _error_code(err) in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(f"no file {key} in {self.describe()}") from err
            raise self._unavailable(err, f"cannot read {key}", writing=False) from err
        except BotoCoreError as err:
            raise self._unavailable(err, f"cannot read {key}", writing=False) from err
        spooled.seek(0)
        return spooled  # a binary file: read, seek, close, a context manager

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as err:
            raise self._unavailable(err, f"cannot delete {key}") from err

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def head(self, key: str) -> Optional[dict[str, Any]]:
        """The object's size and metadata, or None when there is no such object."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
            return answer
        except ClientError as err:
            if _error_code(err) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._unavailable(err, f"cannot look up {key}", writing=False) from err
        except BotoCoreError as err:
            raise self._unavailable(err, f"cannot look up {key}", writing=False) from err

    def modified(self, key: str) -> Optional[datetime]:
        head = self.head(key)
        return None if head is None else head["LastModified"].astimezone(UTC)

    def copy(self, source: str, target: str, content_type: str = "application/octet-stream") -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # inside the bucket: the bytes never pass through this process
            self.client.copy_object(Bucket=self.bucket, Key=self.object_key(target),
                                    CopySource={"Bucket": self.bucket, "Key": self.object_key(source)})
        except ClientError as err:
            if _error_code(err) in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(f"no file {source} in {self.describe()}") from err
            raise self._unavailable(err, f"cannot copy {source}") from err
        except BotoCoreError as err:
            raise self._unavailable(err, f"cannot copy {source}") from err

    def keys(self) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if not key.startswith(PROBE_PREFIX):
                        yield key
        except (BotoCoreError, ClientError) as err:
            raise self._unavailable(err, "cannot list the files", writing=False) from err

    def status(self, write: bool = False) -> tuple[bool, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            if write:
                probe = self.object_key(f"{PROBE_PREFIX}{secrets.token_hex(8)}")
                self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"probe")
                self.client.delete_object(Bucket=self.bucket, Key=probe)
        except (BotoCoreError, ClientError) as err:
            return False, f"storage {self.describe()}: {explain_s3_error(err, self.bucket, self.endpoint_url)}"
        return True, f"storage {self.describe()}"

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def explain_s3_error(err: Exception, bucket: str, endpoint_url: Optional[str]) -> str:
    """One line saying what is wrong, in the operator's terms (which setting to look at)."""
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, PartialCredentialsError

    code = _error_code(err)
    if code in ("NoSuchBucket", "404", "NotFound"):
        return f"bucket '{bucket}' does not exist (MELDPUNT_S3_BUCKET)"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AccessDenied", "Forbidden",
                "InvalidToken", "ExpiredToken"):
        return (f"access to bucket '{bucket}' denied ({code}): check MELDPUNT_S3_ACCESS_KEY and "
                "MELDPUNT_S3_SECRET_KEY and the bucket's policy")
    if isinstance(err, (NoCredentialsError, PartialCredentialsError)):
        return "no credentials: set MELDPUNT_S3_ACCESS_KEY and MELDPUNT_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID/...)"
    if isinstance(err, EndpointConnectionError):
        return f"cannot connect to {endpoint_url or 'the S3 endpoint'} (MELDPUNT_S3_ENDPOINT_URL)"
    return f"{code or type(err).__name__}: {' '.join(str(err).split())[:300]}"


# One storage object per configuration: the S3 client keeps its connections between requests.
_made: dict[tuple[Any, ...], Storage] = {}
_made_lock = threading.Lock()


def storage() -> Storage:
    """The configured storage (MELDPUNT_STORAGE): the folder, or the bucket."""
    config = settings()
    if config.storage == "s3":
        wanted: tuple[Any, ...] = ("s3", config.s3_bucket, config.s3_prefix, config.s3_endpoint_url, config.s3_region,
                                   config.s3_access_key, config.s3_secret_key)
    else:
        wanted = ("folder", folder_path())
    found = _made.get(wanted)
    if found is None:
        with _made_lock:
            found = _made.get(wanted)
            if found is None:
                found = _make(wanted)
                _made[wanted] = found
    return found


def folder_path() -> Path:
    """MELDPUNT_STORAGE_PATH: the folder of the folder storage, and what the move command copies from."""
    folder = settings().storage_path
    if not folder:  # create_app always sets it; outside an app there is no folder to write to
        raise RuntimeError("no storage folder outside an app (MELDPUNT_STORAGE_PATH)")
    return Path(folder)


def bucket_storage() -> S3Storage:
    """The bucket of the MELDPUNT_S3_* settings, whatever MELDPUNT_STORAGE says (the move command's target)."""
    config = settings()
    made = _make(("s3", config.s3_bucket, config.s3_prefix, config.s3_endpoint_url, config.s3_region,
                  config.s3_access_key, config.s3_secret_key))
    assert isinstance(made, S3Storage)
    return made


def _make(wanted: tuple[Any, ...]) -> Storage:
    if wanted[0] == "folder":
        return FolderStorage(wanted[1])
    _, bucket, prefix, endpoint_url, region, access_key, secret_key = wanted
    if not bucket:
        raise StorageUnavailable("MELDPUNT_STORAGE=s3 needs MELDPUNT_S3_BUCKET")
    return S3Storage(bucket, prefix=prefix or "", endpoint_url=endpoint_url, region=region, access_key=access_key,
                     secret_key=secret_key)


def storage_status(write: bool = False) -> tuple[bool, str]:
    """(ok, reason) for the configured storage: reachable, the bucket there and the credentials accepted
    (with `write`: a probe file written and removed too). For /readyz and `meldpunt check`; never raises."""
    try:
        return storage().status(write=write)
    except StorageUnavailable as err:
        return False, err.reason
    except Exception as err:  # a readiness check answers, whatever went wrong
        log.exception("storage status failed")
        return False, f"storage: {type(err).__name__}: {err}"


# -- the database transaction's files ---------------------------------------------------------------------

_WRITTEN = "meldpunt_storage_written"  # session.info: (storage, key) written in the open transaction
_DOOMED = "meldpunt_storage_doomed"  # session.info: (storage, key) to delete once the transaction commits


def put_with_transaction(key: str, content: bytes, content_type: str = "application/octet-stream") -> None:
    """Write the file now; remove it again when the current database transaction ends without a commit."""
    store = storage()
    store.put(key, content, content_type)
    db.session.info.setdefault(_WRITTEN, []).append((store, key))


def copy_with_transaction(source: str, target: str, content_type: str = "application/octet-stream") -> None:
    """Copy a kept file now; remove the copy again when the current transaction ends without a commit."""
    store = storage()
    store.copy(source, target, content_type)
    db.session.info.setdefault(_WRITTEN, []).append((store, target))


def delete_after_commit(key: str) -> None:
    """Delete the file once the current transaction (which drops or repoints its row) has committed."""
    db.session.info.setdefault(_DOOMED, []).append((storage(), key))


def _remove(pairs: list[tuple[Storage, str]], why: str) -> None:
    for store, key in pairs:
        try:
            store.delete(key)
        except (StorageUnavailable, OSError) as err:
            log.error("could not delete %s (%s) from %s: %s", key, why, store.describe(), getattr(err, "reason", err))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction decides
        return
    session.info.pop(_WRITTEN, None)  # committed with their rows: kept
    _remove(session.info.pop(_DOOMED, []), "its row was deleted")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint or a subtransaction: the outer one decides
        return
    # Ended without a commit (rolled back, or the session closed): the files written for it have no row.
    _remove(session.info.pop(_WRITTEN, []), "its transaction was rolled back")
    session.info.pop(_DOOMED, None)
