"""deploy/: the systemd units and the nginx example agree with what Meldpunt is and does (the commands they
start exist, nginx lets through the largest upload Meldpunt takes and sends the headers it trusts, /metrics
stays in), and the example configuration starts the app as it is."""
from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from web import portal, public_form
from web.cli import main
from web.config import Config
from web.staff import post

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case
    parser.read_string((DEPLOY / name).read_text().replace("\\\n", " "))
    return parser


def nginx() -> str:
    text = (DEPLOY / "nginx.conf").read_text() + (DEPLOY / "nginx-proxy-headers.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # without comments


def test_the_web_unit_runs_gunicorn_on_the_wsgi_app_with_the_shared_configuration():
    service = unit("meldpunt-web.service")["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/.venv/bin/gunicorn") and command[-1] == "web.wsgi:app"
    assert int(command[command.index("--workers") + 1]) >= 2
    assert service["EnvironmentFile"] == "/etc/meldpunt/meldpunt.env" and service["User"] == "meldpunt"
    # gunicorn ends a stuck request before nginx gives up on it
    timeout = int(command[command.index("--timeout") + 1])
    assert timeout < int(re.search(r"proxy_read_timeout (\d+)s;", nginx()).group(1))


def test_the_worker_template_runs_meldpunt_worker_and_gives_it_time_to_stop_cleanly():
    service = unit("meldpunt-worker@.service")["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/.venv/bin/meldpunt") and command[1:] == ["worker"]
    assert "worker" in main.commands
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 4 * 30
    assert unit("meldpunt-worker@.service")["Install"]["WantedBy"] == "meldpunt-workers.target"


def test_nginx_takes_the_largest_upload_and_sends_the_headers_meldpunt_trusts():
    config = nginx()
    limit = re.search(r"client_max_body_size (\d+)m;", config)
    largest = max(public_form.MAX_UPLOAD, portal.MAX_UPLOAD, post.MAX_UPLOAD)
    assert limit and int(limit.group(1)) * 1024 * 1024 >= largest
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in config
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{8,}; includeSubDomains" always;', config)
    assert re.search(r"listen 80;\s+listen \[::\]:80;\s+server_name \S+;\s+return 301 https://", config)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in config


def test_metrics_are_not_served_to_the_public():
    block = re.search(r"location = /metrics \{(.*?)\}", nginx(), re.DOTALL)
    assert block and "deny all;" in block.group(1)


def test_the_example_configuration_starts_the_app_as_it_is(tmp_path):
    values = {}
    for line in (DEPLOY / "meldpunt.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    configured = vars(Config(str(tmp_path), values))  # a name not declared, or a bad value, would stop it
    assert all(name in configured or name in ("MELDPUNT_DATABASE_URL", "MELDPUNT_SECRET_KEY") for name in values)
    assert configured["MELDPUNT_STORAGE"] == "s3" and configured["MELDPUNT_S3_BUCKET"] == "meldpunt"
    assert [str(n) for n in configured["MELDPUNT_TRUSTED_PROXIES"]] == ["127.0.0.1/32"]
