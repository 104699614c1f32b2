"""The production shape on this machine, for tests/test_production_shape.py: gunicorn with several sync
workers serving `web.wsgi:app`, `meldpunt worker` processes, all started as real processes on one PostgreSQL
schema, and a small HTTP client (cookies, forms with their hidden fields, multipart uploads) that talks to
gunicorn as a browser or an API client would.

Nothing here imports the app's code: the processes are the product, spoken to over HTTP, SMTP, IMAP and S3.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


# ------------------------------------------------------------------------------------------------ processes


@dataclass
class Shape:
    """gunicorn and the `meldpunt worker` processes of one installation, with their logs in `folder`."""

    env: dict[str, str]
    folder: Path
    web_workers: int = 3
    port: int = 0
    web: Optional[subprocess.Popen] = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    started: int = 0  # worker processes started so far (each gets a log of its own)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen:
        with (self.folder / log_name).open("ab") as out:
            return subprocess.Popen(command, cwd=self.folder, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def start_web(self, port: int) -> None:
        self.port = port
        self.web = self._spawn([sys.executable, "-m", "gunicorn", "-w", str(self.web_workers), "-k", "sync",
                                "-b", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "30",
                                "web.wsgi:app"], "gunicorn.log")

    def start_worker(self) -> subprocess.Popen:
        self.started += 1
        process = self._spawn([str(BIN / "meldpunt"), "worker"], f"worker-{self.started}.log")
        self.workers.append(process)
        return process

    def wait_ready(self, timeout: float = 180) -> None:
        """Until /readyz answers 200 (the database, its schema and the bucket as gunicorn's workers see them)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=10) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            if time.monotonic() > deadline or (self.web is not None and self.web.poll() is not None):
                raise AssertionError(f"gunicorn did not become ready:\n{self.log_tail('gunicorn.log')}")
            time.sleep(0.5)

    def kill_worker(self, process: subprocess.Popen) -> None:
        """kill -9, as a power cut or the OOM killer would: no handler runs, nothing is finished."""
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        self.workers.remove(process)

    def alive_workers(self) -> list[subprocess.Popen]:
        return [p for p in self.workers if p.poll() is None]

    def stop(self) -> dict[str, Optional[int]]:
        """SIGTERM to everything (what systemctl stop sends), SIGKILL after a grace period; the exit codes of the
        processes that were still running (None: one had to be killed)."""
        named = {"gunicorn": self.web, **{f"worker {p.pid}": p for p in self.workers}}
        running = {name: p for name, p in named.items() if p is not None and p.poll() is None}
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        codes: dict[str, Optional[int]] = {}
        for name, process in running.items():
            try:
                codes[name] = process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
                codes[name] = None
        return codes

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.folder / name
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def logs(self) -> dict[str, str]:
        return {path.name: path.read_text(errors="replace") for path in sorted(self.folder.glob("*.log"))}


def smtp_connections(pid: int, smtp_port: int) -> int:
    """How many TCP connections process `pid` has open to 127.0.0.1:`smtp_port` (read from /proc)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return 0
    wanted = f"0100007F:{smtp_port:04X}"
    found = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            columns = line.split()
            # remote address, state 01 (ESTABLISHED), inode
            if columns[2] == wanted and columns[3] == "01" and columns[9] in inodes:
                found += 1
    return found


# ------------------------------------------------------------------------------------------------ HTTP


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 302/303 comes back as it is: the test looks at it
        return None


class Http:
    """One client of the web processes: a browser (its own cookies) or an API client (a bearer token)."""

    def __init__(self, base: str, token: Optional[str] = None) -> None:
        self.base = base
        self.token = token
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def request(self, method: str, path: str, *, json_body: Any = None, form: Optional[dict[str, str]] = None,
                files: Optional[dict[str, list[tuple[str, bytes, str]]]] = None,
                headers: Optional[dict[str, str]] = None) -> Response:
        sent = dict(headers or {})
        data = None
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        elif files is not None:
            data, sent["Content-Type"] = multipart(form or {}, files)
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        url = path if path.startswith("http") else f"{self.base}{path}"
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as err:  # 3xx (not followed), 4xx and 5xx: the test looks at them
            return Response(err.code, err.headers, err.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> Response:
        return self.request("POST", path, **kw)

    def follow(self, response: Response) -> Response:
        """GET the page a 302/303 points at."""
        return self.get(response.headers["Location"])

    def submit(self, page_path: str, having: str, fields: Optional[dict[str, str]] = None,
               files: Optional[dict[str, list[tuple[str, bytes, str]]]] = None) -> Response:
        """Open the page, take the hidden fields (CSRF token, one-time form token) of its form with the field
        `having`, fill in `fields` and send it to the form's action, as a browser does."""
        page = self.get(page_path)
        while page.status in (301, 302, 303):
            page = self.follow(page)
        assert page.status == 200, f"{page_path}: {page.status} {page.text[:300]}"
        form = find_form(page.text, having)
        target = form.action or page_path
        values = {**form.hidden, **(fields or {})}
        if files is not None:
            return self.post(target, form=values, files=files)
        return self.post(target, form=values)


def multipart(fields: dict[str, str], files: dict[str, list[tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """multipart/form-data: the fields, and per file field a list of (filename, content, content type)."""
    boundary = f"----meldpunt{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, uploads in files.items():
        for filename, content, content_type in uploads:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every field's name (inputs, text areas, selects)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Optional[Form] = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "select") and self._open is not None and values.get("name"):
            self._open.names.add(values["name"])
            if tag == "input" and values.get("type") == "hidden":
                self._open.hidden[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def find_form(html: str, having: str) -> Form:
    """The page's first POST form with a field named `having`."""
    parser = _Forms()
    parser.feed(html)
    posts = [f for f in parser.forms if f.method == "post" and having in f.names]
    assert posts, f"no POST form with the field '{having}' on the page"
    return posts[0]


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 90, every: float = 0.3) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)
