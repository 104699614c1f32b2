"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, collecting what it receives.

Use the `smtp_server` fixture (registered for every test module by `pytest_plugins` in tests/conftest.py), or
`running_smtp_server()` as a context manager. `server.refuse[address] = "451 4.3.0 Try again later"`
(or a 550) makes the server answer RCPT TO for that recipient with the given reply, until removed.
`server.delay = 0.5` makes it wait that long before answering each message's DATA (the message counts
as received before the wait, as a real server has taken it before its reply reaches the sender);
`server.stop()` and `server.start()` take it off its port and back (a mail server outage).
"""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it: the envelope and the parsed MIME message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    def part(self, content_type: str) -> str:
        """The decoded body of the text/plain or text/html alternative."""
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None and body.get_content_type() == content_type, f"no {content_type} part"
        return body.get_content()


@dataclass
class CollectingHandler:
    """aiosmtpd handler: accepts every message, except for recipients listed in `refuse`."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # lower-case address -> SMTP reply line
    delay: float = 0.0  # seconds to wait before answering DATA

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append(Received(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw,
                                      message=message_from_bytes(raw, policy=policy.default)))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler
    controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def refuse(self) -> dict[str, str]:
        return self.handler.refuse

    @property
    def delay(self) -> float:
        return self.handler.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self.handler.delay = seconds

    def message_ids(self) -> list[str]:
        """The Message-ID of every message received, in order (a duplicate shows twice)."""
        return [str(m.message["Message-ID"]) for m in self.messages]

    def stop(self) -> None:
        """Take the server off its port: connections are refused until start()."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def start(self) -> None:
        """Listen on the same port again, with the same handler (what it received so far is kept)."""
        if self.controller is None:
            self.controller = Controller(self.handler, hostname=self.host, port=self.port, ready_timeout=10)
            self.controller.start()

    def config(self) -> dict[str, object]:
        """The app settings that point Meldpunt's sender at this server."""
        return {"MELDPUNT_SMTP_HOST": self.host, "MELDPUNT_SMTP_PORT": self.port, "MELDPUNT_SMTP_STARTTLS": False,
                "MELDPUNT_SMTP_TIMEOUT": 5}


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """Start aiosmtpd on 127.0.0.1 (a free port) for the duration of the block."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    server = SmtpServer(host="127.0.0.1", port=controller.port, handler=handler, controller=controller)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    """A running test SMTP server; `.messages` holds what it received."""
    with running_smtp_server() as server:
        yield server
