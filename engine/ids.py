"""Database ids as they arrive from outside (a URL, a form field, a query parameter).

Every key is a BIGINT on PostgreSQL and a 64-bit INTEGER on SQLite, so a number past 2**63 - 1 cannot be an
id: PostgreSQL answers "bigint out of range" and Python's sqlite3 refuses to bind it. Such a number, like
text that is not plain ASCII digits ("²".isdigit() is true, but int("²") fails), is simply no id.
"""
from __future__ import annotations

import re
from typing import Optional

BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(text: object) -> Optional[int]:
    """The id written in `text` (ASCII digits, 1 to BIGINT_MAX), else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 < text <= BIGINT_MAX else None
    if not isinstance(text, str) or not _DIGITS.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if 0 < value <= BIGINT_MAX else None
