"""Polling the info mailbox over IMAP (imapclient): each new message taken in once, then marked read.

Which messages are new is decided by our own table, not by the \\Seen flag (a person reading the
mailbox in a mail client would otherwise hide mail from Meldpunt): every message with a UID above the
highest one recorded for the folder's current UIDVALIDITY. When the server renumbers the folder (a new
UIDVALIDITY), everything is read again and mails already taken in are recognised by their bytes.

On PostgreSQL one process reads the mailbox at a time (a session advisory lock per schema, held on a
connection of its own for the whole poll and gone with the process if it dies): two workers polling at the
same moment would both take in the same new message, and the one that loses can deadlock on the case row
against the other and end its poll with an error. The other worker's poll meanwhile reads nothing and says
why.
"""
from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.db import db
from engine.settings import settings

from .mail_intake import IntakeResult, take_in
from .mail_models import IncomingMail

POLL_STATE = "imap"  # its row in sender_state

log = logging.getLogger(__name__)
SEEN = b"\\Seen"
BATCH = 200  # messages per poll; the rest follow on the next one
TIMEOUT = 60
POLL_LOCK = 0x6D656C64  # pg advisory lock of the mailbox poll ("meld"), with the schema's hash as second key
BUSY = "another process is reading the mailbox"
# Advisory locks are per database: the schema (installations or test runs side by side) is part of the key.
LOCK = "SELECT {}(:key, hashtext(current_schema()))"


@dataclass
class PollReport:
    """What one poll of the mailbox did."""

    results: list[IntakeResult] = field(default_factory=list)
    skipped: Optional[str] = None  # why nothing was read (no IMAP host configured)
    error: Optional[str] = None  # why the poll stopped (server unreachable, login refused)

    def count(self, outcome: str) -> int:
        """How many messages of this poll had `outcome` (already processed ones not counted)."""
        return sum(1 for r in self.results if r.outcome == outcome and not r.already)

    def __str__(self) -> str:
        if self.skipped:
            return f"mailbox not read: {self.skipped}"
        text = (f"{len(self.results)} message(s): {self.count('new_case')} new case(s), "
                f"{self.count('added_to_case')} added to a case, {self.count('bounce')} bounce(s), "
                f"{self.count('ignored')} ignored, {self.count('failed')} failed")
        return f"{text} (stopped: {self.error})" if self.error else text


@dataclass(frozen=True)
class ImapSettings:
    """MELDPUNT_IMAP_* read from the app's configuration."""

    host: str
    port: int
    ssl: bool
    starttls: bool
    user: str
    password: str
    folder: str

    @classmethod
    def from_config(cls) -> Optional[ImapSettings]:
        """The settings, or None when no IMAP host is configured."""
        configured = settings()
        if not configured.imap_host:
            return None
        return cls(host=configured.imap_host, port=configured.imap_port or (993 if configured.imap_ssl else 143),
                   ssl=configured.imap_ssl, starttls=configured.imap_starttls, user=configured.imap_user or "",
                   password=configured.imap_password or "", folder=configured.imap_folder)


def connect(settings: ImapSettings) -> IMAPClient:
    """A logged-in IMAP connection (TLS from the start, or STARTTLS, as configured)."""
    client = IMAPClient(settings.host, port=settings.port, ssl=settings.ssl, timeout=TIMEOUT,
                        ssl_context=ssl.create_default_context() if settings.ssl else None)
    try:
        if settings.starttls and not settings.ssl:
            client.starttls(ssl.create_default_context())
        client.login(settings.user, settings.password)
    except Exception:
        _logout(client)
        raise
    return client


def last_uid(folder: str, uidvalidity: int) -> int:
    """The highest UID recorded for this folder and UIDVALIDITY (0: read everything)."""
    found = db.session.scalar(select(func.max(IncomingMail.uid)).where(
        IncomingMail.folder == folder, IncomingMail.uidvalidity == uidvalidity))
    db.session.rollback()  # end the read transaction before the slow IMAP work
    return int(found or 0)


def poll(limit: int = BATCH) -> PollReport:
    """Read the new messages of the configured folder and take each in (commits per message)."""
    report = PollReport()
    settings = ImapSettings.from_config()
    if settings is None:
        report.skipped = "no IMAP host configured (MELDPUNT_IMAP_HOST)"
        return report
    with only_poller() as alone:
        if not alone:
            report.skipped = BUSY
            return report
        try:
            client = connect(settings)
        except (OSError, IMAPClientError) as err:
            report.error = f"cannot read {settings.user}@{settings.host}:{settings.port}: {_describe(err)}"
            log.error("mailbox: %s", report.error)
            record_poll(report.error)
            return report
        try:
            poll_folder(client, settings.folder, report, limit)
        except (OSError, IMAPClientError) as err:
            report.error = f"IMAP error: {_describe(err)}"
            log.error("mailbox: %s", report.error)
        finally:
            _logout(client)
        record_poll(report.error)
    if report.results:
        log.info("mailbox: %s", report)
    return report


@contextmanager
def only_poller() -> Iterator[bool]:
    """True when this process may read the mailbox now: on PostgreSQL it holds the poll's advisory lock (on a
    connection of its own, released at the end or when the process dies); False while another process holds it.
    SQLite (one process, `meldpunt serve`) always may."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as conn:
        got = bool(conn.execute(text(LOCK.format("pg_try_advisory_lock")), {"key": POLL_LOCK}).scalar())
        conn.commit()  # no transaction held open while the poll runs; the session lock stays
        try:
            yield got
        finally:
            if got:
                conn.execute(text(LOCK.format("pg_advisory_unlock")), {"key": POLL_LOCK})
                conn.commit()


def check_mailbox() -> Optional[str]:
    """`meldpunt check`: None when the configured mailbox logs in and its folder opens (read-only, nothing is
    taken in) or none is configured; else one line saying what is wrong."""
    settings = ImapSettings.from_config()
    if settings is None:
        return None
    try:
        client = connect(settings)
    except (OSError, IMAPClientError) as err:
        return f"cannot read {settings.user}@{settings.host}:{settings.port}: {_describe(err)}"
    try:
        client.select_folder(settings.folder, readonly=True)
    except (OSError, IMAPClientError) as err:
        return f"mailbox {settings.user}@{settings.host}:{settings.port} has no folder {settings.folder!r}: " \
               f"{_describe(err)}"
    finally:
        _logout(client)
    return None


def record_poll(error: Optional[str]) -> None:
    """Note the poll's outcome in sender_state (row "imap"): /metrics' mailbox poll age is the time since the
    last poll without an error, the same for every worker; commits."""
    from notifications.models import SenderState

    db.session.rollback()
    now = utcnow()
    state = db.session.get(SenderState, POLL_STATE)
    if state is None:
        state = SenderState(name=POLL_STATE, consecutive_failures=0, outages_total=0)
        db.session.add(state)
    state.updated_at = now
    if error is None:
        state.last_success_at, state.last_error, state.outage_since, state.consecutive_failures = now, None, None, 0
    else:
        state.last_error = error[:2000]
        state.outage_since = state.outage_since or now
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
    try:
        db.session.commit()
    except IntegrityError:  # another worker wrote the first row at the same moment: its note will do
        db.session.rollback()


def poll_folder(client: IMAPClient, folder: str, report: PollReport, limit: int = BATCH) -> None:
    """Take in every message above the last recorded UID of `folder`, one transaction each."""
    info = client.select_folder(folder)
    uidvalidity = int(info[b"UIDVALIDITY"])
    after = last_uid(folder, uidvalidity)
    # "n:*" always matches the highest message, even below n: filter on the UID ourselves.
    uids = sorted(uid for uid in client.search(["UID", f"{after + 1}:*"]) if uid > after)[:limit]
    _mark_taken_in(client, folder, uidvalidity, after)
    for uid in uids:
        raw = _fetch(client, uid)
        if raw is None:  # expunged by someone else between SEARCH and FETCH
            continue
        result = take_in(raw, folder=folder, uidvalidity=uidvalidity, uid=uid)
        report.results.append(result)
        client.add_flags([uid], [SEEN])  # after the commit: a crash before it only leaves the mail unread


def _mark_taken_in(client: IMAPClient, folder: str, uidvalidity: int, after: int) -> None:
    """Mark as read what a previous poll took in but could not flag (it stopped right after the commit).

    Only mails taken in during the last hour: one that a person marked unread again later stays unread.
    """
    if after <= 0:
        return
    recent = set(db.session.scalars(select(IncomingMail.uid).where(
        IncomingMail.folder == folder, IncomingMail.uidvalidity == uidvalidity,
        IncomingMail.received_at >= utcnow() - timedelta(hours=1))))
    db.session.rollback()
    unseen = [uid for uid in client.search(["UNSEEN", "UID", f"1:{after}"]) if uid in recent]
    if unseen:
        client.add_flags(unseen, [SEEN])


def _fetch(client: IMAPClient, uid: int) -> Optional[bytes]:
    # BODY.PEEK[] does not set \Seen: a mail only counts as read once it was taken in.
    data: dict[int, dict[bytes, Any]] = client.fetch([uid], [b"BODY.PEEK[]"])
    item = data.get(uid) or {}
    return item.get(b"BODY[]")


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        try:
            client.shutdown()
        except OSError:
            pass


def _describe(err: BaseException) -> str:
    text = str(err)
    if isinstance(text, str) and text.startswith("b'"):
        text = text[2:-1]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
