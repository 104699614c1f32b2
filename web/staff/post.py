"""Incoming post: the postkamer registers a scanned letter (/werk/post/nieuw); helpers for the post case page."""
from __future__ import annotations

from typing import Any, Optional

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from engine.models import Case
from handlers.files import MAX_BYTES
from handlers.letter_ocr import text_of, text_pages
from handlers.letters import replies_of
from handlers.models import HandlerGroup
from handlers.post_deadlines import default_terms
from handlers.post_models import DEADLINE_UNITS, LETTER_KINDS, PostLetter
from handlers.storage import StorageUnavailable
from intake.post_intake import check_registration, local_today, register_post, suggested_group

from .. import form_tokens
from ..auth import requires
from ..error_texts import error_message, field_message
from ..i18n import translate
from . import bp
from .cases import EXPIRED

FIELDS = ("sender_name", "sender_address", "sender_email", "received_on", "written_on", "subject", "kind",
          "registered_mail", "group", "deadline_days", "deadline_unit")
# The scan may be far larger than the app-wide request limit; a scan over its own limit is still read,
# so the form comes back with everything typed and a clear message instead of a bare "too large" page.
MAX_UPLOAD = 3 * MAX_BYTES


@bp.url_value_preprocessor
def _allow_scan(endpoint: Optional[str], _values: Optional[dict[str, Any]]) -> None:
    # Runs before the app-wide CSRF check, which is the first to read the body.
    if request.method == "POST" and endpoint == "staff.post_register":
        request.max_content_length = MAX_UPLOAD


def _recent_letters() -> list[tuple[Case, PostLetter]]:
    rows = db.session.execute(select(Case, PostLetter).join(PostLetter, PostLetter.case_id == Case.id)
                              .where(PostLetter.registered_by == current_user.display_name)
                              .order_by(PostLetter.id.desc()).limit(5))
    return [(case, letter) for case, letter in rows]


def _render_form(values: dict[str, str], errors: Optional[dict] = None, scan_lost: bool = False, status: int = 200):
    groups = db.session.scalars(select(HandlerGroup).where(HandlerGroup.active.is_(True),
                                                           HandlerGroup.kind == "internal")
                                .order_by(HandlerGroup.name)).all()
    return render_template("staff/post_new.html", v=values, e=errors or {}, scan_lost=scan_lost, groups=groups,
                           kinds=LETTER_KINDS, units=DEADLINE_UNITS, terms=default_terms(),
                           max_mb=MAX_BYTES // (1024 * 1024), recent=_recent_letters()), status


@bp.get("/post/nieuw")
@requires("post.register")
def post_new():
    """The registration form for a scanned letter."""
    return _render_form({"received_on": local_today().isoformat(), "kind": "vraag"})


@bp.post("/post/nieuw")
@requires("post.register")
def post_register():
    """Register the letter: errors come back with what was typed (the scan must be chosen again)."""
    sent = form_tokens.posted("post")
    if sent.token is not None and (earlier := sent.token.earlier()) is not None:  # sent before: its case
        return _already_registered(earlier)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    upload = request.files.get("scan")
    chosen = upload is not None and bool(upload.filename)
    content = upload.read() if chosen else None
    try:
        registration = check_registration(values, content, upload.filename if chosen else "")
        if sent.invalid:
            raise InvalidInput("expired form token", {"_form": [EXPIRED]})
        claim = sent.token.claim() if sent.token is not None else None
        if claim is not None and claim.earlier is not None:  # the same form at the same moment
            return _already_registered(claim.earlier)
        case = register_post(registration, actor=current_user.display_name, user_id=current_user.id, commit=False)
        if claim is not None:
            claim.record(case=case.reference)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        errors = {field: [field_message(m) for m in messages] for field, messages in err.fields.items()}
        return _render_form(values, errors, scan_lost=chosen, status=422)
    except StorageUnavailable as err:  # logged with its reason; the rollback removes what was written
        db.session.rollback()
        return _render_form(values, {"_form": [error_message(err)]}, scan_lost=chosen, status=503)
    flash(translate("Brief geregistreerd als {reference} (scan van {pages} blz.) en doorgestuurd naar {group}.",
                    reference=case.reference, pages=registration.scan.pages,
                    group=case.group.name if case.group else "–"))
    return redirect(url_for("staff.post_new"))


def _already_registered(earlier):
    """The post case the form made the first time, with a note that nothing was registered twice."""
    reference = (earlier.result or {}).get("case", "")
    flash(translate("Brief {reference}: al verwerkt (het formulier werd een tweede keer verstuurd; er werd niets "
                    "dubbel geregistreerd).", reference=reference))
    return redirect(url_for("staff.case", reference=reference))


@bp.get("/post/voorstel")
@requires("post.register")
def post_suggestion():
    """The routing rules' group for a subject (the registration form asks while the subject is typed)."""
    key, reason = suggested_group(request.args.get("onderwerp", "")[:300])
    return jsonify({"group": key, "reason": reason})


@bp.app_template_global("post_facts")
def post_facts(case: Case) -> dict[str, Any]:
    """The registered letter, the text read from its scan and the reply letters of a post case (case page)."""
    letter = db.session.scalar(select(PostLetter).where(PostLetter.case_id == case.id))
    text = text_of(case.id)
    return {"letter": letter, "text": text, "text_pages": text_pages(text), "replies": replies_of(case.id),
            "kinds": LETTER_KINDS, "today": local_today().isoformat()}
