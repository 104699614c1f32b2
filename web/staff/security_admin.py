"""Administration of staff security: lift an account lock, end all sessions of a user, read the security log."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from handlers.admin_changes import AREAS, changes
from handlers.models import User
from handlers.security_events import KINDS, newest
from handlers.staff_sessions import end_all_sessions

from ..auth import requires
from ..i18n import translate
from ..rate_limits import client, login_throttle
from . import bp


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/beheer/gebruikers/<int:user_id>/ontgrendelen")
@requires("manage")
def admin_unlock(user_id: int):
    """Lift the lock that too many wrong passwords put on an account."""
    user = _user(user_id)
    login_throttle().unlock(user, actor=current_user.username, ip=client())
    db.session.commit()
    flash(translate("Account {name} ontgrendeld.", name=user.username))
    return redirect(url_for("staff.admin_users", user_id=user.id))


@bp.post("/beheer/gebruikers/<int:user_id>/sessies-beeindigen")
@requires("manage")
def admin_end_sessions(user_id: int):
    """End every web session of a user (a lost laptop, a shared password): they must log in again."""
    user = _user(user_id)
    end_all_sessions(user, "admin", actor=current_user.username, ip=client())
    db.session.commit()
    flash(translate("Alle sessies van {name} zijn beëindigd.", name=user.username))
    return redirect(url_for("staff.admin_users", user_id=user.id))


@bp.get("/beheer/beveiliging")
@requires("manage")
def admin_security():
    """The security log: locked accounts, blocked connections, lifted locks, ended sessions (newest first)."""
    return render_template("staff/admin_security.html", events=newest(), kinds=KINDS)


@bp.get("/beheer/wijzigingen")
@requires("manage")
def admin_changes():
    """The administration log: process models, categories, mail texts, ready-made answers (newest first)."""
    area = request.args.get("onderdeel", "")
    area = area if area in AREAS else ""
    return render_template("staff/admin_changes.html", changes=changes(area or None), areas=AREAS, area=area)
