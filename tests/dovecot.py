"""A real IMAP server for tests: Debian's Dovecot with a throwaway configuration, on 127.0.0.1 and a free port.

Use the `dovecot` fixture (registered for every test module by `pytest_plugins` in tests/conftest.py), or
`running_dovecot()` as a context manager. Messages go in with IMAP APPEND (`server.append(raw)`), as a
mail server would deliver them; Meldpunt then reads them with its own IMAP code.

Without Dovecot the tests that need it (marker `imap`) skip with the reason, and fail in CI (tests/services.py):
install it with `apt-get install dovecot-imapd`.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from .services import DOVECOT, require

USER = "info@stad.example"
PASSWORD = "meldpunt-test-imap"

CONFIG = """\
# Throwaway Dovecot for Meldpunt's tests; everything lives under {base}.
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = meldpunt-test-{port}
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
# Dovecot refuses to run mail processes as root (uid 0 is below first_valid_uid, and it checks): the
# mailbox belongs to the unprivileged user {user_name} (uid {uid}), who owns the maildir below.
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
default_internal_user = {user_name}
default_internal_group = {group_name}
default_login_user = {user_name}
mail_location = maildir:{base}/mail/%n
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PLAIN = """# Plain-text login over the loopback interface, no certificates: this server only lives for one test.
ssl = no"""
TLS = """# TLS with a throwaway self-signed certificate for 127.0.0.1 (the test trusts it through SSL_CERT_FILE);
# plain-text login stays allowed so STARTTLS can be tested on the same server.
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem"""


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls_port: int | None = None  # IMAPS, when started with tls=True
    certificate: Path | None = None  # the self-signed certificate to trust, when started with tls=True

    def config(self) -> dict[str, object]:
        """The app settings that point Meldpunt's mailbox reader at this server."""
        return {"MELDPUNT_IMAP_HOST": self.host, "MELDPUNT_IMAP_PORT": self.port, "MELDPUNT_IMAP_SSL": False,
                "MELDPUNT_IMAP_STARTTLS": False, "MELDPUNT_IMAP_USER": self.user,
                "MELDPUNT_IMAP_PASSWORD": self.password, "MELDPUNT_IMAP_FOLDER": self.folder}

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A logged-in IMAP connection of the test itself (to put mail in and look at flags)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        try:
            yield client
        finally:
            client.logout()

    def append(self, *messages: bytes, folder: str | None = None) -> None:
        """Deliver messages into the folder (IMAP APPEND), unread, in this order."""
        with self.client() as client:
            for raw in messages:
                client.append(folder or self.folder, raw)

    def flags(self, folder: str | None = None) -> dict[int, tuple[bytes, ...]]:
        """UID -> flags of every message in the folder."""
        with self.client() as client:
            client.select_folder(folder or self.folder, readonly=True)
            uids = client.search("ALL")
            return {uid: item[b"FLAGS"] for uid, item in client.fetch(uids, ["FLAGS"]).items()} if uids else {}

    def recreate_folder(self, folder: str) -> None:
        """Delete and create `folder` again with the same messages: the server gives it a new UIDVALIDITY."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            raws = [item[b"BODY[]"] for _uid, item in sorted(fetched.items())]
            client.unselect_folder()
            client.delete_folder(folder)
            client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on port {port} within {timeout}s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def _self_signed_certificate(base: Path) -> Path:
    """A certificate and key for 127.0.0.1 made with openssl (a dependency of dovecot-core)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(base / "key.pem"),
                    "-out", str(base / "cert.pem")], check=True, capture_output=True)
    return base / "cert.pem"


@contextmanager
def running_dovecot(tls: bool = False) -> Iterator[DovecotServer]:
    """Start Dovecot in the foreground with a configuration of its own; stop it and remove everything after."""
    require("imap")
    account = pwd.getpwnam("nobody")
    group_name = subprocess.run(["id", "-gn", "nobody"], capture_output=True, text=True, check=True).stdout.strip()
    # Not under pytest's tmp_path: that is private to root (0700), and the mail processes run as nobody.
    base = Path(tempfile.mkdtemp(prefix="meldpunt-dovecot-"))
    base.chmod(0o755)
    (base / "mail").mkdir()
    os.chown(base / "mail", account.pw_uid, account.pw_gid)
    port, tls_port = _free_port(), (_free_port() if tls else 0)
    certificate = _self_signed_certificate(base) if tls else None
    conf = base / "dovecot.conf"
    conf.write_text(CONFIG.format(base=base, port=port, uid=account.pw_uid, gid=account.pw_gid,
                                  user_name=account.pw_name, group_name=group_name, password=PASSWORD,
                                  imaps_port=tls_port, ssl_settings=(TLS if tls else PLAIN).format(base=base)))
    log = base / "dovecot.log"
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=open(log, "ab"))  # noqa: SIM115 (closed with the process)
    try:
        _wait_for_port(port, process, log)
        if tls:
            _wait_for_port(tls_port, process, log)
        yield DovecotServer(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                            tls_port=tls_port or None, certificate=certificate)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(name="dovecot")
def dovecot_fixture():
    """A fresh Dovecot with an empty mailbox for one test."""
    with running_dovecot() as server:
        yield server


@pytest.fixture(name="dovecot_tls")
def dovecot_tls_fixture():
    """A fresh Dovecot that also speaks IMAPS and STARTTLS, with a self-signed certificate."""
    with running_dovecot(tls=True) as server:
        yield server
