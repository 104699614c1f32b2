"""The local services some tests need, and what happens when one is missing.

Browser tests (marker `browser`) drive Debian's Chromium, mailbox tests (`imap`) start Debian's Dovecot, OCR
tests (`ocr`) run Debian's Tesseract with its Dutch language data, and PostgreSQL tests (`postgres`) use the
server at MELDPUNT_TEST_POSTGRES_URL. On a developer's machine a missing service skips those tests with a reason
that says how to get it. In CI (MELDPUNT_CI=1, exported by .ci/run) nothing may be left out: a missing service
fails the tests that need it.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("MELDPUNT_CI", "") not in ("", "0")
POSTGRES_URL = os.environ.get("MELDPUNT_TEST_POSTGRES_URL") or None
CHROMIUM = "/usr/bin/chromium"
DOVECOT = "/usr/sbin/dovecot"
TESSERACT = "/usr/bin/tesseract"


def backends(postgres_url: str | None = POSTGRES_URL, in_ci: bool = IN_CI) -> list[str]:
    """The databases every app test runs on: SQLite always; PostgreSQL with a URL, and always in CI (where it
    fails without one rather than being left out)."""
    return ["sqlite"] + (["postgresql"] if postgres_url or in_ci else [])


def missing(service: str, how: str) -> None:
    """Skip the running test (outside CI) or fail it (in CI) because `service` is not there."""
    if IN_CI:
        pytest.fail(f"{service} is missing, and CI (MELDPUNT_CI) runs every test: {how}", pytrace=False)
    pytest.skip(f"{service} is missing: {how}")


def chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


def dovecot_missing() -> bool:
    return not os.path.exists(DOVECOT)


def tesseract_missing() -> bool:
    """No Tesseract, or no Dutch language data for it (what reading letters' scans needs)."""
    if not os.path.exists(TESSERACT):
        return True
    try:
        listed = subprocess.run([TESSERACT, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    return "nld" not in listed.split()


def require(marker: str) -> None:
    """Make sure the service behind `marker` (browser, imap, postgres) is there, else skip or fail."""
    if marker == "browser" and chromium_missing():
        missing(f"Chromium ({CHROMIUM})", "install Debian's chromium with `apt-get install chromium` (.ci/run does)")
    elif marker == "imap" and dovecot_missing():
        missing(f"Dovecot ({DOVECOT})", "install it with `apt-get install dovecot-imapd` (.ci/run does)")
    elif marker == "ocr" and tesseract_missing():
        missing(f"Tesseract with Dutch language data ({TESSERACT}, nld)",
                "install it with `apt-get install tesseract-ocr tesseract-ocr-nld` (.ci/run does)")
    elif marker == "postgres" and not POSTGRES_URL:
        missing("PostgreSQL (MELDPUNT_TEST_POSTGRES_URL is not set)",
                "set MELDPUNT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test")


def summary() -> str:
    """One header line: which services this run has (pytest prints it before the tests)."""
    found = {"chromium": not chromium_missing(), "dovecot": not dovecot_missing(),
             "tesseract": not tesseract_missing(),
             "postgresql": POSTGRES_URL is not None, "openssl": shutil.which("openssl") is not None}
    have = ", ".join(f"{name} {'yes' if ok else 'MISSING'}" for name, ok in found.items())
    rule = "CI: a missing service fails" if IN_CI else "not CI: a missing service skips"
    return f"meldpunt test services: {have}; {rule}"
