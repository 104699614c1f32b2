"""Delivering outbox rows over SMTP, after the transaction that wrote them has committed.

How a row is never sent twice (statuses are only pending / sent / failed):

1. Claim. In one short transaction up to BATCH due rows are taken with one UPDATE (its subquery uses
   `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait on or take each other's rows; SQLite
   has one writer, and the UPDATE re-checks that each row is still due): attempts + 1 and
   `next_attempt_at` moved a lease (MELDPUNT_SMTP_CLAIM_SECONDS) into the future; rows without a
   Message-ID get one, kept for every retry. Commit. No other sender can take these rows now.
2. Send them one by one over one SMTP connection, holding no database lock or transaction (SQLite has
   one writer; a slow SMTP server must not block the web app). The lease is renewed while the batch
   lasts, so a slow server never lets another sender take a row this one still holds.
3. Record each outcome the moment the server has answered, one UPDATE and COMMIT per mail. On SQLite,
   when the web app holds the one write lock at that moment, the sender sends the next mail first and
   records the "sent" marks together once it gets the lock: at most MAX_UNMARKED mails or
   MAX_UNMARKED_SECONDS (notifications/sqlite_writes.py says why).

The window left is a process killed (SIGKILL, power cut) or a database lost between the server's
"250 accepted" and step 3's commit, a millisecond per mail (on SQLite under web load: the at most
MAX_UNMARKED mails not yet recorded): SMTP has no two-phase commit, so that mail is sent again once
the lease has run out, as the very same message with the same Message-ID, which mail systems treat as
one message. (On PostgreSQL the "sent" commit does not wait
for the WAL flush, so a crash of the database server itself can also lose the marks of the last
~0.6 s of mails: they too go out again, with their Message-IDs.) The rest of a killed sender's batch was never
sent: it goes out, once, after the lease. SIGTERM and SIGINT do not leave this window: the sender
finishes the mail in flight, records it, hands back the rest of the batch and stops
(notifications/stopping.py).

What counts as an attempt of a mail: only an answer about that mail or its recipient (a 5xx to RCPT
or DATA fails it; a 4xx is retried with a growing wait until MELDPUNT_SMTP_MAX_ATTEMPTS). A server
that cannot be reached, times out, answers 421 or drops the session is the server's state: the rows
go back unchanged and the whole sender waits (notifications/sender_state.py).
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.policy import compat32
from email.utils import getaddresses, make_msgid
from typing import Any, Optional

from sqlalchemy import bindparam, select, text, update

from engine.clock import utcnow
from engine.db import db
from engine.settings import Settings
from engine.settings import settings as current_settings

from . import sender_state
from .models import OutboxMessage
from .render import MailTemplateError, render_row
from .smtp_message import build_message, register_attachment  # noqa: F401 (register_attachment: re-export)
from .sqlite_writes import try_write, write_promptly
from .stopping import stop_requested

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60, 240)  # a recipient's 4xx: wait after attempt 1, 2, 3, ...; the last repeats
BATCH = 100  # rows claimed per transaction
# SQLite only, while the web app keeps its one write lock busy: mails sent but not yet marked, at most this
# many and this old, before the sender waits for the lock (the most a kill -9 can make it send again).
MAX_UNMARKED, MAX_UNMARKED_SECONDS = 10, 0.5

_table = OutboxMessage.__table__
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
_WIRE = compat32.clone(linesep="\r\n")  # SMTP lines end in CRLF; sendmail() sends bytes as they are


@dataclass
class SendReport:
    """What one `send_due` call did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: Optional[str] = None  # why nothing was tried (no SMTP host configured)
    stopped: Optional[str] = None  # why sending ended early (server unreachable, process stopping)
    errors: list[str] = field(default_factory=list)  # "#id: error", for the log and the CLI

    def __str__(self) -> str:
        if self.skipped:
            return f"nothing sent: {self.skipped}"
        text = f"{self.sent} sent, {self.retrying} to retry later, {self.failed} failed"
        return f"{text} (stopped: {self.stopped})" if self.stopped else text


@dataclass(frozen=True)
class _Claimed:
    id: int
    case_id: Optional[int]
    recipient: str
    recipient_kind: str
    template: str
    language: str
    data: dict[str, Any]
    attempts: int  # including this one
    message_id: str


class _Permanent(Exception):
    """The server refused this mail or its recipient for good (5xx), or it cannot be built."""


class _Transient(Exception):
    """The server refused this mail or its recipient for now (4xx): an attempt, retried later."""


class _Outage(Exception):
    """The server is unusable for every mail (unreachable, 421, dropped session): no mail's attempt."""


def smtp_configured() -> bool:
    """Whether mails are sent at all; without a host they stay on the admin outbox page."""
    return bool(current_settings().smtp_host)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th temporary refusal of a mail."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


@dataclass(frozen=True)
class _Settings:
    host: str
    port: int
    starttls: bool
    user: Optional[str]
    password: str
    timeout: float
    mail_from: str
    envelope_from: str
    reply_to: Optional[str]
    max_attempts: int
    claim_lease: timedelta = timedelta(seconds=Settings.smtp_claim_seconds.default)
    interval_seconds: float = Settings.outbox_seconds.default

    @classmethod
    def from_config(cls) -> _Settings:
        """Read the MELDPUNT_SMTP_* settings; ValueError names a setting that makes no sense."""
        configured = current_settings()
        mail_from = configured.mail_from
        addresses = [address for _name, address in getaddresses([mail_from]) if "@" in address]
        if not addresses:
            raise ValueError(f"MELDPUNT_MAIL_FROM has no e-mail address: {mail_from!r}")
        lease = float(configured.smtp_claim_seconds)
        if lease < 1:
            raise ValueError(f"MELDPUNT_SMTP_CLAIM_SECONDS must be at least 1, not {lease:g}")
        return cls(host=configured.smtp_host or "", port=configured.smtp_port, starttls=configured.smtp_starttls,
                   user=configured.smtp_user, password=configured.smtp_password or "",
                   timeout=float(configured.smtp_timeout), mail_from=mail_from,
                   envelope_from=addresses[0],
                   # Replies should reach a mailbox Meldpunt reads, so they thread back into the case.
                   reply_to=configured.mail_reply_to or configured.info_address,
                   max_attempts=max(1, configured.smtp_max_attempts),
                   claim_lease=timedelta(seconds=lease),
                   interval_seconds=float(configured.outbox_seconds))

    @property
    def msgid_domain(self) -> str:
        return self.envelope_from.rpartition("@")[2]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def check_server() -> Optional[str]:
    """`meldpunt check`: None when the configured SMTP server takes a session (EHLO, STARTTLS and login as
    configured; no mail is sent) or none is configured; else one line saying what is wrong."""
    if not smtp_configured():
        return None
    try:
        settings = _Settings.from_config()
    except ValueError as err:
        return f"SMTP settings not usable: {err}"
    try:
        _close(_connect(settings))
    except _Outage as err:
        return str(err)
    return None


def send_due(limit: Optional[int] = None, now: Optional[datetime] = None) -> SendReport:
    """Send the due pending outbox rows (at most `limit`; None: until none is due) over one SMTP connection.

    Does nothing (and says so in the report) when no SMTP host is configured, and tries no connection
    while the server is known to be down (sender_state). Stops after the mail in flight when the process
    is stopping. Commits the session: call it from the scheduler or the CLI, not inside another transaction.
    """
    report = SendReport()
    if not smtp_configured():
        report.skipped = "no SMTP host configured (MELDPUNT_SMTP_HOST); mails stay on the outbox page"
        return report
    try:
        settings = _Settings.from_config()
    except ValueError as err:
        report.skipped = f"SMTP settings not usable: {err}"
        log.error("outbox: %s", report.skipped)
        return report
    state = sender_state.current_state()
    db.session.rollback()  # end the read transaction
    if sender_state.backing_off(state, now or utcnow()):
        report.stopped = (f"SMTP server {settings.server} unreachable since {state.outage_since:%Y-%m-%d %H:%M:%S} "
                          f"UTC; next try at {state.retry_at:%H:%M:%S} UTC: {state.last_error}")
        return report
    _Run(settings, report, state, now).run(limit)
    if report.sent or report.retrying or report.failed:
        log.info("outbox: %s", report)
    return report


class _Run:
    """One send_due call: the connection, the batch it holds, and what happened to each row."""

    def __init__(self, settings: _Settings, report: SendReport, state: Any, now: Optional[datetime]) -> None:
        self.settings, self.report, self.state, self.fixed_now = settings, report, state, now
        self.connection: Optional[smtplib.SMTP] = None
        self.held: list[_Claimed] = []
        self.unmarked: list[_Claimed] = []  # accepted by the server, "sent" not yet committed (SQLite, busy)
        self.unmarked_since = 0.0
        self.lease_until: Optional[datetime] = None

    def now(self) -> datetime:
        return self.fixed_now or utcnow()

    def run(self, limit: Optional[int]) -> None:
        report = self.report
        try:
            while limit is None or report.sent + report.retrying + report.failed < limit:
                if stop_requested():
                    report.stopped = "the process is stopping"
                    return
                self._mark_sent(wait=True)
                size = BATCH if limit is None else min(BATCH, limit - report.sent - report.retrying - report.failed)
                self.held = _claim_batch(self.now(), self.settings, size)
                if not self.held:
                    return
                self.lease_until = self.now() + self.settings.claim_lease
                if not self._send_held():
                    return
        except _Outage as err:
            report.stopped = str(err)
            _release(self.held, self.now())
            self.held = []
            sender_state.record_outage(str(err), self.settings.server, self.settings.interval_seconds, self.now())
        finally:
            self._mark_sent(wait=True)  # what the server accepted is recorded before anything else
            if self.held:  # stopping, or an unexpected error: the rest of the batch was never sent
                _release(self.held, self.now())
            if self.connection is not None:
                _close(self.connection)

    def _send_held(self) -> bool:
        """Send the claimed rows in order; False when sending must end (stopping)."""
        while self.held:
            if stop_requested():
                self.report.stopped = "the process is stopping"
                return False
            self._keep_lease()
            row = self.held[0]
            try:
                message = build_message(row, render_row(row), self.settings)
            except (MailTemplateError, ValueError) as err:  # building it again will not help
                self.held.pop(0)
                _record_failure(row, str(err), self.report)
                continue
            if self.connection is None:
                self.connection = _connect(self.settings)  # _Outage: every held row goes back
                sender_state.record_reachable(self.state, self.settings.server, self.now())
            try:
                _deliver(self.connection, message, row.recipient, self.settings)
            except _Permanent as err:
                self.held.pop(0)
                self._drop(_record_failure(row, str(err), self.report, smtp_reply=str(err)))
            except _Transient as err:
                self.held.pop(0)
                self._drop(_record_retry(row, str(err), self.now(), self.settings.max_attempts, self.report))
            else:
                self.held.pop(0)
                if not self.unmarked:
                    self.unmarked_since = time.monotonic()
                self.unmarked.append(row)
                self._mark_sent(wait=False)
        return True

    def _mark_sent(self, wait: bool) -> None:
        """Record the mails the server accepted. On SQLite, when its write lock is taken right now, send the
        next mail first and record them together, up to MAX_UNMARKED mails or MAX_UNMARKED_SECONDS."""
        if not self.unmarked:
            return
        rows = list(self.unmarked)
        if wait or len(rows) >= MAX_UNMARKED or time.monotonic() - self.unmarked_since > MAX_UNMARKED_SECONDS:
            write_promptly(db.session, lambda: _mark(rows))
        elif not try_write(db.session, lambda: _mark(rows)):
            return
        self.unmarked = []
        self.report.sent += len(rows)

    def _drop(self, not_sent: set[int]) -> None:
        """Rows marked failed meanwhile (their address was refused) are not sent from this batch either;
        the attempt this sender's claim counted for them is taken back (they were never tried)."""
        dropped = [row for row in self.held if row.id in not_sent]
        if dropped:
            self.held = [row for row in self.held if row.id not in not_sent]
            db.session.execute(
                update(_table)
                .where(_table.c.id == bindparam("row_id"), _table.c.attempts == bindparam("held_attempts"))
                .values(attempts=bindparam("earlier_attempts")),
                [{"row_id": r.id, "held_attempts": r.attempts, "earlier_attempts": r.attempts - 1} for r in dropped])
            db.session.commit()

    def _keep_lease(self) -> None:
        """Renew the lease on the rows still held when half of it has passed (a slow server, a big batch)."""
        if self.lease_until is None or self.lease_until - self.now() > self.settings.claim_lease / 2:
            return
        self.lease_until = self.now() + self.settings.claim_lease
        kept = _renew(self.held, self.lease_until)
        self.held = [row for row in self.held if row.id in kept]


def _claim_batch(now: datetime, settings: _Settings, size: int) -> list[_Claimed]:
    """Take up to `size` due rows for this sender: count the attempt, set the lease and Message-ID; commit."""
    due = (select(_table.c.id).where(_table.c.status == "pending", _table.c.next_attempt_at <= now)
           .order_by(_table.c.next_attempt_at, _table.c.id).limit(size))
    if db.session.get_bind().dialect.name == "postgresql":
        # A CTE is evaluated once; `id IN (subquery with LIMIT ... SKIP LOCKED)` may be re-run and take more.
        picked = due.with_for_update(skip_locked=True).cte("picked")
        which = _table.c.id == picked.c.id
    else:  # one writer at a time: the UPDATE re-checks below that each row is still due
        which = _table.c.id.in_(due.scalar_subquery())
    claimed = db.session.execute(
        update(_table)
        .where(which, _table.c.status == "pending", _table.c.next_attempt_at <= now)
        .values(attempts=_table.c.attempts + 1, next_attempt_at=now + settings.claim_lease)
        .returning(_table.c.id, _table.c.case_id, _table.c.recipient, _table.c.recipient_kind, _table.c.template,
                   _table.c.language, _table.c.data, _table.c.attempts, _table.c.message_id)).all()
    new_ids = [{"row_id": row.id, "new_message_id": make_msgid(domain=settings.msgid_domain)}
               for row in claimed if not row.message_id]
    if new_ids:
        db.session.execute(update(_table).where(_table.c.id == bindparam("row_id"))
                           .values(message_id=bindparam("new_message_id")), new_ids)
    db.session.commit()
    given = {item["row_id"]: item["new_message_id"] for item in new_ids}
    return [_Claimed(id=row.id, case_id=row.case_id, recipient=row.recipient,
                     recipient_kind=row.recipient_kind or "melder", template=row.template,
                     language=row.language or "nl", data=row.data or {}, attempts=row.attempts,
                     message_id=row.message_id or given[row.id])
            for row in sorted(claimed, key=lambda r: r.id)]


def _release(rows: list[_Claimed], now: datetime) -> None:
    """Hand rows this sender claimed but never sent back: the attempt is taken back, they are due now."""
    if not rows:
        return
    db.session.rollback()
    db.session.execute(
        update(_table).where(_table.c.id == bindparam("row_id"), _table.c.status == "pending",
                             _table.c.attempts == bindparam("held_attempts"))
        .values(attempts=bindparam("earlier_attempts"), next_attempt_at=bindparam("due_at")),
        [{"row_id": r.id, "held_attempts": r.attempts, "earlier_attempts": r.attempts - 1, "due_at": now}
         for r in rows])
    db.session.commit()


def _renew(rows: list[_Claimed], until: datetime) -> set[int]:
    """Extend the lease of rows still held; the ids this sender still holds (a row taken over is dropped)."""
    held = db.session.execute(
        update(_table).where(_table.c.id.in_([r.id for r in rows]), _table.c.status == "pending")
        .values(next_attempt_at=until).returning(_table.c.id, _table.c.attempts)).all()
    db.session.commit()
    attempts = {r.id: r.attempts for r in rows}
    return {row.id for row in held if attempts.get(row.id) == row.attempts}


def _connect(settings: _Settings) -> smtplib.SMTP:
    try:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException) as err:
        raise _Outage(f"cannot connect to SMTP server {settings.server}: {_describe(err)}") from err
    try:
        connection.ehlo()
        if settings.starttls:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password)
    except (OSError, smtplib.SMTPException) as err:
        _close(connection)
        raise _Outage(f"SMTP server {settings.server} refused the session: {_describe(err)}") from err
    return connection


def _deliver(connection: smtplib.SMTP, message: Any, recipient: str, settings: _Settings) -> None:
    """Hand one message to the server; classify a failure as this mail's (permanent/transient) or an outage."""
    try:
        if recipient.isascii():
            connection.sendmail(settings.envelope_from, [recipient], message.as_bytes(policy=_WIRE))
        else:
            connection.send_message(message, from_addr=settings.envelope_from, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as err:
        code, reply = next(iter(err.recipients.values()), (0, b""))
        text = f"recipient refused: {code} {_decode(reply)}"
        if code == 421:
            raise _Outage(f"SMTP server {settings.server} closing: {code} {_decode(reply)}") from err
        if 500 <= code < 600:
            raise _Permanent(text) from err
        raise _Transient(text) from err
    except smtplib.SMTPSenderRefused as err:
        if err.smtp_code == 552:  # the message is too big for this server: no retry makes it smaller
            raise _Permanent(f"message refused: {err.smtp_code} {_decode(err.smtp_error)}") from err
        # Our own address is refused: a configuration problem that holds for every row, not this row's fault.
        raise _Outage(f"SMTP server {settings.server} refused our sender address: {err.smtp_code} "
                      f"{_decode(err.smtp_error)}") from err
    except smtplib.SMTPServerDisconnected as err:
        raise _Outage(f"SMTP server {settings.server} disconnected: {_describe(err)}") from err
    except smtplib.SMTPResponseException as err:  # SMTPDataError and friends
        text = f"message refused: {err.smtp_code} {_decode(err.smtp_error)}"
        if err.smtp_code == 421:
            raise _Outage(f"SMTP server {settings.server} closing: {err.smtp_code} {_decode(err.smtp_error)}") from err
        if 500 <= err.smtp_code < 600:
            raise _Permanent(text) from err
        raise _Transient(text) from err
    except smtplib.SMTPNotSupportedError as err:  # e.g. an international address the server cannot take
        raise _Permanent(f"not supported by the SMTP server: {err}") from err
    except (OSError, smtplib.SMTPException) as err:  # timeouts, resets
        raise _Outage(f"SMTP error with {settings.server}: {_describe(err)}") from err


def _mark(rows: list[_Claimed]) -> None:
    """The statements that mark `rows` sent (the caller commits)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Not waiting for the WAL flush makes this commit ten times cheaper (a flush per mail capped the
        # sender at ~80 mails/s on a busy disk). Only a crash of the database server itself within
        # ~0.6 s (3 x wal_writer_delay) can lose the mark; that mail is then sent again, same Message-ID.
        db.session.execute(_ASYNC_COMMIT)
    db.session.execute(update(_table).where(_table.c.id.in_([row.id for row in rows]))
                       .values(status="sent", sent_at=utcnow(), last_error=None))


def _record_retry(row: _Claimed, error: str, now: datetime, max_attempts: int, report: SendReport) -> set[int]:
    if row.attempts >= max_attempts:
        return _record_failure(row, f"gave up after {row.attempts} attempts: {error}", report,
                               smtp_reply=f"{error} (na {row.attempts} pogingen)")
    db.session.execute(update(_table).where(_table.c.id == row.id)
                       .values(next_attempt_at=now + backoff(row.attempts), last_error=error[:2000]))
    db.session.commit()
    report.retrying += 1
    report.errors.append(f"#{row.id}: {error}")
    log.warning("outbox #%s (%s) attempt %s failed, will retry: %s", row.id, row.template, row.attempts, error)
    return set()


def _record_failure(row: _Claimed, error: str, report: SendReport, smtp_reply: Optional[str] = None) -> set[int]:
    """Mark the row failed; a refusal by the mail server also reaches the case (notifications/undeliverable.py).

    Returns the ids of other rows that are not sent because of it (mails waiting for a refused address)."""
    db.session.execute(update(_table).where(_table.c.id == row.id)
                       .values(status="failed", last_error=error[:2000]))
    not_sent: set[int] = set()
    if smtp_reply is not None:
        from .undeliverable import mail_refused

        not_sent = mail_refused(row, smtp_reply)
    db.session.commit()
    report.failed += 1
    report.errors.append(f"#{row.id}: {error}")
    log.warning("outbox #%s (%s) failed: %s", row.id, row.template, error)
    return not_sent


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _decode(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(err: BaseException) -> str:
    if isinstance(err, socket.timeout):
        return "timed out"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
