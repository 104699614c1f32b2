"""`python -m benchmarks.smtp_sink PORT`: an aiosmtpd server that accepts and counts every message.

The mail benchmark runs it in a process of its own, so the server does not share the sender's
interpreter (and GIL): what is measured is the sender, as it would be against a real mail server.
It prints `ready` once listening and, on SIGTERM or end of input, the number of messages received.
"""
from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class CountingHandler:
    """Accept every message; keep only the count (and the Message-IDs, to check none came twice)."""

    def __init__(self) -> None:
        self.count = 0
        self.message_ids: set[str] = set()
        self.duplicates = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        content = envelope.original_content or envelope.content or b""
        for line in content.split(b"\n", 40)[:40]:
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode("ascii", "replace")
                self.duplicates += message_id in self.message_ids
                self.message_ids.add(message_id)
                break
        return "250 Message accepted for delivery"


def main(argv: list[str]) -> int:
    """Serve on 127.0.0.1:PORT until SIGTERM or stdin closes; print the count received."""
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=int(argv[1]), ready_timeout=10)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()
    print(f"{handler.count} {handler.duplicates}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
