"""Wiring the edge into the app: the visitor's address behind trusted proxies, and the security headers."""
from __future__ import annotations

from flask import Flask

from engine.settings import Settings

from .proxy import TrustedProxies
from .security_headers import init_security_headers


def init_security(app: Flask) -> None:
    """Install the trusted-proxy middleware (when MELDPUNT_TRUSTED_PROXIES is set) and the headers."""
    networks = Settings(app.config).trusted_proxies
    if networks:
        # Flask documents wrapping wsgi_app as the way to add middleware; its stubs call it a method
        app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]
    init_security_headers(app)
