"""Mail texts (/werk/beheer/mailteksten, admin): every mail the processes send, edited per language, with preview.

Storage, sandbox and placeholders: notifications/mail_texts.py; saving and audit: handlers/mail_texts.py.
"""
from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_
from handlers.mail_texts import find_case, preview_data, revert_text, save_text, validate_texts
from notifications.mail_texts import (
    LANGUAGES,
    MAIL_TEXTS,
    PLACEHOLDERS,
    MailTextVersion,
    current_version,
    versions,
)
from notifications.render import MailTemplateError, preview_mail, shipped_texts

from ..auth import requires
from ..i18n import translate
from . import bp

LANGUAGE_NAMES = {"nl": N_("Nederlands"), "en": N_("Engels")}
# The page's Content-Security-Policy (web/security_headers.py) also governs the preview frame: the mail's inline
# styles would be refused there, so the frame shows the mail without them; its full source is shown beside it.
STYLE_ATTRIBUTE = re.compile(r"""\sstyle=("[^"]*"|'[^']*')""")


def _texts(template: str, language: str) -> dict[str, Any]:
    """What the form of one language shows: the text in use (edited or shipped) and whether it is edited."""
    version = current_version(template, language)
    if version is None:
        return {**shipped_texts(template, language), "edited": False, "version": None}
    return {"subject": version.subject or "", "text": version.text or "", "html": version.html or "",
            "edited": True, "version": version}


@bp.route("/beheer/mailteksten")
@requires("manage")
def admin_mail_texts():
    """Every mail with what it is for and whether the city changed it, per language."""
    edited = {(t, lang): current_version(t, lang) is not None for t in MAIL_TEXTS for lang in LANGUAGES}
    return render_template("staff/admin_mail_texts.html", mails=MAIL_TEXTS, edited=edited, languages=LANGUAGES,
                           language_names=LANGUAGE_NAMES)


@bp.route("/beheer/mailteksten/<template>", methods=["GET", "POST"])
@requires("manage")
def admin_mail_text(template: str):
    """One mail: its placeholders, a form per language (save, preview on a case, back to the shipped text)."""
    if template not in MAIL_TEXTS:
        abort(404)
    forms = {lang: _texts(template, lang) for lang in LANGUAGES}
    errors: dict[str, list[Any]] = {}
    examples: list[str] = []
    preview, active = None, request.values.get("language", "nl")
    reference = request.values.get("referentie", "").strip()
    status = 200
    if request.method == "POST":
        if active not in LANGUAGES:
            abort(400)
        action = request.form.get("action", "save")
        if action == "revert":
            reverted = revert_text(template, active, actor=current_user.username, user_id=current_user.id)
            db.session.commit()
            flash(translate("De standaardtekst wordt weer gebruikt.") if reverted
                  else translate("Deze mail gebruikt de standaardtekst al."))
            return redirect(url_for("staff.admin_mail_text", template=template, language=active) + f"#taal-{active}")
        typed = {part: request.form.get(part, "") for part in ("subject", "text", "html")}
        forms[active] = {**forms[active], **typed}
        if action == "preview":
            errors = dict(validate_texts(template, typed["subject"], typed["text"], typed["html"]))
            case = find_case(reference) if reference else None
            if not reference:
                errors["referentie"] = [translate("Geef het referentienummer van een melding.")]
            elif case is None:
                errors["referentie"] = [translate("Er is geen melding met referentie {reference}.",
                                                  reference=reference)]
            if not errors and case is not None:
                data, examples = preview_data(case, template, active)
                version = MailTextVersion(template=template, language=active, subject=typed["subject"].strip(),
                                          text=typed["text"].replace("\r\n", "\n"),
                                          html=typed["html"].replace("\r\n", "\n"))
                try:
                    preview = preview_mail(template, data, active, MAIL_TEXTS[template].recipient_kind, version)
                except MailTemplateError:
                    errors["referentie"] = [translate("Deze tekst kan niet opgemaakt worden met de gegevens van "
                                                      "melding {reference}.", reference=reference)]
            status = 422 if errors else 200
        else:
            try:
                save_text(template, active, subject=typed["subject"], text=typed["text"], html=typed["html"],
                          actor=current_user.username, user_id=current_user.id)
                db.session.commit()
                flash(translate("Mailtekst bewaard: deze tekst wordt vanaf nu gebruikt."))
                return redirect(url_for("staff.admin_mail_text", template=template, language=active)
                                + f"#taal-{active}")
            except InvalidInput as err:
                db.session.rollback()
                errors, status = err.fields, 422
    framed = STYLE_ATTRIBUTE.sub("", preview.html) if preview is not None else None
    history = {lang: versions(template, lang)[:50] for lang in LANGUAGES}
    return render_template("staff/admin_mail_text.html", template=template, mail=MAIL_TEXTS[template],
                           placeholders=PLACEHOLDERS, forms=forms, errors=errors, active=active,
                           languages=LANGUAGES, language_names=LANGUAGE_NAMES, history=history, preview=preview,
                           examples=examples, reference=reference, framed=framed), status
