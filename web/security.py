"""Wiring the edge into the app: the visitor's address behind trusted proxies, and the security headers."""
from __future__ import annotations

from flask import Flask

from .proxy import TrustedProxies
from .security_config import trusted_proxies
from .security_headers import init_security_headers


def init_security(app: Flask) -> None:
    """Install the trusted-proxy middleware (when MELDPUNT_TRUSTED_PROXIES is set) and the headers."""
    networks = app.config.get("MELDPUNT_TRUSTED_PROXIES") or ()
    if isinstance(networks, str):  # given as text, e.g. in a test's config
        networks = trusted_proxies(networks)
    if networks:
        # Flask documents wrapping wsgi_app as the way to add middleware; its stubs call it a method
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]
    init_security_headers(app)
