"""Ending staff sessions on the server: a session cookie copied to another browser stops working when its user
logs out, gets a new password, is deactivated, or when an admin ends all their sessions."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from handlers.models import User

from .helpers import Browser, with_password

QUEUE = "/werk/wachtrij/onderhoud-openbaar-domein"


class CopiedCookie(Browser):
    """A second browser that got hold of another browser's session cookie (and nothing else)."""

    def __init__(self, original: Browser) -> None:  # no login: the stolen cookie is all it has
        self.app = original.app
        self.client = original.app.test_client()
        cookie = original.client.get_cookie("session")
        assert cookie is not None, "the logged-in browser has no session cookie"
        self.client.set_cookie("session", cookie.value, domain=cookie.domain)


def logged_in(response) -> bool:
    return response.status_code == 200


def to_login(response) -> bool:
    return response.status_code == 302 and "/werk/aanmelden" in response.headers["Location"]


def test_logging_out_ends_a_copied_session_cookie(app, staff):
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    thief = CopiedCookie(bart)
    assert logged_in(thief.get(QUEUE)), "the copied cookie should work while bart is logged in"
    response = bart.post("/werk/afmelden", page=QUEUE)
    assert to_login(response)
    assert to_login(thief.get(QUEUE)), "after logging out, the copied cookie still opens the queue"


def test_logging_out_ends_the_users_sessions_in_other_browsers_too(app, staff):
    password = with_password(staff.ood.user)
    desk_pc, phone = Browser(app, staff.ood.user.username, password), Browser(app, staff.ood.user.username, password)
    desk_pc.post("/werk/afmelden", page=QUEUE)
    assert to_login(phone.get(QUEUE))
    again = Browser(app, staff.ood.user.username, password)  # logging in again works at once
    assert logged_in(again.get(QUEUE))


def test_a_password_change_by_the_admin_ends_every_session_of_that_user(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    thief = CopiedCookie(bart)
    user_id = staff.ood.user.id
    response = admin.post(f"/werk/beheer/gebruikers/{user_id}", {
        "display_name": "Bart", "email": "bart@stad.example", "role": "behandelaar",
        "groups": "onderhoud-openbaar-domein", "active": "on", "password": "een-nieuw-wachtwoord"})
    assert response.status_code == 302
    assert to_login(bart.get(QUEUE)) and to_login(thief.get(QUEUE))
    assert logged_in(admin.get("/werk/beheer/gebruikers")), "the admin's own session goes on"
    assert logged_in(Browser(app, staff.ood.user.username, "een-nieuw-wachtwoord").get(QUEUE))


def test_saving_a_user_without_a_new_password_keeps_their_sessions(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    response = admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}", {
        "display_name": "Bart Janssens", "email": "bart@stad.example", "role": "behandelaar",
        "groups": "onderhoud-openbaar-domein", "active": "on", "password": ""})
    assert response.status_code == 302
    assert logged_in(bart.get(QUEUE))


def test_a_password_change_keeps_the_api_token_working(app, staff):
    """The token is a separate credential used by integrations (Open311); changing the web password keeps it."""
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}", {
        "display_name": "Bart", "email": "", "role": "behandelaar", "groups": "onderhoud-openbaar-domein",
        "active": "on", "password": "een-nieuw-wachtwoord"})
    assert staff.ood.get("/api/v1/work-items?group=onderhoud-openbaar-domein").status_code == 200


def test_deactivation_ends_the_sessions_and_revokes_the_api_token_for_good(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    thief = CopiedCookie(bart)
    form = {"display_name": "Bart", "email": "", "role": "behandelaar", "groups": "onderhoud-openbaar-domein"}
    assert admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}", form).status_code == 302  # not active
    assert admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}", {**form, "active": "on"}).status_code == 302
    # Active again, but what was handed out before the deactivation stays dead.
    assert to_login(bart.get(QUEUE)) and to_login(thief.get(QUEUE))
    response = staff.ood.get("/api/v1/work-items?group=onderhoud-openbaar-domein")
    assert response.status_code == 401 and response.get_json()["error"] == "Unauthorized"


def test_admin_ends_all_sessions_of_a_user_and_the_security_log_shows_it(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    thief = CopiedCookie(bart)
    page = admin.get(f"/werk/beheer/gebruikers/{staff.ood.user.id}").get_data(as_text=True)
    assert "Alle sessies beëindigen" in page
    response = admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}/sessies-beeindigen",
                          page=f"/werk/beheer/gebruikers/{staff.ood.user.id}")
    assert response.status_code == 302
    assert to_login(bart.get(QUEUE)) and to_login(thief.get(QUEUE))
    assert staff.ood.get("/api/v1/work-items?group=onderhoud-openbaar-domein").status_code == 200
    log = admin.get("/werk/beheer/beveiliging").get_data(as_text=True)
    assert "Alle sessies beëindigd" in log and staff.ood.user.username in log and staff.admin.user.username in log


def test_a_password_set_on_the_command_line_ends_the_sessions(app, staff):
    from flask.cli import ScriptInfo

    from web.cli import main

    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    result = app.test_cli_runner().invoke(main, ["user", "add", staff.ood.user.username, "--role", "behandelaar",
                                                 "--password"], input="nog-een-wachtwoord\nnog-een-wachtwoord\n",
                                          obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert to_login(bart.get(QUEUE))


def test_a_session_from_before_the_version_check_is_not_trusted(app, staff):
    """A cookie without the session version (made before this check existed) counts as logged out."""
    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    with bart.client.session_transaction() as session:
        session.pop("sv", None)
    assert to_login(bart.get(QUEUE))
    user = db.session.scalar(select(User).where(User.id == staff.ood.user.id))
    assert user.active
