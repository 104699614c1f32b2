"""Configuration from environment variables with the MELDPUNT_ prefix, safe defaults for embedded use."""
from __future__ import annotations

import os
from pathlib import Path
from typing import overload

from .secret_key import secret_key
from .security_config import security_settings


@overload
def _env(name: str, default: str) -> str: ...
@overload
def _env(name: str, default: None = None) -> str | None: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MELDPUNT_{name}", default)


class Config:
    """Read once at app creation; every setting can be overridden by a MELDPUNT_* variable."""

    def __init__(self, instance_path: str) -> None:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        default_db = f"sqlite:///{Path(instance_path) / 'meldpunt.sqlite'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_db_url(_env("DATABASE_URL", default_db))
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY = secret_key(_env("SECRET_KEY"), instance_path, _env("ENV"))
        self.MELDPUNT_BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")
        self.MELDPUNT_STORAGE_PATH = _env("STORAGE_PATH", str(Path(instance_path) / "files"))
        self.MELDPUNT_SCHEDULER = _env("SCHEDULER", "off") == "on"
        self.MELDPUNT_TICK_SECONDS = int(_env("TICK_SECONDS", "30"))
        self.MELDPUNT_REACTION_WINDOW = _env("REACTION_WINDOW", "P5D")
        self.MELDPUNT_CONTRACTOR_REMINDER = _env("CONTRACTOR_REMINDER", "P3D")
        self.MELDPUNT_CONTRACTOR_ESCALATION = _env("CONTRACTOR_ESCALATION", "P7D")
        self.MELDPUNT_SESSION_MINUTES = int(_env("SESSION_MINUTES", "60"))
        self.MELDPUNT_SMTP_HOST = _env("SMTP_HOST")  # unset: mails stay on the admin outbox page
        self.MELDPUNT_SMTP_PORT = int(_env("SMTP_PORT", "25"))
        self.MELDPUNT_SMTP_STARTTLS = (_env("SMTP_STARTTLS", "off") or "").lower() in ("on", "true", "1", "yes")
        self.MELDPUNT_SMTP_USER = _env("SMTP_USER")
        self.MELDPUNT_SMTP_PASSWORD = _env("SMTP_PASSWORD")
        self.MELDPUNT_SMTP_TIMEOUT = int(_env("SMTP_TIMEOUT", "30"))
        self.MELDPUNT_SMTP_MAX_ATTEMPTS = int(_env("SMTP_MAX_ATTEMPTS", "6"))
        # How long a sender holds the mails it claimed: after a crash they wait this long (notifications/sender.py).
        self.MELDPUNT_SMTP_CLAIM_SECONDS = int(_env("SMTP_CLAIM_SECONDS", "300"))
        self.MELDPUNT_MAIL_FROM = _env("MAIL_FROM", "Meldpunt <meldpunt@localhost>")
        self.MELDPUNT_MAIL_REPLY_TO = _env("MAIL_REPLY_TO")
        self.MELDPUNT_CITY_NAME = _env("CITY_NAME")
        # The letterhead of reply letters to incoming post (handlers/letters.py).
        self.MELDPUNT_CITY_ADDRESS = _env("CITY_ADDRESS")
        self.MELDPUNT_CITY_PHONE = _env("CITY_PHONE")
        self.MELDPUNT_CITY_WEBSITE = _env("CITY_WEBSITE")
        # Answer deadline per kind of letter, in calendar days ("30") or working days ("20w"); see
        # handlers/post_deadlines.py for where the defaults come from.
        self.MELDPUNT_POST_DEADLINES = _env("POST_DEADLINES", "vraag=30,klacht=45,bezwaar=30,factuur=30")
        self.MELDPUNT_REPORT_RECIPIENTS = _env("REPORT_RECIPIENTS", "")  # comma-separated: the quarterly report
        self.MELDPUNT_OUTBOX_SECONDS = int(_env("OUTBOX_SECONDS", "30"))
        self.MELDPUNT_FEEDBACK_DAYS = int(_env("FEEDBACK_DAYS", "14"))
        # Infomail: working days a handler group gets to answer; days to wait for the citizen's reply.
        self.MELDPUNT_MAIL_ANSWER_DAYS = int(_env("MAIL_ANSWER_DAYS", "10"))
        self.MELDPUNT_MAIL_REPLY_DAYS = int(_env("MAIL_REPLY_DAYS", "14"))
        self.MELDPUNT_ANONYMISE_MONTHS = int(_env("ANONYMISE_MONTHS", "12"))
        self.MELDPUNT_CONTRACTOR_LINK_DAYS = int(_env("CONTRACTOR_LINK_DAYS", "30"))
        # Uploaded images with more pixels are refused before they are decoded (handlers/photos.py).
        self.MELDPUNT_PHOTO_MAX_PIXELS = int(_env("PHOTO_MAX_PIXELS", "40000000"))
        # The info mailbox (intake/mailbox.py): polled only when MELDPUNT_IMAP_HOST is set.
        self.MELDPUNT_INFO_ADDRESS = _env("INFO_ADDRESS")
        self.MELDPUNT_IMAP_HOST = _env("IMAP_HOST")
        self.MELDPUNT_IMAP_SSL = (_env("IMAP_SSL", "on") or "").lower() in ("on", "true", "1", "yes")
        self.MELDPUNT_IMAP_STARTTLS = (_env("IMAP_STARTTLS", "off") or "").lower() in ("on", "true", "1", "yes")
        self.MELDPUNT_IMAP_PORT = int(_env("IMAP_PORT", "993" if self.MELDPUNT_IMAP_SSL else "143"))
        self.MELDPUNT_IMAP_USER = _env("IMAP_USER")
        self.MELDPUNT_IMAP_PASSWORD = _env("IMAP_PASSWORD")
        self.MELDPUNT_IMAP_FOLDER = _env("IMAP_FOLDER", "INBOX")
        self.MELDPUNT_IMAP_SECONDS = int(_env("IMAP_SECONDS", "60"))
        self.JSON_SORT_KEYS = False
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        # Rate limits, Redis, the reverse proxy, MELDPUNT_ENV (web/security_config.py).
        vars(self).update(security_settings())


def normalise_db_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict:
    """Pool settings per database: SQLite waits for the writer instead of failing at once."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # Recycle instead of pinging before every checkout: one round trip less per transaction.
    return {"pool_recycle": 1800, "pool_size": 10, "max_overflow": 10}

