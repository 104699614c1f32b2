"""Rate limits behind a reverse proxy: each citizen has their own budget when X-Forwarded-For comes from a
proxy in MELDPUNT_TRUSTED_PROXIES, and a visitor cannot pick the address it is counted for."""
from __future__ import annotations

import io
import re

import pytest

from engine.settings import Settings
from web.app import create_app
from web.proxy import TrustedProxies
from web.secret_key import ConfigError

VALID = {"categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen",
         "description": "De straatlamp aan paal 12 brandt al een week niet.", "email": "els@voorbeeld.example"}
PROXY = "10.0.0.2"


def report(client, forwarded_for: str | None = None, peer: str = PROXY):
    """One melding through the public form, as the proxy (or whoever connects) passes it on."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    environ = {"REMOTE_ADDR": peer}
    page = client.get("/melden?categorie=straatlamp-defect", headers=headers, environ_base=environ,
                      follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/melden", data={**VALID, "csrf_token": token, "photos": [(io.BytesIO(b""), "")]},
                       headers=headers, environ_base=environ, content_type="multipart/form-data")


@pytest.fixture
def proxied(app):
    """The same database behind a proxy on 10.0.0.0/8 that Meldpunt trusts."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "SECRET_KEY": app.config["SECRET_KEY"], "MELDPUNT_TRUSTED_PROXIES": "10.0.0.0/8",
                        "MELDPUNT_REPORT_RATE": "2/600", "MELDPUNT_STORAGE_PATH": app.config["MELDPUNT_STORAGE_PATH"]})
    with other.app_context():
        yield other
        from engine.db import db

        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_every_citizen_has_their_own_budget(proxied):
    client = proxied.test_client()
    assert [report(client, "198.51.100.1").status_code for _ in range(2)] == [303, 303]
    assert report(client, "198.51.100.1").status_code == 429
    assert report(client, "198.51.100.2").status_code == 303, "a second citizen behind the same proxy was refused"


def test_a_citizen_cannot_pick_the_address_by_sending_the_header_through_the_proxy(proxied):
    """The proxy appends the real address; what the visitor wrote to the left of it does not count."""
    client = proxied.test_client()
    for fake in ("1.1.1.1", "2.2.2.2"):
        assert report(client, f"{fake}, 198.51.100.1").status_code == 303
    assert report(client, "3.3.3.3, 198.51.100.1").status_code == 429


def test_proxies_in_a_chain_are_skipped_to_the_right_most_untrusted_address(proxied):
    client = proxied.test_client()
    for _ in range(2):
        assert report(client, "198.51.100.1, 10.0.0.7").status_code == 303
    assert report(client, "198.51.100.1").status_code == 429  # the same citizen, one proxy less


def test_the_header_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(proxied):
    client = proxied.test_client()
    for fake in ("198.51.100.1", "198.51.100.2"):
        assert report(client, fake, peer="192.0.2.50").status_code == 303
    assert report(client, "198.51.100.3", peer="192.0.2.50").status_code == 429


def test_without_the_setting_a_spoofed_header_does_not_change_the_key(app, client):
    app.config["MELDPUNT_REPORT_RATE"] = "2/600"
    for fake in ("198.51.100.1", "198.51.100.2"):
        assert report(client, fake).status_code == 303
    assert report(client, "198.51.100.3").status_code == 429


def seen(networks: str, environ: dict) -> tuple[str, str]:
    """REMOTE_ADDR and scheme the app sees behind the middleware."""
    captured = {}

    def app(env, start_response):
        captured.update(env)
        return []

    trusted = Settings({"MELDPUNT_TRUSTED_PROXIES": networks}).trusted_proxies
    TrustedProxies(app, trusted)({"wsgi.url_scheme": "http", **environ}, None)
    return captured["REMOTE_ADDR"], captured["wsgi.url_scheme"]


def test_the_scheme_comes_from_x_forwarded_proto_of_a_trusted_proxy_only():
    environ = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1", "HTTP_X_FORWARDED_PROTO": "https"}
    assert seen("10.0.0.0/8", environ) == ("198.51.100.1", "https")
    assert seen("10.0.0.0/8", {**environ, "REMOTE_ADDR": "192.0.2.1"}) == ("192.0.2.1", "http")
    assert seen("10.0.0.2, fd00::/8", {**environ, "HTTP_X_FORWARDED_FOR": "2001:db8::1"}) == ("2001:db8::1", "https")
    # Garbage where the proxy writes the peer: keep counting the proxy rather than trusting it.
    assert seen("10.0.0.0/8", {**environ, "HTTP_X_FORWARDED_FOR": "unknown"})[0] == "10.0.0.2"


def test_a_bad_trusted_proxies_setting_stops_the_start_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("MELDPUNT_TRUSTED_PROXIES", "10.0.0.1, proxy.stad.local")
    with pytest.raises(ConfigError, match="MELDPUNT_TRUSTED_PROXIES: 'proxy.stad.local'"):
        create_app({"TESTING": True})
