"""Administration of the info mailbox: every incoming mail with its outcome and the reason."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.db import db
from engine.ids import parse_id
from engine.settings import settings
from intake.mail_intake import retry_failed
from intake.mail_models import OUTCOMES, IncomingMail

from ..auth import requires
from ..i18n import translate
from . import bp

PAGE = 200


@bp.get("/beheer/inkomende-mail")
@requires("manage")
def admin_incoming_mail():
    """The newest incoming mails: new case, added to a case, bounce, ignored (and why), failed."""
    outcome = request.args.get("uitkomst")
    query = select(IncomingMail).order_by(IncomingMail.id.desc()).limit(PAGE)
    if outcome in OUTCOMES:
        query = query.where(IncomingMail.outcome == outcome)
    mails = db.session.scalars(query).all()
    return render_template("staff/admin_incoming_mail.html", mails=mails, outcome=outcome, outcomes=OUTCOMES,
                           imap_host=settings().imap_host, folder=settings().imap_folder)


@bp.post("/beheer/inkomende-mail/opnieuw")
@requires("manage")
def admin_incoming_mail_retry():
    """Process a failed mail again (after the cause was fixed); the mail is named in the form."""
    mail_id = parse_id(request.form.get("mail_id", ""))
    if mail_id is None or db.session.get(IncomingMail, mail_id) is None:
        flash(translate("Onbekende inkomende mail."), "error")
        return redirect(url_for("staff.admin_incoming_mail"))
    try:
        result = retry_failed(mail_id)
    except ValueError:
        flash(translate("Alleen een mislukte mail kan opnieuw verwerkt worden."), "error")
        return redirect(url_for("staff.admin_incoming_mail"))
    if result.outcome == "failed":
        flash(translate("Opnieuw mislukt: {reason}", reason=result.reason), "error")
    else:
        flash(translate("Verwerkt: {reason}", reason=result.reason))
    return redirect(url_for("staff.admin_incoming_mail"))
