"""Delivering outbox rows over SMTP, after the transaction that wrote them has committed.

How a row is never sent twice (statuses are only pending / sent / failed):

1. Claim. In a short transaction the row is selected (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers
   never wait on or take each other's rows) and updated with a compare-and-set on `attempts`:
   attempts + 1, its Message-ID (made once, kept for every retry) and `next_attempt_at` moved a lease
   (CLAIM_LEASE) into the future. Commit. The row is now no longer due for anyone else, and if another
   sender (on SQLite, without row locks) read it at the same moment, its compare-and-set matches no row.
2. Send, holding no database lock or transaction (SQLite has one writer; a slow SMTP server must not
   block the web app).
3. Record the outcome (sent / retry later / failed) and commit, one row at a time.

The one window left is a crash (or lost database) between the SMTP server's "250 accepted" and step 3's
commit: SMTP has no two-phase commit, so then the row is sent again once the lease has run out, as the
very same message with the same Message-ID, which mail systems treat as one message. A claimed row that
never got sent (crash before step 2) is simply tried again after the lease; the crash counts as an
attempt, so a row that keeps killing the sender ends as failed instead of looping.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any, Optional

from flask import current_app
from sqlalchemy import select, update

from engine.clock import utcnow
from engine.db import db

from .models import OutboxMessage
from .render import MailTemplateError, RenderedMail, render_row

log = logging.getLogger(__name__)

DEFAULT_FROM = "Meldpunt <meldpunt@localhost>"
DEFAULT_PORT = 25
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_TIMEOUT = 30  # seconds per SMTP command
BACKOFF_MINUTES = (1, 5, 15, 60, 240)  # wait after attempt 1, 2, 3, ...; the last one repeats
CLAIM_LEASE = timedelta(minutes=15)  # a claimed row is not due again before this, unless its outcome says so

_table = OutboxMessage.__table__


@dataclass
class SendReport:
    """What one `send_due` call did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: Optional[str] = None  # why nothing was tried (no SMTP host configured)
    stopped: Optional[str] = None  # why the batch ended early (server unreachable, login refused)
    errors: list[str] = field(default_factory=list)  # "#id: error", for the log and the CLI

    def __str__(self) -> str:
        if self.skipped:
            return f"nothing sent: {self.skipped}"
        text = f"{self.sent} sent, {self.retrying} to retry later, {self.failed} failed"
        return f"{text} (stopped: {self.stopped})" if self.stopped else text


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    recipient_kind: str
    template: str
    language: str
    data: dict[str, Any]
    attempts: int  # including this one
    message_id: str


class _Permanent(Exception):
    """This row can never be delivered as it is (refused recipient, broken template)."""


class _Transient(Exception):
    """Try this row again later; `stop_batch` when the connection or server is unusable for every row."""

    def __init__(self, message: str, stop_batch: bool = False) -> None:
        super().__init__(message)
        self.stop_batch = stop_batch


def _config(name: str, default: Any = None) -> Any:
    value = current_app.config.get(name)
    return default if value is None or value == "" else value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def smtp_configured() -> bool:
    """Whether mails are sent at all; without a host they stay on the admin outbox page."""
    return bool(_config("MELDPUNT_SMTP_HOST"))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
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

    @classmethod
    def from_config(cls) -> _Settings:
        """Read the MELDPUNT_SMTP_* settings; ValueError names a setting that makes no sense."""
        mail_from = _config("MELDPUNT_MAIL_FROM", DEFAULT_FROM)
        addresses = [address for _name, address in getaddresses([mail_from]) if "@" in address]
        if not addresses:
            raise ValueError(f"MELDPUNT_MAIL_FROM has no e-mail address: {mail_from!r}")
        return cls(host=_config("MELDPUNT_SMTP_HOST"), port=int(_config("MELDPUNT_SMTP_PORT", DEFAULT_PORT)),
                   starttls=_flag(_config("MELDPUNT_SMTP_STARTTLS", False)), user=_config("MELDPUNT_SMTP_USER"),
                   password=_config("MELDPUNT_SMTP_PASSWORD", ""),
                   timeout=float(_config("MELDPUNT_SMTP_TIMEOUT", DEFAULT_TIMEOUT)), mail_from=mail_from,
                   envelope_from=addresses[0],
                   # Replies should reach a mailbox Meldpunt reads, so they thread back into the case.
                   reply_to=_config("MELDPUNT_MAIL_REPLY_TO") or _config("MELDPUNT_INFO_ADDRESS"),
                   max_attempts=max(1, int(_config("MELDPUNT_SMTP_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))))

    @property
    def msgid_domain(self) -> str:
        return self.envelope_from.rpartition("@")[2]


def send_due(limit: int = 50, now: Optional[datetime] = None) -> SendReport:
    """Send up to `limit` due pending outbox rows over one SMTP connection, committing after each row.

    Does nothing (and says so in the report) when no SMTP host is configured. Commits the session:
    call it from the scheduler or the CLI, not inside another transaction.
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
    now = now or utcnow()
    connection: Optional[smtplib.SMTP] = None
    lost_races = 0
    try:
        while report.sent + report.retrying + report.failed < limit and lost_races < limit:
            candidate = _next_due(now)
            if candidate is None:
                break
            row = _claim(candidate, now, settings)
            if row is None:  # another sender took it between our select and our update
                lost_races += 1
                continue
            try:
                message = build_message(row, render_row(row), settings)
            except (MailTemplateError, ValueError) as err:  # rendering again will not help
                _record_failure(row, str(err), report)
                continue
            try:
                if connection is None:
                    connection = _connect(settings)
                _deliver(connection, message, row.recipient, settings)
            except _Permanent as err:
                _record_failure(row, str(err), report)
            except _Transient as err:
                _record_retry(row, str(err), now, settings.max_attempts, report)
                if err.stop_batch:
                    report.stopped = str(err)
                    break
            else:
                _record_sent(row, report)
    finally:
        if connection is not None:
            _close(connection)
    if report.sent or report.retrying or report.failed:
        log.info("outbox: %s", report)
    return report


def _next_due(now: datetime) -> Optional[tuple[int, int, Optional[str]]]:
    """(id, attempts, message_id) of the first due pending row that no other sender holds."""
    query = (select(_table.c.id, _table.c.attempts, _table.c.message_id)
             .where(_table.c.status == "pending", _table.c.next_attempt_at <= now)
             .order_by(_table.c.next_attempt_at).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = db.session.execute(query).first()
    if found is None:
        db.session.rollback()  # end the read transaction
        return None
    return found.id, found.attempts, found.message_id


def _claim(candidate: tuple[int, int, Optional[str]], now: datetime, settings: _Settings) -> Optional[_Claimed]:
    """Count the attempt, fix the Message-ID and move the row out of reach for the lease; commit."""
    row_id, seen_attempts, message_id = candidate
    message_id = message_id or make_msgid(domain=settings.msgid_domain)
    result = db.session.execute(
        update(_table)
        .where(_table.c.id == row_id, _table.c.status == "pending", _table.c.attempts == seen_attempts)
        .values(attempts=seen_attempts + 1, message_id=message_id, next_attempt_at=now + CLAIM_LEASE))
    if result.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.execute(select(_table.c.recipient, _table.c.recipient_kind, _table.c.template,
                                    _table.c.language, _table.c.data).where(_table.c.id == row_id)).one()
    db.session.commit()
    return _Claimed(id=row_id, recipient=row.recipient, recipient_kind=row.recipient_kind or "melder",
                    template=row.template, language=row.language or "nl", data=row.data or {},
                    attempts=seen_attempts + 1, message_id=message_id)


# Attachments: an outbox row's data names one as {"attachment_<kind>": id}; the package that owns the
# document registers a loader returning (filename, MIME type, bytes). A row naming an attachment that
# cannot be loaded fails (ValueError) instead of going out without it.
_attachment_loaders: dict[str, Callable[[Any], tuple[str, str, bytes]]] = {}


def register_attachment(data_key: str, loader: Callable[[Any], tuple[str, str, bytes]]) -> None:
    """Let outbox rows carry `{data_key: id}`; `loader(id)` gives (filename, MIME type, bytes)."""
    _attachment_loaders[data_key] = loader


def _attachments(data: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    named = [key for key in data if key.startswith("attachment_")]
    if any(key not in _attachment_loaders for key in named):
        raise ValueError(f"no loader for attachment {', '.join(k for k in named if k not in _attachment_loaders)}")
    return [_attachment_loaders[key](data[key]) for key in named]


def _one_line(value: Any) -> str:
    """A header value from row data on one line (a line break in a header would be an injection)."""
    return " ".join(str(value).split()) if value else ""


def build_message(row: Any, mail: RenderedMail, settings: _Settings) -> EmailMessage:
    """The MIME message: multipart/alternative text + HTML in UTF-8, marked as automatic."""
    data = row.data or {}
    message = EmailMessage()
    message["Subject"] = mail.subject
    # An answer to a citizen's mail leaves from the address they wrote to, and replies go back there.
    message["From"] = _one_line(data.get("from_address")) or settings.mail_from
    message["To"] = row.recipient
    if settings.reply_to and not data.get("from_address"):
        message["Reply-To"] = settings.reply_to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = row.message_id
    for header, key in (("In-Reply-To", "in_reply_to"), ("References", "references")):
        if _one_line(data.get(key)):  # threading: the citizen's mail client shows it as one conversation
            message[header] = _one_line(data.get(key))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message["X-Auto-Response-Suppress"] = "All"  # the same for Exchange (out-of-office, read receipts)
    # quoted-printable keeps the message 7-bit clean for servers without 8BITMIME
    message.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, mime_type, content in _attachments(row.data or {}):
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    message["Content-Language"] = mail.language  # after the body: set_content clears Content-* headers
    return message


def _connect(settings: _Settings) -> smtplib.SMTP:
    host, port = settings.host, settings.port
    try:
        connection = smtplib.SMTP(host, port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException) as err:
        raise _Transient(f"cannot connect to SMTP server {host}:{port}: {_describe(err)}", stop_batch=True) from err
    try:
        connection.ehlo()
        if settings.starttls:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password)
    except (OSError, smtplib.SMTPException) as err:
        _close(connection)
        raise _Transient(f"SMTP server {host}:{port} refused the session: {_describe(err)}",
                         stop_batch=True) from err
    return connection


def _deliver(connection: smtplib.SMTP, message: EmailMessage, recipient: str, settings: _Settings) -> None:
    """Hand one message to the server; classify what went wrong as permanent or transient."""
    try:
        connection.send_message(message, from_addr=settings.envelope_from, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as err:
        code, reply = next(iter(err.recipients.values()), (0, b""))
        text = f"recipient refused: {code} {_decode(reply)}"
        if 500 <= code < 600:
            raise _Permanent(text) from err
        raise _Transient(text) from err
    except smtplib.SMTPSenderRefused as err:
        # Our own address is refused: a configuration problem that holds for every row, not this row's fault.
        raise _Transient(f"sender refused: {err.smtp_code} {_decode(err.smtp_error)}", stop_batch=True) from err
    except smtplib.SMTPServerDisconnected as err:
        raise _Transient(f"SMTP server disconnected: {_describe(err)}", stop_batch=True) from err
    except smtplib.SMTPResponseException as err:  # SMTPDataError and friends
        text = f"message refused: {err.smtp_code} {_decode(err.smtp_error)}"
        if 500 <= err.smtp_code < 600:
            raise _Permanent(text) from err
        raise _Transient(text, stop_batch=err.smtp_code == 421) from err
    except smtplib.SMTPNotSupportedError as err:  # e.g. an international address the server cannot take
        raise _Permanent(f"not supported by the SMTP server: {err}") from err
    except (OSError, smtplib.SMTPException) as err:  # timeouts, resets
        raise _Transient(f"SMTP error: {_describe(err)}", stop_batch=True) from err


def _record_sent(row: _Claimed, report: SendReport) -> None:
    db.session.execute(update(_table).where(_table.c.id == row.id)
                       .values(status="sent", sent_at=utcnow(), last_error=None))
    db.session.commit()
    report.sent += 1


def _record_retry(row: _Claimed, error: str, now: datetime, max_attempts: int, report: SendReport) -> None:
    if row.attempts >= max_attempts:
        _record_failure(row, f"gave up after {row.attempts} attempts: {error}", report)
        return
    db.session.execute(update(_table).where(_table.c.id == row.id)
                       .values(next_attempt_at=now + backoff(row.attempts), last_error=error[:2000]))
    db.session.commit()
    report.retrying += 1
    report.errors.append(f"#{row.id}: {error}")
    log.warning("outbox #%s (%s) attempt %s failed, will retry: %s", row.id, row.template, row.attempts, error)


def _record_failure(row: _Claimed, error: str, report: SendReport) -> None:
    db.session.execute(update(_table).where(_table.c.id == row.id)
                       .values(status="failed", last_error=error[:2000]))
    db.session.commit()
    report.failed += 1
    report.errors.append(f"#{row.id}: {error}")
    log.warning("outbox #%s (%s) failed: %s", row.id, row.template, error)


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
