"""Case files in the file storage (handlers/storage.py): type checked from the content, size limited, never
in process data.

Images are never kept as uploaded: store_file re-encodes them without metadata (handlers/photos.py).
A file is written to the storage before its row is committed, and removed again when that transaction
ends without a commit (storage.put_with_transaction).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO, Optional, Union, cast

from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case, CaseFile

from .photos import CleanImage, clean_image
from .storage import delete_after_commit, folder_path, new_key, put_with_transaction, storage

MAX_BYTES = 10 * 1024 * 1024
# What a file really is, read from its first bytes: a renamed .exe stays an .exe.
SIGNATURES = [(b"\xff\xd8\xff", "image/jpeg", ".jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
              (b"%PDF-", "application/pdf", ".pdf")]


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the content's signature, or None when it is not an allowed type."""
    for magic, content_type, ext in SIGNATURES:
        if content.startswith(magic):
            return content_type, ext
    return None


def storage_root() -> Path:
    """The folder of the folder storage (MELDPUNT_STORAGE_PATH), made when missing. Only the folder storage
    and the move command use it; everything else reads and writes through handlers.storage."""
    root = folder_path()
    root.mkdir(parents=True, exist_ok=True)
    return root


def store_file(case: Case, content: Union[bytes, CleanImage], filename: str, *, source: str, uploaded_by: str,
               public: bool = False, allowed: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf"),
               field: str = "file") -> CaseFile:
    """Check and save one file for a case; the row is added to the current transaction.

    An image is stored re-encoded without metadata; pass a CleanImage when the caller cleaned it already
    (to report a refused photo before anything was created). PhotoRefused (an InvalidInput) when an image
    has too many pixels or cannot be read.
    """
    if isinstance(content, CleanImage):
        cleaned: Optional[CleanImage] = content
    else:
        if not content:
            raise InvalidInput("the file is empty", {field: ["empty file"]})
        if len(content) > MAX_BYTES:
            raise InvalidInput("the file is too large", {field: [f"at most {MAX_BYTES // (1024 * 1024)} MB"]})
        kind = sniff(content)
        if kind is None or kind[0] not in allowed:
            raise InvalidInput("this file type is not accepted", {field: ["only " + ", ".join(allowed)]})
        cleaned = clean_image(content, field=field) if kind[0].startswith("image/") else None
    if cleaned is not None:
        if cleaned.content_type not in allowed:
            raise InvalidInput("this file type is not accepted", {field: ["only " + ", ".join(allowed)]})
        content, content_type, ext = cleaned.content, cleaned.content_type, cleaned.ext
    else:  # bytes that are not an image, sniffed above
        content, (content_type, ext) = cast(bytes, content), cast(tuple[str, str], kind)
    key = new_key(case.id, ext)
    put_with_transaction(key, content, content_type)  # StorageUnavailable (503) when it cannot be written
    safe_name = Path(filename or f"bestand{ext}").name[:200] or f"bestand{ext}"
    stored = CaseFile(case_id=case.id, filename=safe_name, content_type=content_type, size=len(content),
                      storage_key=key, sha256=hashlib.sha256(content).hexdigest(), public=public, source=source,
                      uploaded_by=uploaded_by, stripped=cleaned is not None)
    db.session.add(stored)
    return stored


def replace_content(stored: CaseFile, cleaned: CleanImage) -> str:
    """Store the re-encoded image as a new file for this row (the row's change is in the transaction); the
    original is deleted once the transaction commits, the new file when it does not. Returns the old key."""
    old = stored.storage_key
    key = new_key(stored.case_id, cleaned.ext)
    put_with_transaction(key, cleaned.content, cleaned.content_type)
    stored.storage_key, stored.content_type = key, cleaned.content_type
    stored.size, stored.sha256 = len(cleaned.content), hashlib.sha256(cleaned.content).hexdigest()
    stored.stripped = True
    delete_after_commit(old)
    return old


def open_file(stored: CaseFile) -> IO[bytes]:
    """An open binary file handle for a stored case file (FileNotFoundError when it is not in the storage)."""
    return storage().open(stored.storage_key)


def read_file(stored: CaseFile) -> bytes:
    """The bytes of a stored case file."""
    return storage().read(stored.storage_key)
