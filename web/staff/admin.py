"""Administration: staff users and their groups, handler groups and contractors (the outbox: outbox_admin.py)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from handlers.login_throttle import locked_users
from handlers.models import GROUP_KINDS, ROLES, HandlerGroup, User
from handlers.people import save_group, save_user

from ..auth import SESSION_VERSION, requires
from ..i18n import translate
from ..rate_limits import client
from . import bp


def _groups() -> list[HandlerGroup]:
    return list(db.session.scalars(select(HandlerGroup).order_by(HandlerGroup.kind, HandlerGroup.name)))


@bp.route("/beheer/gebruikers", methods=["GET", "POST"])
@bp.route("/beheer/gebruikers/<int:user_id>", methods=["GET", "POST"])
@requires("manage")
def admin_users(user_id: int | None = None):
    """List staff users; create one or change role, groups, active state and password."""
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    errors, values = {}, {}
    if request.method == "POST":
        form = request.form
        values = dict(form) | {"groups": form.getlist("groups")}
        try:
            saved = save_user(user, username=form.get("username", ""), display_name=form.get("display_name", ""),
                              email=form.get("email", ""), role=form.get("role", ""),
                              group_keys=form.getlist("groups"), active=form.get("active") == "on",
                              password=form.get("password", ""), actor=current_user.username, ip=client())
            if saved.id == current_user.id:  # a new password of one's own ends the other sessions, not this one
                session[SESSION_VERSION] = saved.session_version
            flash(translate("Gebruiker {name} bewaard.", name=saved.username))
            return redirect(url_for("staff.admin_users"))
        except InvalidInput as err:
            db.session.rollback()
            errors = err.fields
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("staff/admin_users.html", users=users, user=user, groups=_groups(), roles=ROLES,
                           errors=errors, values=values, locked=locked_users()), (422 if errors else 200)


@bp.route("/beheer/groepen", methods=["GET", "POST"])
@bp.route("/beheer/groepen/<int:group_id>", methods=["GET", "POST"])
@requires("manage")
def admin_groups(group_id: int | None = None):
    """List groups, the meldkamer and contractors; create or edit one."""
    group = db.session.get(HandlerGroup, group_id) if group_id else None
    if group_id and group is None:
        abort(404)
    errors, values = {}, {}
    if request.method == "POST":
        form = request.form
        values = dict(form)
        try:
            saved = save_group(group, key=form.get("key", ""), name=form.get("name", ""), kind=form.get("kind", ""),
                               email=form.get("email", ""), active=form.get("active") == "on")
            flash(translate("Groep {name} bewaard.", name=saved.name))
            return redirect(url_for("staff.admin_groups"))
        except InvalidInput as err:
            db.session.rollback()
            errors = err.fields
    return render_template("staff/admin_groups.html", groups=_groups(), group=group, kinds=GROUP_KINDS,
                           errors=errors, values=values), (422 if errors else 200)
