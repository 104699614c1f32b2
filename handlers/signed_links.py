"""Signed, expiring links for people without an account (contractors, reporters giving feedback).

One scheme for every such link: itsdangerous signs a small payload with the app's secret key and a
salt per purpose, so a token for one purpose never opens another.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer


class LinkError(Exception):
    """The link cannot be used; `reason` says why in one word, `status_code` is the HTTP answer."""

    status_code = 404
    reason = "invalid"


class LinkInvalid(LinkError):
    """Not a token we signed: mistyped, cut off, tampered with, or signed for another purpose."""


class LinkExpired(LinkError):
    """A genuine token older than the allowed age."""

    status_code = 410
    reason = "expired"


def serializer(salt: str) -> URLSafeTimedSerializer:
    """The signer for one purpose."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def load_signed(token: str, salt: str, max_age_days: float, max_length: int) -> tuple[Any, datetime]:
    """(payload, issued at) of a valid token, else LinkInvalid or LinkExpired; nothing is looked up."""
    if not token or len(token) > max_length:
        raise LinkInvalid("malformed token")
    try:
        # itsdangerous compares the age with a float as well; its annotation says int only
        data, issued = serializer(salt).loads(token, max_age=max_age_days * 86400,  # type: ignore[arg-type]
                                              return_timestamp=True)
    except SignatureExpired as err:  # a subclass of BadData: catch it first
        raise LinkExpired("the link has expired") from err
    except BadData as err:
        raise LinkInvalid("bad signature") from err
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=UTC)
    return data, issued
