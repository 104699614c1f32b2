"""The loop guard (RFC 3834): which incoming mails must never get an automatic acknowledgement.

An acknowledgement to an out-of-office, a bounce or a mailing list starts a mail loop or spams a list.
Headers decide first (Auto-Submitted, Return-Path <>, Precedence, X-Auto-Response-Suppress, List-*,
multipart/report, X-Autoreply); subject patterns in Dutch, French and English are the last resort, for
mailers that mark nothing. Every verdict carries a reason a person can read on the admin page.

Kinds and what follows from them (see intake/mail_intake.py):
- human: a new case with an acknowledgement.
- list, bulk, no_autoreply: a new case without acknowledgement (a person may still have written it).
- auto_reply, bounce, read_receipt, own_mail: added to the case it answers, else ignored (no case).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from typing import Optional, cast

from .mail_parse import ParsedMail, header_text

CASE_KINDS = ("list", "bulk", "no_autoreply")  # a case, but no acknowledgement
AUTOMATIC_KINDS = ("auto_reply", "bounce", "read_receipt", "own_mail")  # no case of their own

# Last resort, anchored at the start of the subject (after Re:/Fw:/AW: prefixes), so that a citizen's
# "Afwezigheid van de vuilophaling" is not taken for an out-of-office.
_PREFIX = r"^\s*(?:(?:re|aw|sv|fw|fwd|tr|wg)\s*:\s*)*"
AUTO_REPLY_SUBJECT = re.compile(_PREFIX + r"(?:"
                                r"automatisch antwoord|automatische (?:reactie|beantwoording|reply)|"
                                r"afwezig(?:\s*[:\-(]|\s+(?:tot|van|vanaf|t/m|wegens)\b|\s*$)|"
                                r"niet (?:aanwezig|op kantoor)\b|afwezigheidsmelding|"
                                r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|"
                                r"auto[- ]?response|away from (?:the )?office|on vacation|on holiday|"
                                r"absence\b|absent(?:e)?\s*[:\-(]|r[ée]ponse automatique|message d'absence|"
                                r"abwesenheit|automatische antwort)", re.IGNORECASE)
BOUNCE_SUBJECT = re.compile(_PREFIX + r"(?:"
                            r"undeliver(?:able|ed)|undelivered mail|niet afgeleverd|onbestelbaar|"
                            r"kan niet worden (?:bezorgd|afgeleverd)|bezorging (?:mislukt|is mislukt)|"
                            r"delivery status notification|delivery (?:has )?failed|delivery failure|"
                            r"delivery notification: delivery has failed|mail delivery (?:failed|failure|system)|"
                            r"returned mail|failure notice|non remis|non distribuable|"
                            r"[ée]chec de (?:la )?(?:remise|distribution)|message non (?:d[ée]livr[ée]|remis)|"
                            r"unzustellbar)", re.IGNORECASE)
RECEIPT_SUBJECT = re.compile(_PREFIX + r"(?:gelezen|read|lu|gelesen)\s*:|^\s*(?:leesbevestiging|read receipt|"
                             r"accus[ée] de lecture|lesebest[äa]tigung)", re.IGNORECASE)
BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|mail-daemon|mailerdaemon)@", re.IGNORECASE)
MSGID_LINE = re.compile(r"(?im)^\s*message-id:\s*(<[^<>\s]+>)")


@dataclass(frozen=True)
class Verdict:
    """What the loop guard says about one mail, and why."""

    kind: str
    reason: str

    @property
    def acknowledge(self) -> bool:
        """Whether the sender may get an automatic acknowledgement."""
        return self.kind == "human"

    @property
    def automatic(self) -> bool:
        """A machine's answer: it joins the case it answers, and never starts a case of its own."""
        return self.kind in AUTOMATIC_KINDS


@dataclass
class BounceReport:
    """What a bounce says about the mail it returns: its Message-IDs, subject and failed addresses."""

    original_ids: list[str] = field(default_factory=list)
    original_subject: str = ""
    failed_recipients: list[str] = field(default_factory=list)
    diagnostic: str = ""


def _parts(message: Message):
    try:
        yield from message.walk()
    except Exception:
        yield message


def _report_type(mail: ParsedMail) -> Optional[str]:
    """'delivery-status' or 'disposition-notification' when the mail is (or contains) such a report."""
    types = {part.get_content_type() for part in _parts(mail.message)}
    if "message/disposition-notification" in types:
        return "disposition-notification"
    if "message/delivery-status" in types:
        return "delivery-status"
    if mail.message.get_content_type() == "multipart/report":
        kind = str(mail.message.get_param("report-type") or "").lower()  # a str: the default policy decodes RFC 2231
        return "disposition-notification" if "disposition" in kind else "delivery-status"
    return None


def classify(mail: ParsedMail, own_addresses: tuple[str, ...] = ()) -> Verdict:
    """The verdict for one mail: headers first, subject patterns only when no header decides."""
    report = _report_type(mail)
    if report == "disposition-notification":
        return Verdict("read_receipt", "leesbevestiging (multipart/report, disposition-notification)")
    if report == "delivery-status":
        return Verdict("bounce", "foutmelding over de bezorging (multipart/report, delivery-status)")
    auto_submitted = mail.header("Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        if mail.from_address and mail.from_address in own_addresses:
            return Verdict("own_mail", f"eigen automatische mail van {mail.from_address} (Auto-Submitted)")
        return Verdict("auto_reply", f"automatisch bericht (Auto-Submitted: {mail.header('Auto-Submitted')})")
    if mail.from_address and mail.from_address in own_addresses:
        return Verdict("own_mail", f"afzender is ons eigen adres ({mail.from_address})")
    return_path = mail.all_headers("Return-Path")
    if return_path and return_path[0].strip() in ("<>", ""):
        return Verdict("bounce" if BOUNCE_SUBJECT.search(mail.subject) else "auto_reply",
                       "lege afzender van de envelop (Return-Path: <>)")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if mail.header(name):
            return Verdict("auto_reply", f"automatisch antwoord ({name}: {mail.header(name)})")
    precedence = mail.header("Precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return Verdict("auto_reply", f"automatisch antwoord (Precedence: {precedence})")
    if mail.from_address and BOUNCE_SENDERS.match(mail.from_address):
        return Verdict("bounce", f"foutmelding van {mail.from_address}")
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if mail.header(name):
            return Verdict("list", f"mailinglijst ({name}: {mail.header(name)[:120]})")
    if precedence == "list" or mail.message.get_content_type() == "multipart/digest" or _has_digest(mail):
        return Verdict("list", "mailinglijst (Precedence: list of een digest)")
    if precedence in ("bulk", "junk"):
        return Verdict("bulk", f"massamail (Precedence: {precedence})")
    suppress = mail.header("X-Auto-Response-Suppress")
    if suppress:
        return Verdict("no_autoreply", f"de afzender vraagt geen automatische antwoorden "
                                       f"(X-Auto-Response-Suppress: {suppress})")
    return _by_subject(mail.subject) or Verdict("human", "gewone mail")


def _has_digest(mail: ParsedMail) -> bool:
    return any(part.get_content_type() == "multipart/digest" for part in _parts(mail.message))


def _by_subject(subject: str) -> Optional[Verdict]:
    if BOUNCE_SUBJECT.search(subject):
        return Verdict("bounce", f"onderwerp van een foutmelding: \u201c{subject[:120]}\u201d")
    if RECEIPT_SUBJECT.search(subject):
        return Verdict("read_receipt", f"onderwerp van een leesbevestiging: \u201c{subject[:120]}\u201d")
    if AUTO_REPLY_SUBJECT.search(subject):
        return Verdict("auto_reply", f"onderwerp van een automatisch antwoord: \u201c{subject[:120]}\u201d")
    return None


def bounce_report(mail: ParsedMail) -> BounceReport:
    """The returned mail's Message-IDs, subject and the addresses that failed, as far as the bounce says."""
    report = BounceReport()
    for part in _parts(mail.message):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            _read_status(part, report)
        elif ctype in ("message/rfc822", "text/rfc822-headers"):
            original = _original_headers(part)
            if original is not None:
                report.original_ids += [i for i in [header_text(original, "Message-ID")] if i]
                report.original_subject = report.original_subject or header_text(original, "Subject")
                if not report.failed_recipients:
                    report.failed_recipients = [a.strip("<> ").lower() for a in
                                                header_text(original, "To").split(",") if "@" in a]
    # Bounces that do not follow RFC 3464 quote the returned headers in their text.
    report.original_ids += MSGID_LINE.findall(mail.text)
    report.original_ids = list(dict.fromkeys(i.split()[0] for i in report.original_ids if i.startswith("<")))
    report.failed_recipients = list(dict.fromkeys(_address_only(a) for a in report.failed_recipients if "@" in a))
    return report


def _address_only(text: str) -> str:
    found = re.search(r"[^\s<>\"';,]+@[^\s<>\"';,]+", text)
    return found.group(0).lower() if found else text.lower()


def _read_status(part: Message, report: BounceReport) -> None:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        blocks = [HeaderParser().parsestr(b) for b in str(blocks).split("\n\n")]
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = header_text(block, "Action").lower()
        recipient = header_text(block, "Final-Recipient") or header_text(block, "Original-Recipient")
        if recipient and action in ("failed", ""):
            report.failed_recipients.append(recipient.split(";")[-1].strip())
            report.diagnostic = report.diagnostic or header_text(block, "Diagnostic-Code") or \
                header_text(block, "Status")


def _original_headers(part: Message) -> Optional[Message]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0]
        return None
    try:
        text = cast(bytes, part.get_payload(decode=True)).decode("utf-8", "replace")  # a leaf part: bytes
    except Exception:
        text = str(part.get_payload())
    return HeaderParser().parsestr(text)
