"""On the case page: what the city publishes about the case (the public description, public photos)."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from engine.db import db
from engine.errors import Forbidden, InvalidInput, NotFound
from handlers.photos import PhotoRefused
from handlers.publication import MAX_PUBLIC_DESCRIPTION, set_photo_public, set_public_description

from ..auth import requires
from ..i18n import translate
from . import bp
from .cases import _case_or_404, render_case


@bp.post("/dossier/<reference>/publieke-omschrijving")
@requires("staff.use")
def public_description(reference: str):
    """Write (or clear) the description the Open311 feed publishes; a refused text comes back as typed."""
    case = _case_or_404(reference)
    text = request.form.get("public_description", "")
    try:
        set_public_description(case.id, current_user, text)
    except Forbidden:
        db.session.rollback()
        abort(403)
    except InvalidInput:
        db.session.rollback()
        message = translate("De publieke omschrijving is te lang: {count} tekens, maximaal {max} tekens.",
                            count=len(text.strip()), max=MAX_PUBLIC_DESCRIPTION)
        return render_case(case, errors={"public_description": {"public_description": [message]}},
                           values={"public_description": {"public_description": text}}, status=422)
    flash(translate("Publieke omschrijving bewaard."))
    return redirect(url_for("staff.case", reference=reference))


@bp.post("/dossier/<reference>/bestand/<int:file_id>/publiek")
@requires("staff.use")
def file_public(reference: str, file_id: int):
    """Publish a photo of the case on the tracking page and in the Open311 feed, or take it offline."""
    case = _case_or_404(reference)
    public = request.form.get("publiek") == "1"
    try:
        stored = set_photo_public(case.id, file_id, current_user, public)
    except NotFound:
        db.session.rollback()
        abort(404)
    except Forbidden:
        db.session.rollback()
        abort(403)
    except PhotoRefused:
        db.session.rollback()
        flash(translate("Deze foto kan niet gelezen worden (beschadigd of onvolledig); ze werd niet publiek "
                        "gemaakt."), "error")
        return redirect(url_for("staff.case", reference=reference))
    except InvalidInput:
        db.session.rollback()
        flash(translate("Alleen foto's kunnen publiek gemaakt worden."), "error")
        return redirect(url_for("staff.case", reference=reference))
    flash(translate("Foto {name} is publiek.", name=stored.filename) if public
          else translate("Foto {name} is niet meer publiek.", name=stored.filename))
    return redirect(url_for("staff.case", reference=reference))
