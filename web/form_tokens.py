"""One-time form tokens: a form that creates or completes something is done once, however often it is sent.

Every such form carries `<input type="hidden" name="form_token" value="{{ form_token('melding') }}">`. The
token is a random nonce signed with the app's secret key for one purpose ("melding", "post", "task:42") and
one owner (the logged-in staff member, else the visitor's session), and it is valid for 24 hours. Issuing
it writes nothing: a page view costs no row, and a crawler cannot fill a table. The first POST with it
claims it in the table `idempotency_keys` (handlers/idempotency.py) in the same transaction as its work
and records the result there; a second POST with the same token - the back button and "send" again, a
double click, a retry after a network error, two at the same moment - finds that result and does nothing.

A form that comes back with errors carries the token it was sent with (`form_token` hands the posted one
back), so the corrected form, and any copy of it in the browser's history, stays one submission. The public
form page keeps its token in its URL (`page_with_token`), because browsers fetch a page again on the back
button. A POST without the field (a page from before this existed, a script) is handled as before, without
the guard; a token that does not verify (expired, altered, another form's or person's) gives the form back.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Optional, cast

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from handlers import idempotency

FIELD = "form_token"
URL_PARAM = "formulier"  # where a form page keeps its token (page_with_token)
MAX_AGE = idempotency.TTL  # a token older than this is refused; its use is forgotten no earlier


def _owner() -> str:
    """Whom a token is bound to: the staff member (across logins), else this browser's session.

    A visitor is known by the random secret their session already holds for the CSRF check (through a hash;
    it only salts the signature and never leaves the server): the token belongs to the same session the CSRF
    check trusts, and a token copied from someone else's page does not verify.
    """
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    generate_csrf()  # makes the session's secret when this is the visitor's first form
    secret = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) or secrets.token_hex(16)
    return "visitor:" + hashlib.sha256(f"form-visitor:{secret}".encode()).hexdigest()[:32]


def _serializer(purpose: str, owner: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(cast("str | bytes", current_app.secret_key),  # the config always sets one
                                  salt=f"meldpunt-form-token:{purpose}:{owner}")


@dataclass(frozen=True)
class FormToken:
    """A valid posted token: its value (to give back in the form) and the key and scope it is claimed under."""

    value: str
    scope: str
    key: str

    def earlier(self) -> Optional[idempotency.IdempotencyKey]:
        """The first submission with this token, when there was one."""
        return idempotency.find(self.scope, self.key)

    def claim(self, **result) -> idempotency.Claim:
        """Take the token for this submission (before its work; `result` when known already)."""
        return idempotency.claim(self.scope, self.key, result=result or None)


@dataclass(frozen=True)
class Posted:
    """What the POST carried: no field at all (`missing`), a token that does not verify, or a valid `token`."""

    missing: bool = False
    token: Optional[FormToken] = None

    @property
    def invalid(self) -> bool:
        """A token was sent but is expired, tampered with, or belongs to another form or person."""
        return not self.missing and self.token is None


def issue(purpose: str) -> str:
    """The token for a form about `purpose`: on a POST the token it was sent with, on a page that carries its
    token in its URL that one, else a new one.

    One page gets one token per purpose, however many forms it has for it (the case page's "mark as duplicate of
    this one" beside each nearby melding and the triage form are all the triage task's): they do the same work
    once, so the first of them sent is that work and any other is "already done". Signing one token per form
    cost 35 µs each, 20 of them on a triage page.
    """
    # on the request itself, not `g`: an app context (and its `g`) may outlive one request, as in the tests
    issued = request.environ.setdefault("meldpunt.form_tokens", {})
    if purpose not in issued:
        given = _posted_value() if request.method == "POST" else request.args.get(URL_PARAM, "")
        if given and _verify(purpose, given) is not None:
            issued[purpose] = given
        else:
            issued[purpose] = _serializer(purpose, _owner()).dumps(secrets.token_urlsafe(18))
    return issued[purpose]


def page_with_token(purpose: str) -> Optional[Response]:  # werkzeug's Response: what redirect() gives
    """For a form page that keeps its token in its URL (?formulier=...): None when the URL has a valid one,
    else a redirect to the same page with a new one.

    Why in the URL: the browser's back button shows the page from its history, and browsers fetch a page
    again from the server (`Cache-Control: no-store`, or a session cookie that changed) - a token made anew
    then would let "send" again make a second case. The URL of the history entry keeps the first token. The
    typed text is restored by the browser itself.
    """
    given = request.args.get(URL_PARAM, "")
    if given and _verify(purpose, given) is not None:
        return None
    if given and current_app.config.get("SESSION_COOKIE_NAME", "session") not in request.cookies:
        return None  # a browser that keeps no cookies: a new token on every redirect would loop for ever
    arguments: dict[str, Any] = {**request.args.to_dict(), URL_PARAM: issue(purpose)}
    endpoint = cast(str, request.endpoint)  # a page asks this, so the request was routed
    return redirect(url_for(endpoint, **(request.view_args or {}), **arguments), 302)


def form_sent_as(purpose: str) -> Optional[str]:
    """The case reference made with the token in this page's URL, when the form was sent before."""
    token = _verify(purpose, request.args.get(URL_PARAM, "")) if request.args.get(URL_PARAM) else None
    earlier = token.earlier() if token is not None else None
    return (earlier.result or {}).get("case") if earlier is not None else None


def _verify(purpose: str, value: str) -> Optional[FormToken]:
    owner = _owner()
    try:
        nonce = _serializer(purpose, owner).loads(value, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(nonce, str) or not nonce:
        return None
    return FormToken(value=value, scope=f"form:{purpose}:{owner}", key=nonce)


def _posted_value() -> str:
    """The token field of this POST; empty when the body cannot be read (the "too large" page renders the
    form again without reading it)."""
    try:
        return request.form.get(FIELD, "")
    except HTTPException:
        return ""


def posted(purpose: str) -> Posted:
    """The token this POST carries for `purpose`."""
    value = request.form.get(FIELD, "")
    if not value:
        return Posted(missing=True)
    return Posted(token=_verify(purpose, value[:idempotency.MAX_KEY]))

