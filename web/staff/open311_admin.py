"""Administration of the Open311 client apps: give an app its own key (shown once), revoke it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from engine.errors import InvalidInput, NotFound
from intake.open311_keys import create_key, list_keys, revoke_key_id

from ..auth import requires
from ..i18n import translate
from . import bp

NO_STORE = {"Cache-Control": "no-store"}  # the page that shows a new key once must not be kept anywhere


def _refusal(err: InvalidInput, name: str) -> str:
    reason = next(iter(err.fields.get("name", [])), "")
    if reason == "exists":
        return translate("De app '{name}' heeft al een actieve sleutel. Trek die eerst in.", name=name)
    if reason == "required":
        return translate("Geef de app een naam.")
    return translate("Gebruik voor de naam hoogstens 80 letters, cijfers, spaties en . - _ ( ) /.")


@bp.route("/beheer/open311", methods=["GET", "POST"])
@requires("manage")
def admin_open311():
    """The Open311 apps and their keys; a POST makes a key for a new app and shows it this once."""
    new_key, errors, name = None, {}, ""
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            row, new_key = create_key(name, current_user.display_name)
            db.session.commit()
            name = row.name
        except InvalidInput as err:
            db.session.rollback()
            errors = {"name": [_refusal(err, " ".join(name.split()))]}
    return (render_template("staff/admin_open311.html", keys=list_keys(), new_key=new_key, errors=errors,
                            name=name), 422 if errors else 200, NO_STORE)


@bp.post("/beheer/open311/intrekken")
@requires("manage")
def admin_open311_revoke():
    """Revoke one app's key: its requests are refused from now on."""
    raw = request.form.get("key_id", "")
    try:
        row = revoke_key_id(int(raw) if raw.isdigit() else 0, current_user.display_name)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(translate("De sleutel van {name} is ingetrokken.", name=row.name))
    return redirect(url_for("staff.admin_open311"))
