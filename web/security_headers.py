"""Security headers on every response: pages, files, JSON, errors and static files alike.

The Content-Security-Policy allows scripts, styles, fonts and fetches from this site only: no inline
script or style anywhere (post_new.js and the .css files in web/static hold them), so an injected
`<script>` or `style=` does nothing. Images may also be `data:` (the dashboard's charts) or map tiles from
the origin of `MELDPUNT_MAP_TILE_URL`. No page may be framed (clickjacking), forms only post here, `<base>`
and plug-ins are off. Staff pages and the API carry personal data: `Cache-Control: no-store` keeps them out
of shared and browser caches; the public pages with a token in their address (tracking, feedback, portal,
report form) set that themselves.
"""
from __future__ import annotations

from flask import Flask, Response, request

from .maps import tile_origin

CSP_BEFORE_IMAGES = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
])
CSP_AFTER_IMAGES = "; ".join([
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def csp() -> str:
    """The policy: images also from the map tiles' origin (MELDPUNT_MAP_TILE_URL, web/maps.py)."""
    return f"{CSP_BEFORE_IMAGES}; img-src 'self' data: {tile_origin()}; {CSP_AFTER_IMAGES}"
NO_STORE_PREFIXES = ("/werk", "/api/")


def add_security_headers(response: Response) -> Response:
    """Set the headers on one response (a blueprint's stricter Referrer-Policy stays)."""
    headers = response.headers
    headers["Content-Security-Policy"] = csp()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers that predate it
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def init_security_headers(app: Flask) -> None:
    """Register the headers for every response of the app."""
    app.after_request(add_security_headers)
