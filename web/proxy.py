"""The visitor's address behind a reverse proxy, trusting X-Forwarded-* only from the proxies we run.

Without MELDPUNT_TRUSTED_PROXIES the headers are ignored: anyone can send them, so trusting them would let a
visitor pick the address its rate limits count for. With it, and only for a request whose direct peer is
one of those proxies, REMOTE_ADDR becomes the right-most address in X-Forwarded-For that is not a trusted
proxy: everything left of it was written by the visitor (or a proxy we do not run) and proves nothing.
X-Forwarded-Proto from the same proxy sets the scheme. Unlike werkzeug's ProxyFix, which trusts a fixed
number of hops from whoever connects, this checks who connected.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, Optional

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> Optional[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR and wsgi.url_scheme from X-Forwarded-For/-Proto of trusted proxies only."""

    def __init__(self, app: Any, networks: Iterable[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    def trusted(self, text: Optional[str]) -> bool:
        address = _address(text or "")
        return address is not None and any(address in network for network in self.networks)

    def client(self, forwarded: list[str]) -> tuple[Optional[str], int]:
        """The right-most untrusted address of the chain and its position (None when it is not an address)."""
        for index in range(len(forwarded) - 1, -1, -1):
            if not self.trusted(forwarded[index]):
                address = _address(forwarded[index])
                return (str(address) if address else None), index
        return str(_address(forwarded[0])), 0  # only our proxies: the left-most is as close as it gets

    def __call__(self, environ: dict, start_response):
        peer = environ.get("REMOTE_ADDR")
        if self.networks and self.trusted(peer):
            forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
            protos = [p.strip().lower() for p in environ.get("HTTP_X_FORWARDED_PROTO", "").split(",") if p.strip()]
            index = None
            if forwarded:
                address, index = self.client(forwarded)
                if address is not None:  # garbage where the proxy wrote the peer: keep the proxy's own address
                    environ["meldpunt.proxy_peer"] = peer
                    environ["REMOTE_ADDR"] = address
            if protos:
                proto = protos[index] if index is not None and len(protos) == len(forwarded) else protos[-1]
                if proto in ("http", "https"):
                    environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
