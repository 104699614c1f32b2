"""Demo work for the onthaal in `make run`: info mails through the real mail intake, letters through post registration.

Each demo mail has a fixed Message-ID and each demo letter a fixed sender and subject, so running
`meldpunt seed --demo` again takes nothing in twice.
"""
from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Optional

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from handlers.models import User
from handlers.post_models import PostLetter

from .mail_intake import take_in
from .mail_models import IncomingMail
from .post_intake import check_registration, local_today, register_post

INFO_ADDRESS = "Stad Mechelen <info@stad.example>"

CONTAINERPARK = (
    "<demo-containerpark@voorbeeld.example>", "Jan Verhoeven <jan.verhoeven@voorbeeld.example>",
    "Openingsuren containerpark tussen Kerstmis en Nieuwjaar",
    "Goedemorgen,\n\nIs het containerpark open tussen Kerstmis en Nieuwjaar? Ik wil snoeihout en een oude "
    "kast binnenbrengen en vind de aangepaste openingsuren niet op de website.\n\nMet vriendelijke groeten,\n"
    "Jan Verhoeven\n")
ZITBANK = (
    "<demo-zitbank@voorbeeld.example>", "Fatima El Amrani <fatima.elamrani@voorbeeld.example>",
    "Kapotte zitbank in het Vrijbroekpark (foto)",
    "Beste,\n\nDe houten zitbank aan de vijver in het Vrijbroekpark is gebroken: er steken planken met nagels "
    "uit. Kinderen spelen er vlakbij. In bijlage een foto.\n\nVriendelijke groet,\nFatima El Amrani\n")
AFWEZIG = (
    "<demo-afwezig@bedrijf.example>", "Sofie Peeters <sofie.peeters@bedrijf.example>",
    "Afwezig: tot en met 4 januari",
    "Ik ben afwezig tot en met 4 januari en lees mijn mails niet. Voor dringende zaken kunt u terecht bij "
    "onze algemene balie.\n")

# sender name, address, e-mail, subject, kind, group, lines of the scan
LETTERS = [
    ("Marc De Smet", "Nekkerspoelstraat 210\n2800 Mechelen", "marc.desmet@voorbeeld.example",
     "Vraag om een zitbank aan de bushalte Nekkerspoel", "vraag", "onderhoud-openbaar-domein",
     ["Mechelen, {written}", "Geachte heer, mevrouw,",
      "Aan de bushalte Nekkerspoel staat geen zitbank meer sinds de werken.",
      "Voor ouderen is het lang wachten. Kan er opnieuw een bank komen?", "Hoogachtend,", "Marc De Smet"]),
    ("Buurtcomite Oud Sint-Maarten", "Sint-Maartensplein 4\n2800 Mechelen", None,
     "Ter info: buurtfeest op het Sint-Maartensplein", "ter_info", "vrije-tijd",
     ["Mechelen, {written}", "Beste,", "Ter informatie: ons jaarlijkse buurtfeest gaat door op het plein.",
      "De toelating van de politie is aangevraagd.", "Met buurtgroeten,", "Het buurtcomite"]),
]


def _png(width: int = 24, height: int = 16) -> bytes:
    """A small real PNG (a green and brown 'photo'), made without an image library."""
    rows = b"".join(b"\x00" + b"".join(b"\x3c\x8c\x3c" if y < height // 2 else b"\x8b\x5a\x2b"
                                       for _x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scan_pdf(lines: list[str]) -> bytes:
    """A one-page A4 PDF with the letter's lines as text (what the postkamer's scanner would deliver)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    text = "BT /F1 12 Tf 72 770 Td 16 TL " + " ".join(f"({line}) '" for line in escaped) + " ET"
    stream = DecodedStreamObject()
    stream.set_data(text.encode("latin-1", "replace"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def demo_mails() -> list[EmailMessage]:
    """The demo info mails as a mail client would send them (dated today)."""
    now = utcnow()
    messages: list[EmailMessage] = []
    for message_id, sender, subject, body in (CONTAINERPARK, ZITBANK, AFWEZIG):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, INFO_ADDRESS, subject
        message["Date"] = format_datetime(now - timedelta(hours=len(messages) + 1))
        message["Message-ID"] = message_id
        if message_id == AFWEZIG[0]:
            message["Auto-Submitted"] = "auto-replied"
            message["X-Autoreply"] = "yes"
        message.set_content(body)
        if message_id == ZITBANK[0]:
            message.add_attachment(_png(), maintype="image", subtype="png", filename="zitbank-vrijbroekpark.png")
        messages.append(message)
    return messages


def create_demo_mails() -> int:
    """Take in the demo mails that are not in yet, through the real intake; returns how many were taken in."""
    taken = 0
    for message in demo_mails():
        seen = db.session.scalar(select(IncomingMail.id).where(IncomingMail.message_id == message["Message-ID"])
                                 .limit(1))
        if seen is None:
            take_in(message.as_bytes())
            taken += 1
    return taken


def _registrar() -> Optional[User]:
    return db.session.scalar(select(User).where(User.username == "eva.onthaal"))


def create_demo_letters() -> int:
    """Register the demo letters that are not registered yet (same sender and subject); returns how many."""
    registrar = _registrar()
    today = local_today()
    made = 0
    for name, address, email, subject, kind, group, lines in LETTERS:
        exists = db.session.scalar(select(PostLetter.id).where(PostLetter.sender_name == name,
                                                               PostLetter.subject == subject).limit(1))
        if exists is not None:
            continue
        written = today - timedelta(days=4)
        scan = scan_pdf([line.format(written=written.strftime("%d-%m-%Y")) for line in lines])
        values = {"sender_name": name, "sender_address": address, "sender_email": email or "",
                  "received_on": (today - timedelta(days=1)).isoformat(), "written_on": written.isoformat(),
                  "subject": subject, "kind": kind, "group": group}
        registration = check_registration(values, scan, f"scan-{kind}.pdf")
        register_post(registration, actor=registrar.username if registrar else "demo",
                      user_id=registrar.id if registrar else None)
        made += 1
    return made
