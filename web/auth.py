"""Staff login with Flask-Login: hashed passwords, CSRF-protected forms, an idle session timeout, roles.

A session is only as good as its user's `session_version` (handlers/staff_sessions.py): logging out ends
every session of the user, copies of the cookie included. Logins are throttled per account and per client
(handlers/login_throttle.py).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.clock import utcnow
from engine.db import db
from engine.i18n import N_
from engine.settings import Settings
from handlers.login_throttle import Refusal
from handlers.models import User
from handlers.permissions import may
from handlers.staff_sessions import end_all_sessions

from .i18n import LANGUAGES, N_plural, translate, translate_plural
from .rate_limits import client, login_throttle, minutes

log = logging.getLogger("meldpunt.security")
SESSION_VERSION = "sv"  # the session key holding the user's session_version at login

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Meld je aan om verder te gaan.")
login_manager.localize_callback = translate  # the message above is flashed in the visitor's language
login_manager.session_protection = "strong"

# A hash to compare against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = generate_password_hash("not-a-password")


@cache
def _user_with_groups() -> Select[tuple[User]]:
    """A user with their groups in one statement, built once: nearly every staff page asks may(), which needs them.
    Built for every request (session.get with options), its cache key cost about 0.18 ms of CPU per page."""
    return select(User).options(joinedload(User.groups)).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, if still active and the session was made under the user's current session version."""
    user = (db.session.execute(_user_with_groups(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
            if user_id.isdigit() else None)
    if user is None or not user.active or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Store a salted scrypt hash of the password (never the password)."""
    user.password_hash = generate_password_hash(password)


class LoginForm(FlaskForm):
    username = StringField("Gebruikersnaam", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Wachtwoord", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only redirect back to a path on this site (no open redirect)."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("staff.home")


REFUSED = {
    "account": N_plural("Te veel mislukte aanmeldpogingen voor deze gebruikersnaam. Probeer het opnieuw over "
                        "{count} minuut, of vraag de beheerder om het account te ontgrendelen.",
                        "Te veel mislukte aanmeldpogingen voor deze gebruikersnaam. Probeer het opnieuw over "
                        "{count} minuten, of vraag de beheerder om het account te ontgrendelen."),
    "client": N_plural("Te veel mislukte aanmeldpogingen vanaf deze verbinding. Probeer het opnieuw over {count} "
                       "minuut.",
                       "Te veel mislukte aanmeldpogingen vanaf deze verbinding. Probeer het opnieuw over {count} "
                       "minuten."),
}


def _refused(form: LoginForm, refusal: Refusal):
    """The login page with why no login is tried now (never whether the account exists)."""
    error = translate_plural(*REFUSED[refusal.reason], minutes(refusal.retry_after))
    return (render_template("staff/login.html", form=form, error=error), 429,
            {"Retry-After": str(refusal.retry_after)})


@bp.route("/aanmelden", methods=["GET", "POST"])
def login():
    """Log in with username and password (throttled per account and per client)."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username, ip, throttle = form.username.data.strip(), client(), login_throttle()
        user = db.session.scalar(select(User).where(User.username == username))
        refusal = throttle.refusal(username, ip, user)
        if refusal is not None:  # not even the right password logs in now
            log.info("login refused (%s): user=%s ip=%s", refusal.reason, username.lower(), ip)
            return _refused(form, refusal)
        ok = check_password_hash(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                                 form.password.data)
        if user is not None and user.active and user.password_hash and ok:
            throttle.succeeded(username)
            session.clear()
            login_user(user)
            session[SESSION_VERSION] = user.session_version
            session.permanent = True
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        refusal = throttle.failed(username, ip, user)
        db.session.commit()  # the lock and the security log
        if refusal is not None:
            return _refused(form, refusal)
        error = translate("Onbekende gebruiker of fout wachtwoord.")
    return render_template("staff/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/afmelden")
def logout():
    """Log out: this session and every other session of the same user (other browsers, copied cookies)."""
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        end_all_sessions(user, "logout")
        db.session.commit()
        log.info("logout: user=%s ip=%s (all sessions ended)", user.username, client())
    logout_user()
    session.clear()
    flash(translate("Je bent afgemeld."))
    return redirect(url_for("auth.login"))


@bp.post("/taal/<lang>")
def set_language(lang: str):
    """Switch the interface language (kept on the user, or in a cookie for the public pages)."""
    if lang not in LANGUAGES:
        abort(404)
    if current_user.is_authenticated:
        current_user.language = lang
        db.session.commit()
    # The page sends its own path: pages with Referrer-Policy no-referrer (tracking, portal) send no Referer.
    back = request.form.get("next") or (request.referrer and urlsplit(request.referrer).path)
    response = redirect(_safe_next(back))
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def requires(action: str) -> Callable:
    """Login required, and the permission table lets the user's role do `action` (handlers/permissions.py);
    others get 403. Checks on one case or group follow in the view, with `may(user, action, target)`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not may(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _may_in_template(action: str, target=None) -> bool:
    """`may(action, target)` in templates: for the signed-in user, False for anyone else."""
    return bool(current_user.is_authenticated and may(current_user, action, target))


def _enforce_idle_timeout():
    """Log out a session that was idle longer than the timeout (checked on the server, not by the cookie)."""
    if not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    last_seen = session.get("seen", now)
    limit = current_app.permanent_session_lifetime.total_seconds()
    if now - last_seen > limit:
        logout_user()
        session.clear()
        flash(translate("Je sessie is verlopen; meld je opnieuw aan."))
        if request.blueprint in ("staff", "auth"):
            return redirect(url_for("auth.login", next=request.path))
        return None
    session["seen"] = now
    return None


def init_auth(app) -> None:
    """Wire Flask-Login and the idle timeout into the app."""
    login_manager.init_app(app)
    app.permanent_session_lifetime = timedelta(minutes=Settings(app.config).session_minutes)
    # Flask's own defaults (SameSite unset, never Secure) would win over setdefault, so these are set outright.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # A cookie marked Secure never travels over plain HTTP: only when the site is served over HTTPS.
    app.config["SESSION_COOKIE_SECURE"] = Settings(app.config).base_url.lower().startswith("https://")
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True  # the cookie's lifetime counts from the last request
    app.before_request(_enforce_idle_timeout)
    app.jinja_env.globals["may"] = _may_in_template
