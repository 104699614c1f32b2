"""Every MELDPUNT_* setting in one place: its name, its kind and its default.

The environment is read once, at start-up (web/config.py calls `read_environment` from create_app); a bad
value stops the start with a ConfigError naming the variable and what is allowed. The app keeps the typed
values in its config under their variable names. Every module asks `settings()` for them:

    settings().smtp_port          # 25 unless MELDPUNT_SMTP_PORT says otherwise

Outside an app (a script, a unit test without one) `settings()` gives the defaults. A value a test puts
in the app's config as text is parsed the same way as one from the environment.

The README's "Configuration" table documents these variables; tests/test_settings.py checks it both ways.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from flask import current_app, has_app_context

from .setting_types import (
    ConfigError,
    Network,
    Setting,
    choice,
    duration,
    flag,
    networks,
    rate,
    redis_address,
    text,
    whole_number,
)

__all__ = ["ConfigError", "Settings", "settings", "read_environment", "typed_config"]

SECONDS = whole_number(1)
DAYS = whole_number(1)
PORT = whole_number(1, 65535)


class Settings:
    """A typed view of the MELDPUNT_* values in an app's config (or of the defaults, given an empty one)."""

    # Start-up: web/config.py turns these three into Flask's SQLALCHEMY_DATABASE_URI, SECRET_KEY and the
    # storage folder; unset means a file in the instance folder.
    database_url: Setting[Optional[str]] = Setting(text, None)
    secret_key: Setting[Optional[str]] = Setting(text, None, empty_is_unset=False)  # empty: an error
    storage_path: Setting[Optional[str]] = Setting(text, None)
    # Where files are kept (handlers/storage.py): "folder" (storage_path) or an S3-compatible bucket. Unset
    # access/secret keys: boto3's own sources (AWS_ACCESS_KEY_ID, ~/.aws, an instance role).
    storage: Setting[str] = Setting(choice("folder", "s3"), "folder")
    s3_bucket: Setting[Optional[str]] = Setting(text, None)
    s3_endpoint_url: Setting[Optional[str]] = Setting(text, None)  # unset: AWS itself
    s3_region: Setting[Optional[str]] = Setting(text, None)
    s3_access_key: Setting[Optional[str]] = Setting(text, None)
    s3_secret_key: Setting[Optional[str]] = Setting(text, None)
    s3_prefix: Setting[str] = Setting(text, "")
    env: Setting[str] = Setting(choice("production", "development", ""), "")
    base_url: Setting[str] = Setting(text, "http://127.0.0.1:5000")
    # The scheduler, timers and deadlines.
    scheduler: Setting[bool] = Setting(flag, False)
    tick_seconds: Setting[int] = Setting(SECONDS, 30)
    reaction_window: Setting[str] = Setting(duration, "P5D")
    contractor_reminder: Setting[str] = Setting(duration, "P3D")
    contractor_escalation: Setting[str] = Setting(duration, "P7D")
    contractor_link_days: Setting[int] = Setting(DAYS, 30)
    session_minutes: Setting[int] = Setting(whole_number(1), 60)
    feedback_days: Setting[int] = Setting(DAYS, 14)
    mail_answer_days: Setting[int] = Setting(DAYS, 10)  # working days a handler group gets for an infomail
    mail_reply_days: Setting[int] = Setting(DAYS, 14)  # days to wait for the citizen's reply
    anonymise_months: Setting[int] = Setting(whole_number(1), 12)
    # Answer deadline per kind of letter, "kind=days" ("20w": working days); handlers/post_deadlines.py
    # checks the kinds (web/config.py calls it at start-up).
    post_deadlines: Setting[str] = Setting(text, "vraag=30,klacht=45,bezwaar=30,factuur=30")
    # Reading the text of letters' scans in the worker (handlers/letter_ocr.py): Tesseract (the command, and its
    # language data) on at most ocr_max_pages pages and for at most ocr_time_limit seconds per letter; the worker
    # looks for scans to read every ocr_seconds. Without Tesseract only text layers are read.
    tesseract: Setting[str] = Setting(text, "tesseract")
    ocr_language: Setting[str] = Setting(text, "nld")
    ocr_max_pages: Setting[int] = Setting(whole_number(1, 1000), 30)
    ocr_time_limit: Setting[int] = Setting(SECONDS, 300)
    ocr_seconds: Setting[int] = Setting(SECONDS, 15)
    # Sending mail (notifications/sender.py); without a host mails stay on the admin outbox page.
    smtp_host: Setting[Optional[str]] = Setting(text, None)
    smtp_port: Setting[int] = Setting(PORT, 25)
    smtp_starttls: Setting[bool] = Setting(flag, False)
    smtp_user: Setting[Optional[str]] = Setting(text, None)
    smtp_password: Setting[Optional[str]] = Setting(text, None)
    smtp_timeout: Setting[int] = Setting(SECONDS, 30)
    smtp_max_attempts: Setting[int] = Setting(whole_number(1), 6)
    smtp_claim_seconds: Setting[int] = Setting(SECONDS, 300)  # how long a sender holds the mails it claimed
    outbox_seconds: Setting[int] = Setting(SECONDS, 30)
    mail_from: Setting[str] = Setting(text, "Meldpunt <meldpunt@localhost>")
    mail_reply_to: Setting[Optional[str]] = Setting(text, None)
    report_recipients: Setting[str] = Setting(text, "")  # comma-separated: who gets the quarterly report
    # How old (seconds) the dashboard page's figures may be once the data changed: the page shows their time and
    # the worker refreshes them (reports/dashboard_cache.py). 0: always exact. Exports are always exact.
    dashboard_max_age: Setting[int] = Setting(whole_number(0), 120)
    # The city, in mails, on the quarterly report and on the letterhead of reply letters.
    city_name: Setting[Optional[str]] = Setting(text, None)
    city_address: Setting[Optional[str]] = Setting(text, None)
    city_phone: Setting[Optional[str]] = Setting(text, None)
    city_website: Setting[Optional[str]] = Setting(text, None)
    # The info mailbox (intake/mailbox.py): polled only when imap_host is set.
    info_address: Setting[Optional[str]] = Setting(text, None)
    imap_host: Setting[Optional[str]] = Setting(text, None)
    imap_port: Setting[Optional[int]] = Setting(PORT, None)  # unset: 993, or 143 without SSL
    imap_ssl: Setting[bool] = Setting(flag, True)
    imap_starttls: Setting[bool] = Setting(flag, False)
    imap_user: Setting[Optional[str]] = Setting(text, None)
    imap_password: Setting[Optional[str]] = Setting(text, None)
    imap_folder: Setting[str] = Setting(text, "INBOX")
    imap_seconds: Setting[int] = Setting(SECONDS, 60)
    # Uploaded images with more pixels are refused before they are decoded (handlers/photos.py).
    photo_max_pixels: Setting[int] = Setting(whole_number(1), 40_000_000)
    # Rate limits, per client ("count/seconds"), and where they are counted.
    report_rate: Setting[str] = Setting(rate, "5/600")  # meldingen through the public form
    public_post_rate: Setting[str] = Setting(rate, "30/600")  # answers through feedback and portal links
    open311_rate: Setting[str] = Setting(rate, "120/60")  # Open311 service requests created
    login_account_rate: Setting[str] = Setting(rate, "5/900")  # wrong passwords per account before it locks
    login_client_rate: Setting[str] = Setting(rate, "20/900")  # failed logins per client
    redis_url: Setting[Optional[str]] = Setting(redis_address, None)
    redis_prefix: Setting[str] = Setting(text, "meldpunt:rate:")
    trusted_proxies: Setting[tuple[Network, ...]] = Setting(networks, ())
    # Location (handlers/geocoding.py, handlers/city_boundary.py, handlers/nearby.py).
    # The geocoder: "offline" reads address_csv (the demo's Mechelen sample when unset); "basisregisters"
    # asks the Flemish address register at geocoder_url, and a time-out or failure leaves the address
    # "niet gecontroleerd" on the case.
    geocoder: Setting[str] = Setting(choice("offline", "basisregisters"), "offline")
    geocoder_url: Setting[str] = Setting(text, "https://api.basisregisters.vlaanderen.be")
    geocoder_timeout: Setting[int] = Setting(SECONDS, 3)
    address_csv: Setting[Optional[str]] = Setting(text, None)
    # The city's boundary: a GeoJSON file (Polygon, MultiPolygon, or a Feature(Collection) of them); unset:
    # the demo's outline of Mechelen. Checked at start-up; points outside are refused.
    city_boundary: Setting[Optional[str]] = Setting(text, None)
    # Map tiles for every map: a URL template with {z}/{x}/{y} (and optionally {s}) and its attribution.
    map_tile_url: Setting[str] = Setting(text, "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    map_attribution: Setting[str] = Setting(text, "&copy; OpenStreetMap-bijdragers")
    # "Is dit uw melding?": open meldingen within this many metres, reported within the category's number
    # of days (this default when the category sets none).
    nearby_metres: Setting[int] = Setting(whole_number(1, 1000), 50)
    nearby_days: Setting[int] = Setting(whole_number(1, 3660), 84)

    # Running it (docs/production.md): /metrics' bearer token (unset: loopback only), the log's level and format.
    metrics_token: Setting[Optional[str]] = Setting(text, None)
    log_level: Setting[str] = Setting(choice("debug", "info", "warning", "error"), "info")
    log_format: Setting[str] = Setting(choice("text", "json"), "text")

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    @classmethod
    def declared(cls) -> list[Setting[Any]]:
        """Every setting, in the order above."""
        return [value for value in vars(cls).values() if isinstance(value, Setting)]

    def get(self, variable: str) -> Any:
        """The value of a setting named by its variable ("MELDPUNT_REPORT_RATE"); KeyError for an unknown one."""
        for setting in self.declared():
            if setting.variable == variable:
                return setting.convert(self.config.get(variable))
        raise KeyError(variable)


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting from the environment, typed, under its variable name; ConfigError on a bad value."""
    return {setting.variable: setting.convert(environ.get(setting.variable)) for setting in Settings.declared()}


def typed_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The MELDPUNT_* values present in `config`, parsed where they are text (a test's config); checked."""
    return {setting.variable: setting.convert(config[setting.variable]) for setting in Settings.declared()
            if setting.variable in config}


def settings() -> Settings:
    """The settings of the running app; the defaults outside one."""
    return Settings(current_app.config if has_app_context() else {})
