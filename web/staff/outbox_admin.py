"""The outbox page for administrators: the newest mails, the mail server's state, failed mails sent again."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine.db import db
from engine.settings import settings
from notifications.models import OutboxMessage
from notifications.resend import resend_failed
from notifications.sender_state import current_state

from ..auth import requires
from ..i18n import translate, translate_plural
from . import bp

STATUSES = ("pending", "sent", "failed")


@bp.get("/beheer/uitgaand")
@requires("outbox.see")
def outbox():
    """The newest outbox rows (queued, sent, failed) and whether the mail server can be reached."""
    status = request.args.get("status")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    failed = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed"))
    return render_template("staff/outbox.html", messages=db.session.scalars(query).all(), status=status,
                           failed=failed, sender=current_state(),
                           smtp_host=settings().smtp_host)


@bp.post("/beheer/uitgaand/opnieuw")
@requires("manage")
def outbox_retry():
    """Queue one failed mail (mail_id) or every failed mail (alle=1) again; written on each case's timeline."""
    everything = request.form.get("alle") == "1"
    raw_id = request.form.get("mail_id", "")
    if not everything and not raw_id.isdigit():
        flash(translate("Onbekende mail."), "error")
        return redirect(url_for("staff.outbox", status="failed"))
    result = resend_failed([int(raw_id)] if raw_id.isdigit() else [], all_failed=everything,
                           actor=current_user.username)
    if result.refused:
        flash(translate("Alleen een mislukte mail kan opnieuw verstuurd worden."), "error")
    elif result.queued:
        flash(translate_plural("{count} mail opnieuw klaargezet: ze vertrekt bij de volgende verzending.",
                               "{count} mails opnieuw klaargezet: ze vertrekken bij de volgende verzending.",
                               len(result.queued)))
    else:
        flash(translate("Er zijn geen mislukte mails."))
    return redirect(url_for("staff.outbox", status="failed"))
