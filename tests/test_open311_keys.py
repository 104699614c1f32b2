"""Open311 client keys: one per app, made and revoked by the admin (page and CLI), shown once and stored as a
hash; POST /requests takes a key only in the POST body, never from the URL (access logs) and never a staff
member's API token; every request records which app made it."""
from __future__ import annotations

import re

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseEvent
from handlers.models import hash_token
from intake.open311_keys import Open311Key, create_key
from web.cli import main

from .helpers import Browser, with_password

API = "/open311/v2"
FIELDS = {"service_code": "straatlamp-defect", "lat": "51.0275", "long": "4.4778",
          "description": "De straatlamp brandt niet", "email": "els@voorbeeld.example"}


def new_key(name: str = "FixMyStreet Mechelen") -> str:
    _row, secret = create_key(name, "test")
    db.session.commit()
    return secret


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def errors_of(response, fmt: str) -> list[dict]:
    if fmt == "xml":
        from xml.etree import ElementTree as ET
        root = ET.fromstring(response.data)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")}
                for e in root.findall("error")]
    return response.get_json()


def test_a_key_in_the_post_body_creates_a_request_that_names_the_app(app, client):
    key = new_key()
    response = client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key})
    assert response.status_code == 200, response.data
    reference = response.get_json()[0]["service_request_id"]
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    notes = db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id,
                                                            CaseEvent.kind == "open311_app")).all()
    assert notes == ["via Open311-app FixMyStreet Mechelen"]
    row = db.session.scalar(select(Open311Key))
    assert row.last_used_at is not None and row.key_hash == hash_token(key) and key not in (row.name, row.key_hash)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_key_in_the_query_string_is_refused_even_when_it_is_valid(app, client, fmt):
    key = new_key()
    for query, body in ((f"?api_key={key}", FIELDS), (f"?api_key={key}", {**FIELDS, "api_key": key}),
                        ("?api_key=onzin", {**FIELDS, "api_key": key})):
        response = client.post(f"{API}/requests.{fmt}{query}", data=body)
        assert response.status_code == 400
        [error] = errors_of(response, fmt)
        assert error["code"] == 400 and "POST body" in error["description"] and key not in error["description"]
    assert case_count() == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_staff_api_tokens_are_no_open311_keys(app, client, staff, fmt):
    from handlers.models import User

    onthaal = User(username="olga", display_name="Olga", role="onthaal")
    db.session.add(onthaal)
    token = onthaal.issue_api_token()
    db.session.commit()
    for staff_token in (token, staff.admin.token):
        response = client.post(f"{API}/requests.{fmt}", data={**FIELDS, "api_key": staff_token})
        assert response.status_code == 403
        assert errors_of(response, fmt)[0]["code"] == 403
    assert case_count() == 0


@pytest.mark.parametrize("key", [None, "", "o311_geen-geldige-sleutel"])
def test_missing_or_unknown_key_is_403(app, client, key):
    new_key()
    data = dict(FIELDS) if key is None else {**FIELDS, "api_key": key}
    response = client.post(f"{API}/requests.json", data=data)
    assert response.status_code == 403 and "api_key" in response.get_json()[0]["description"]
    assert case_count() == 0


def test_a_revoked_key_is_refused_and_the_name_can_get_a_new_key(app, client):
    key = new_key("Buurtapp")
    from intake.open311_keys import revoke_key

    revoke_key("Buurtapp", "test")
    db.session.commit()
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 403
    fresh = new_key("Buurtapp")
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": fresh}).status_code == 200
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 403


def test_names_are_unique_among_active_keys(app):
    new_key("Buurtapp")
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput):
        create_key("Buurtapp", "test")
    with pytest.raises(InvalidInput):
        create_key("   ", "test")


def test_discovery_says_how_to_get_and_send_a_key(client):
    text = client.get(f"{API}/discovery.json").get_json()["key_service"]
    assert "beheerder" in text and "POST" in text


# -- the admin page ---------------------------------------------------------------------------------------------


def admin(app, staff) -> Browser:
    with_password(staff.admin.user)
    return Browser(app, "root", "correct-horse-battery")


def test_the_admin_creates_a_key_sees_it_once_and_revokes_it(app, client, staff):
    root = admin(app, staff)
    page = root.post("/werk/beheer/open311", {"name": "FixMyStreet Mechelen"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key"[^>]*>(o311_[A-Za-z0-9_-]+)<', html).group(1)
    assert "Bewaar deze sleutel nu" in html

    listing = root.get("/werk/beheer/open311").get_data(as_text=True)
    assert "FixMyStreet Mechelen" in listing and key not in listing and "Root" in listing
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 200
    listing = root.get("/werk/beheer/open311").get_data(as_text=True)
    assert "Nog nooit" not in listing  # last used is shown

    row_id = db.session.scalar(select(Open311Key.id))
    response = root.post("/werk/beheer/open311/intrekken", {"key_id": str(row_id)}, page="/werk/beheer/open311")
    assert response.status_code == 302
    assert "ingetrokken" in root.get("/werk/beheer/open311").get_data(as_text=True)
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 403


def test_the_admin_page_explains_a_refused_name_and_keeps_it(app, staff):
    root = admin(app, staff)
    root.post("/werk/beheer/open311", {"name": "Buurtapp"})
    response = root.post("/werk/beheer/open311", {"name": "Buurtapp"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "heeft al een actieve sleutel" in html and 'value="Buurtapp"' in html
    assert db.session.scalar(select(func.count()).select_from(Open311Key)) == 1


def test_the_admin_page_in_english(app, staff):
    root = admin(app, staff)
    root.post("/werk/taal/en", {}, page="/werk/beheer/open311")
    html = root.get("/werk/beheer/open311").get_data(as_text=True)
    assert "Open311 apps" in html and "Revoke" not in html  # no keys yet: nothing to revoke
    root.post("/werk/beheer/open311", {"name": "Buurtapp"})
    html = root.get("/werk/beheer/open311").get_data(as_text=True)
    assert "Revoke" in html and "Intrekken" not in html and "Never" in html


# -- the command line -------------------------------------------------------------------------------------------


def test_the_cli_creates_lists_and_revokes_keys(app, client):
    def cli(*args: str):
        return app.test_cli_runner().invoke(main, ["open311", "key", *args], obj=ScriptInfo(create_app=lambda: app))

    created = cli("create", "Buurtapp")
    assert created.exit_code == 0, created.output
    key = re.search(r"(o311_[A-Za-z0-9_-]+)", created.output).group(1)
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 200

    listed = cli("list")
    assert listed.exit_code == 0 and "Buurtapp" in listed.output and key not in listed.output
    assert "active" in listed.output

    again = cli("create", "Buurtapp")
    assert again.exit_code != 0 and "revoke it first" in again.output

    revoked = cli("revoke", "Buurtapp")
    assert revoked.exit_code == 0, revoked.output
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": key}).status_code == 403
    assert "revoked" in cli("list").output
    missing = cli("revoke", "Buurtapp")
    assert missing.exit_code != 0 and "no active Open311 key" in missing.output


def test_the_demo_seed_prints_a_fresh_open311_key_each_time(app, client):
    def seed() -> str:
        result = app.test_cli_runner().invoke(main, ["seed", "--demo"], obj=ScriptInfo(create_app=lambda: app))
        assert result.exit_code == 0, result.output
        return re.search(r"demo Open311 key of the app 'Demo-app'.*: (o311_[A-Za-z0-9_-]+)", result.output).group(1)

    first = seed()
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": first}).status_code == 200
    second = seed()
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": second}).status_code == 200
    assert client.post(f"{API}/requests.json", data={**FIELDS, "api_key": first}).status_code == 403
