"""Recognising the same mail again when only its line endings differ.

An IMAP server hands a message out with CRLF line ends; the same message saved by a mail client (or
copied onto a Unix disk) has LF, and the last line end may be dropped. Both are one mail: the intake
compares the hash of the bytes with CRLF made LF and trailing line ends cut. Nothing else is
normalised, so a genuinely different mail, even one reusing the same Message-ID, is still taken in.
"""
from __future__ import annotations

import hashlib


def content_sha256(raw: bytes) -> str:
    """The hash by which two copies of one mail with different line endings are the same."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip(b"\r\n")).hexdigest()
