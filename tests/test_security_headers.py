"""Security headers on everything a browser can get from Meldpunt: pages, files, JSON, errors, static files;
no-store where personal data is shown; the session cookie SameSite=Lax, and Secure on an https site."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.files import store_file
from web.app import create_app

from .helpers import Browser, with_password
from .images import png

PNG = png()
DIRECTIVES = ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'",
              "base-uri 'none'", "object-src 'none'", "img-src 'self' data: https://tile.openstreetmap.org"]


def policy(response) -> dict[str, str]:
    csp = response.headers.get("Content-Security-Policy", "")
    return {part.strip().split(" ")[0]: part.strip() for part in csp.split(";") if part.strip()}


def check(response, url: str) -> list[str]:
    problems = []
    directives = policy(response)
    for wanted in DIRECTIVES:
        if directives.get(wanted.split(" ")[0]) != wanted:
            problems.append(f"{url}: CSP lacks {wanted!r} (has {response.headers.get('Content-Security-Policy')!r})")
    if "'unsafe-inline'" in response.headers.get("Content-Security-Policy", ""):
        problems.append(f"{url}: CSP allows inline code")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{url}: no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append(f"{url}: no Referrer-Policy")
    return problems


@pytest.fixture
def melding(app, staff):
    reference = staff.meldkamer.file_melding("Straatlamp brandt niet")["reference"]
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    photo = store_file(case, PNG, "lamp.png", source="melder", uploaded_by="melder", public=True)
    db.session.commit()
    return {"reference": reference, "token": case.tracking_token, "file": photo.id, "photo": photo.public_token}


def test_every_kind_of_response_carries_the_security_headers(app, staff, melding):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    anonymous = app.test_client()
    urls = {
        "/": anonymous, "/melden": anonymous, "/melden?categorie=straatlamp-defect": anonymous,
        f"/volg/{melding['token']}": anonymous, f"/volg/{melding['token']}/foto/{melding['photo']}": anonymous,
        "/static/public.css": anonymous, "/static/staff.css": anonymous, "/bestaat-niet": anonymous,
        "/werk/aanmelden": anonymous, "/werk/meldkamer": anonymous, "/api/v1/work-items": anonymous,
        "/api/openapi.json": anonymous, "/open311/v2/services.json": anonymous,
        "/feedback/ongeldig-token": anonymous, "/opdracht/ongeldig-token": anonymous,
        f"/werk/dossier/{melding['reference']}": admin,
        f"/werk/dossier/{melding['reference']}/bestand/{melding['file']}": admin,
        "/werk/beheer/gebruikers": admin,
    }
    problems = []
    for url, who in urls.items():
        response = who.get(url)
        response.get_data()
        problems += check(response, url)
    assert not problems, "\n".join(problems)


def test_a_server_error_page_carries_them_too(app):
    @app.get("/test-fout")
    def broken():
        raise RuntimeError("kapot")

    response = app.test_client().get("/test-fout")
    assert response.status_code == 500 and not check(response, "/test-fout")


def test_staff_pages_files_and_the_api_are_not_stored_in_caches(app, staff, melding):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    for url in ("/werk/meldkamer", f"/werk/dossier/{melding['reference']}",
                f"/werk/dossier/{melding['reference']}/bestand/{melding['file']}", "/werk/beheer/gebruikers"):
        assert admin.get(url).headers.get("Cache-Control") == "no-store", url
    assert app.test_client().get("/werk/aanmelden").headers.get("Cache-Control") == "no-store"
    api = staff.meldkamer.get(f"/api/v1/cases/{melding['reference']}")
    assert api.status_code == 200 and api.headers.get("Cache-Control") == "no-store"
    assert app.test_client().get("/api/v1/work-items").headers.get("Cache-Control") == "no-store"  # the 401 too
    tracked = app.test_client().get(f"/volg/{melding['token']}/foto/{melding['photo']}")
    assert tracked.headers.get("Cache-Control") == "no-store"


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_the_session_cookie_is_samesite_lax_and_secure_on_an_https_site(app, staff):
    assert app.config["MELDPUNT_BASE_URL"].startswith("https://")
    password = with_password(staff.ood.user)
    client = app.test_client()

    def call(method, url, **kwargs):
        with app.app_context():  # a fresh context per request, as in production
            return getattr(client, method)(url, **kwargs)

    page = call("get", "/werk/aanmelden")
    response = call("post", "/werk/aanmelden", data={"username": staff.ood.user.username, "password": password,
                                                     "csrf_token": Browser.token(page)})
    cookie = session_cookie(response)
    assert "SameSite=Lax" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    page = call("get", "/werk/wachtrij/onderhoud-openbaar-domein")
    language = call("post", "/werk/taal/en", data={"csrf_token": Browser.token(page)})
    lang_cookie = next(c for c in language.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "Secure" in lang_cookie and "SameSite=Lax" in lang_cookie


def test_on_a_plain_http_site_the_cookie_is_not_marked_secure(app):
    plain = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "MELDPUNT_BASE_URL": "http://127.0.0.1:5000"})
    with plain.app_context():
        response = plain.test_client().get("/werk/aanmelden")
        cookie = session_cookie(response)
        assert "SameSite=Lax" in cookie and not re.search(r"(?i);\s*secure", cookie)
        from engine.db import db as database

        database.engine.dispose()
