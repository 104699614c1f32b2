"""A local map tile server for the browser tests: every /{z}/{x}/{y}.png is a small PNG, and each request
is counted, so the tests never reach the internet and can see that the map really loaded its tiles."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .images import png

TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@dataclass
class Tiles:
    url: str  # the MELDPUNT_MAP_TILE_URL template
    requested: list[tuple[int, int, int]] = field(default_factory=list)


@contextmanager
def tile_server() -> Iterator[Tiles]:
    body = png(256, 256, (226, 232, 220))
    tiles = Tiles("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            match = TILE.match(self.path)
            if not match:
                self.send_error(404)
                return
            tiles.requested.append(tuple(int(g) for g in match.groups()))  # type: ignore[arg-type]
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            pass  # a browser leaving the page drops its tile requests: a broken pipe, not a failure

    server = Server(("127.0.0.1", 0), Handler)
    tiles.url = f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tiles
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
