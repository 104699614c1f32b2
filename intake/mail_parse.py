"""Reading an incoming mail: headers, readable text, attachments and forwarded messages.

Parsed with the standard library's email package (policy.default); mail in the wild is often broken,
so every step has a fallback: a header that cannot be parsed is read raw, an unknown charset is read
as UTF-8 with replacement characters, HTML becomes plain text, and a body whose MIME structure cannot
be followed is read as plain text. What could not be read is listed in `problems`, never raised.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Optional, cast

import html2text

MSGID = re.compile(r"<[^<>\s]+>")
SKIPPED_TYPES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
STATUS_TYPES = ("message/delivery-status", "message/disposition-notification")
FORWARD_LINE = "---------- Doorgestuurd bericht ----------"


@dataclass(frozen=True)
class Attachment:
    """One file found in the mail (decoded), with the name the sender gave it."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    """What Meldpunt needs of one mail; `message` is the parsed object for header checks."""

    raw: bytes
    message: Message
    sha256: str
    message_id: Optional[str]
    subject: str
    from_name: Optional[str]
    from_address: Optional[str]
    to: list[str]
    in_reply_to: list[str]
    references: list[str]
    date: Optional[datetime]
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: int = 0
    problems: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """One header as text ('' when absent or unreadable)."""
        return header_text(self.message, name)

    def all_headers(self, name: str) -> list[str]:
        """Every occurrence of a header, as text."""
        return [_clean(str(v)) for v in _safe_get_all(self.message, name)]


def _clean(text: str) -> str:
    """Text without surrogate escapes (raw 8-bit bytes in headers): decoded as UTF-8, else as cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _safe_get_all(message: Message, name: str) -> list:
    try:
        return list(message.get_all(name) or [])
    except Exception:  # a header policy.default cannot parse: fall back to the raw value
        return [value for key, value in message.raw_items() if key.lower() == name.lower()]


def header_text(message: Message, name: str) -> str:
    """A header of `message` as one line of text, '' when absent; never raises on a broken header."""
    values = _safe_get_all(message, name)
    if not values:
        return ""
    try:
        text = str(values[0])
    except Exception:
        text = ""
    return " ".join(_clean(text).split())


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    raw = [header_text(message, name)]
    found = []
    for display, address in getaddresses(raw):
        address = address.strip().strip("<>").lower()
        if "@" in address and len(address) <= 254 and " " not in address:
            found.append((display.strip(), address))
    return found


def _message_ids(text: str) -> list[str]:
    return MSGID.findall(text or "")


def _date(message: Message) -> Optional[datetime]:
    try:
        value = parsedate_to_datetime(header_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def _decode(part: Message) -> str:
    """The text of a leaf part in its declared charset (UTF-8, then cp1252 when it has none or a wrong one)."""
    try:
        data = cast(Optional[bytes], part.get_payload(decode=True))  # bytes, None for a multipart
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset()
    for candidate in filter(None, (charset, "utf-8", "cp1252")):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML mail body (links kept as text and address)."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    try:
        text = converter.handle(html)
    except Exception:  # html2text on very broken markup: strip the tags instead
        text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\\([-+*_#`.!\[\]()>|])", r"\1", text)
    return tidy(text)


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank lines at the ends."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _looks_like_html(text: str) -> bool:
    return bool(re.match(r"\s*<(!doctype|html|div|p|body|table|span|br)\b", text, re.IGNORECASE))


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    name = _clean(str(name)) if name else ""
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip(" .")
    if not name:
        ext = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"bijlage-{index}{ext}"
    return name[:200]


class _Reader:
    """Walks the MIME tree once, collecting text blocks, attachments and forwarded messages."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.attachments: list[Attachment] = []
        self.forwarded = 0
        self.problems: list[str] = []

    def read(self, part: Message, depth: int = 0) -> None:
        if depth > 20:
            self.problems.append("te diep geneste MIME-structuur; de rest staat in het originele bericht")
            return
        ctype = part.get_content_type()
        if ctype in STATUS_TYPES:
            self.blocks.append(status_text(part))
        elif ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
            self._forwarded(part, depth)
        elif part.is_multipart():
            self._multipart(part, ctype, depth)
        elif ctype.startswith("multipart/"):  # declared multipart, but no part boundary was found
            payload = part.get_payload()
            text = _strip_mime_lines(_clean(payload)) if isinstance(payload, str) else ""
            if text.strip():
                self.blocks.append(html_to_text(text) if _looks_like_html(text) else text)
        else:
            self._leaf(part, ctype)

    def _multipart(self, part: Message, ctype: str, depth: int) -> None:
        children = cast("list[Message] | str", part.get_payload())  # a multipart holds messages
        if not isinstance(children, list) or not children:
            preamble = part.preamble if isinstance(part.preamble, str) else ""
            if preamble.strip():
                self.blocks.append(tidy(preamble))
            return
        if ctype == "multipart/alternative":
            chosen = _best_alternative(children)
            if chosen is not None:
                self.read(chosen, depth + 1)
            for child in children:  # attachments hidden inside an alternative (some mailers do that)
                if child is not chosen and _is_attachment(child):
                    self.read(child, depth + 1)
            return
        for child in children:
            self.read(child, depth + 1)

    def _forwarded(self, part: Message, depth: int) -> None:
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(inner, Message):
            self._leaf(part, "message/rfc822")
            return
        self.forwarded += 1
        lines = [FORWARD_LINE]
        for label, name in (("Van", "From"), ("Datum", "Date"), ("Onderwerp", "Subject"), ("Aan", "To")):
            value = header_text(inner, name)
            if value:
                lines.append(f"{label}: {value}")
        self.blocks.append("\n".join(lines))
        self.read(inner, depth + 1)

    def _leaf(self, part: Message, ctype: str) -> None:
        if ctype in SKIPPED_TYPES:
            return
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            text = _decode(part)
            if part.get_param("boundary"):  # a single part that carries another part's boundaries
                text = _strip_mime_lines(text)
            text = html_to_text(text) if ctype == "text/html" or _looks_like_html(text) else tidy(text)
            if text.strip():
                self.blocks.append(text)
            return
        if ctype == "text/rfc822-headers":
            self.blocks.append(tidy(_decode(part)))
            return
        try:
            content = cast(Optional[bytes], part.get_payload(decode=True))  # bytes, None for a multipart
        except Exception:
            content = None
        if content is None and isinstance(part.get_payload(), list):
            # a message/* part that is not multipart in the tree: keep its serialised form
            content = b"".join(p.as_bytes() for p in part.get_payload() if isinstance(p, Message))
        if not content:
            return
        declared = ctype if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", ctype) else "application/octet-stream"
        self.attachments.append(Attachment(_filename(part, len(self.attachments) + 1), declared, content))


def status_text(part: Message) -> str:
    """The fields of a delivery or read report (message/delivery-status) as text."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = ["\n".join(f"{k}: {_clean(str(v))}" for k, v in block.raw_items())
                  for block in payload if isinstance(block, Message)]
        return tidy("\n\n".join(blocks))
    return tidy(_decode(part))


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    return disposition == "attachment"


def _best_alternative(children: list) -> Optional[Message]:
    """The plain text alternative when it has text, else the HTML one, else the first."""
    plain = next((c for c in children if isinstance(c, Message) and c.get_content_type() == "text/plain"
                  and not _is_attachment(c) and _decode(c).strip()), None)
    if plain is not None:
        return plain
    html = next((c for c in children if isinstance(c, Message) and c.get_content_type() == "text/html"), None)
    nested = next((c for c in children if isinstance(c, Message) and c.is_multipart()), None)
    return html or nested or next((c for c in children if isinstance(c, Message)), None)


def _strip_mime_lines(text: str) -> str:
    """Text without MIME boundary and part-header lines."""
    kept = [line for line in text.splitlines()
            if not line.startswith("--") and not re.match(r"(?i)(content-[a-z-]+|mime-version):", line)]
    return tidy("\n".join(kept))


def _raw_body(raw: bytes) -> str:
    """The body after the header block as text, without boundary and part-header lines (the last resort)."""
    parts = re.split(rb"\r?\n\r?\n", raw.lstrip(b" \t\r\n"), maxsplit=1)
    body = parts[1] if len(parts) == 2 else b""
    return _strip_mime_lines(body.decode("utf-8", "replace")) if body else ""


MAIL_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "return-path", "mime-version")


def looks_like_mail(raw: bytes) -> bool:
    """Whether the bytes start with a mail header block (a .eml file), not a photo or a PDF."""
    try:
        message = parse_message(raw[:65536])
    except Exception:
        return False
    return any(key.lower() in MAIL_HEADERS for key, _value in message.raw_items())


def parse_message(raw: bytes) -> Message:
    """The parsed message (policy.default; compat32 when the modern parser gives up)."""
    data = raw.lstrip(b" \t\r\n")  # some stored mails start with a line of blanks
    try:
        return BytesParser(policy=policy.default).parsebytes(data)
    except Exception:
        return BytesParser(policy=policy.compat32).parsebytes(data)


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything Meldpunt reads from one raw mail; broken mail gives what could be read."""
    message = parse_message(raw)
    reader = _Reader()
    try:
        reader.read(message)
    except Exception as err:  # a structure the email package cannot walk: read the body as text
        reader.problems.append(f"MIME-structuur niet leesbaar ({type(err).__name__})")
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    if defects:
        reader.problems.append("onvolledige of foute MIME-opbouw: " + ", ".join(sorted(set(defects))))
    text = "\n\n".join(block for block in reader.blocks if block.strip())
    if not text.strip() and (defects or reader.problems):
        text = _raw_body(raw)
    senders = _addresses(message, "From") or _addresses(message, "Sender") or _addresses(message, "Reply-To")
    from_name, from_address = senders[0] if senders else (None, None)
    message_ids = _message_ids(header_text(message, "Message-ID"))
    return ParsedMail(
        raw=raw, message=message, sha256=hashlib.sha256(raw).hexdigest(),
        message_id=message_ids[0][:500] if message_ids else None,
        subject=header_text(message, "Subject")[:500], from_name=(from_name or None),
        from_address=from_address, to=[a for _n, a in _addresses(message, "To") + _addresses(message, "Cc")],
        in_reply_to=_message_ids(header_text(message, "In-Reply-To")),
        references=_message_ids(" ".join(str(v) for v in _safe_get_all(message, "References"))),
        date=_date(message), text=text, attachments=reader.attachments, forwarded=reader.forwarded,
        problems=reader.problems)


__all__ = ["Attachment", "ParsedMail", "parse_mail", "parse_message", "header_text", "html_to_text", "tidy",
           "looks_like_mail"]
