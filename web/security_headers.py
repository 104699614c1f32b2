"""Security headers on every response: pages, files, JSON, errors and static files alike.

The Content-Security-Policy allows scripts, styles, fonts and fetches from this site only: no inline
script or style anywhere (post_new.js and the .css files in web/static hold them), so an injected
`<script>` or `style=` does nothing. Images may also be `data:` (the dashboard's charts). No page may be
framed (clickjacking), forms only post here, `<base>` and plug-ins are off. Staff pages and the API carry
personal data: `Cache-Control: no-store` keeps them out of shared and browser caches; the public pages with
a token in their address (tracking, feedback, portal, report form) set that themselves.
"""
from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
NO_STORE_PREFIXES = ("/werk", "/api/")


def add_security_headers(response: Response) -> Response:
    """Set the headers on one response (a blueprint's stricter Referrer-Policy stays)."""
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
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
