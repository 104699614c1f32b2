"""The `Idempotency-Key` header of the staff API: a POST retried with the same key is done once.

A client that sends `Idempotency-Key: <its own unique value>` may send the same request again (after a
timeout, a dropped connection, a crash before it read the answer) and gets the first answer again - the
same 201 and the same case reference - without a second case. The key is the client's, per API user
(two users may pick the same value), and counts for 24 hours (handlers/idempotency.py). The same key with
another body is refused (422): that is a bug in the client, and guessing which body it meant would be worse.
Requests that fail (a 422 for a field error) leave nothing behind, so the corrected request may reuse the key.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, Optional

from flask import jsonify, request

from engine.db import db
from engine.errors import EngineError
from handlers import idempotency

from .common import BadRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_LENGTH = 255
KEY_FORMAT = re.compile(rf"^[\x21-\x7e]{{1,{MAX_LENGTH}}}$")  # visible ASCII, no spaces

Answer = tuple[dict[str, Any], int, dict[str, str]]  # body, status, headers


class IdempotencyKeyReused(EngineError):
    """The key was used before for a request with another body."""

    status_code = 422


def key_from_header() -> Optional[str]:
    """The request's Idempotency-Key, None without one; 400 when it is empty, too long or not plain ASCII."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not KEY_FORMAT.match(value):
        raise BadRequest(f"the {HEADER} header must be 1 to {MAX_LENGTH} visible ASCII characters (no spaces), "
                         "for example a UUID")
    return value


def fingerprint(body: Any) -> str:
    """SHA-256 of the JSON body with sorted keys: the same data sent with other spacing is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_once(user_id: int, operation: str, body: Any, create: Callable[[bool], Answer]):
    """Answer the POST: with an Idempotency-Key, `create(commit=False)` runs at most once per key and the
    first answer is kept and given again; without one, `create(commit=True)` simply runs."""
    key = key_from_header()
    if key is None:
        answer, status, headers = create(True)
        return jsonify(answer), status, headers
    digest = fingerprint(body)
    claim = idempotency.claim(f"api:{operation}:user:{user_id}", key, fingerprint=digest)
    if claim.earlier is not None:
        earlier = claim.earlier
        if earlier.fingerprint != digest:
            raise IdempotencyKeyReused(f"this {HEADER} was used in the last 24 hours for a request with another "
                                       "body; send a new key for a new request")
        kept = earlier.result or {}
        return jsonify(kept.get("body")), kept.get("status", 200), {**kept.get("headers", {}), REPLAYED: "true"}
    try:
        answer, status, headers = create(False)
        claim.record(body=answer, status=status, headers=headers)
        db.session.commit()
    except Exception:
        db.session.rollback()  # the key goes with the failed request: a corrected one may use it
        raise
    return jsonify(answer), status, headers
