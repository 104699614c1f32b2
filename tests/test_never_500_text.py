"""Text no database column can hold - NUL, and lone surrogates from JSON - is refused before any query, in
every kind of input: path (references, tokens), query parameters, form fields, login names, file names and
JSON strings. 400 naming the field (404 for a path), in the format of the part of the site asked; legitimate
Unicode (Dutch accents, emoji) is stored as sent. Run on SQLite and PostgreSQL."""
from __future__ import annotations

import html
import io
import json

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from intake.open311_keys import create_key

from .helpers import CSRF, with_password
from .test_public_form import JPEG, VALID, csrf_token

REFUSED = "Wat u verstuurde bevat een teken dat we niet kunnen bewaren (een nul-teken)"
GIVEN_BACK = "Dit veld bevatte een teken dat we niet kunnen bewaren (een nul-teken)"


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def melding(staff) -> dict:
    created = staff.meldkamer.file_melding()
    created["token"] = created["tracking_url"].rsplit("/", 1)[-1]
    return created


@pytest.mark.parametrize("path", ["/volg/{token}%00", "/volg/%00{token}/foto/1", "/melden/ontvangen/{token}%00",
                                  "/feedback/abc%00def", "/opdracht/abc%00def"])
def test_nul_in_a_page_path_is_a_dutch_404(client, melding, path):
    response = client.get(path.format(token=melding["token"]))
    assert response.status_code == 404
    assert "Deze pagina bestaat niet." in page(response)


def test_nul_in_an_api_or_open311_path_is_a_404_in_their_format(client, staff, melding):
    response = staff.meldkamer.get(f"/api/v1/cases/{melding['reference']}%00")
    assert response.status_code == 404 and response.get_json()["error"] == "Not Found"
    response = client.get(f"/open311/v2/requests/{melding['reference']}%00.json")
    assert response.status_code == 404 and json.loads(response.get_data())[0]["code"] == 404
    response = client.get(f"/open311/v2/requests/{melding['reference']}%00/media/1")
    assert response.status_code == 404


def test_nul_in_query_parameters(client, staff):
    response = client.get("/melden?categorie=straatlamp%00defect")
    assert response.status_code == 400 and REFUSED in page(response)
    response = client.get("/melden?zoek=lamp%00")
    assert response.status_code == 400
    response = client.get("/open311/v2/requests.json?service_request_id=M2026%00")
    assert response.status_code == 400
    assert "service_request_id" in json.loads(response.get_data())[0]["description"]
    response = client.get("/open311/v2/requests.xml?status=open%00")
    assert response.status_code == 400 and b"<errors>" in response.get_data()
    response = staff.meldkamer.get("/api/v1/work-items?group=meldkamer%00")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "UnstorableText" and "group" in body["fields"]


def test_nul_in_the_public_form_gives_the_form_back_without_it(app, client):
    before = case_count()
    token = csrf_token(client)
    data = {**VALID, "description": "De lamp\x00 aan paal 12 brandt niet.", "name": "Els\x00", "csrf_token": token}
    response = client.post("/melden", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    text = page(response)
    assert GIVEN_BACK in text
    assert "De lamp aan paal 12 brandt niet." in text and 'value="Els"' in text  # what was typed, without NUL
    assert 'value="Bruul 12, 2800 Mechelen"' in text
    assert case_count() == before


def test_nul_in_a_photo_name_gives_the_form_back(app, client):
    before = case_count()
    data = {**VALID, "csrf_token": csrf_token(client), "photos": [(io.BytesIO(JPEG), "paal\x0012.jpg")]}
    response = client.post("/melden", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert GIVEN_BACK in page(response) and "De straatlamp aan paal 12 brandt al een week niet." in page(response)
    assert case_count() == before


def test_nul_in_the_login_name_or_password(app, client, staff):
    with_password(staff.meldkamer.user, "juist-wachtwoord")
    token = CSRF.search(client.get("/werk/aanmelden").get_data(as_text=True)).group(1)
    for data in ({"username": "an\x00", "password": "juist-wachtwoord"},
                 {"username": "an", "password": "juist\x00wachtwoord"}):
        response = client.post("/werk/aanmelden", data={**data, "csrf_token": token})
        assert response.status_code == 400
        assert REFUSED in page(response)


def test_nul_in_open311_form_fields(app, client):
    _key, api_key = create_key("Open311-app", created_by="test")
    db.session.commit()
    base = {"api_key": api_key, "service_code": "straatlamp-defect", "lat": "51.03", "long": "4.48",
            "description": "Lamp brandt niet"}
    for field, value in (("description", "Lamp\x00"), ("email", "a\x00@b.be"), ("api_key", api_key + "\x00"),
                         ("attribute[paalnummer]", "12\x00")):
        for fmt in ("json", "xml"):
            response = client.post(f"/open311/v2/requests.{fmt}", data={**base, field: value})
            assert response.status_code == 400, (field, fmt, response.status_code)
            assert field in response.get_data(as_text=True)
    assert client.post("/open311/v2/requests.json", data=base).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"description": "Lamp\u0000 kapot"}, "description"),
    ({"reporter": {"email": "x@voorbeeld.example", "name": "Els\u0000"}}, "reporter.name"),
    ({"location": {"address": "Bruul\u0000 12"}}, "location.address"),
    ({"category": "straatlamp\u0000defect"}, "category"),
])
def test_nul_in_a_json_string_is_a_400_naming_the_field(staff, body, field):
    full = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
            "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}
    for key, value in body.items():
        full[key] = {**full[key], **value} if isinstance(value, dict) else value
    response = staff.meldkamer.post("/api/v1/meldingen", json=full)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_json()["fields"]


def test_a_lone_surrogate_in_json_is_a_400(staff, melding):
    raw = '{"description": "Lamp \\ud800 kapot", "channel": "telefoon", "category": "straatlamp-defect", ' \
          '"location": {"address": "Bruul 12"}, "reporter": {"email": "els@voorbeeld.example"}}'
    response = staff.meldkamer.post("/api/v1/meldingen", data=raw, content_type="application/json")
    assert response.status_code == 400 and "description" in response.get_json()["fields"]
    item = staff.meldkamer.open_item(melding["reference"], "triage")
    response = staff.meldkamer.post(f"/api/v1/work-items/{item['id']}/complete",
                                    data='{"note\\u0000": "x"}', content_type="application/json")
    assert response.status_code == 400


def test_a_nul_in_the_api_token_is_just_a_wrong_token(client):
    response = client.get("/api/v1/outbox", headers={"Authorization": "Bearer abc\x00def"})
    assert response.status_code == 401


def test_dutch_accents_and_emoji_are_stored_as_sent(client, staff):
    text = "Één café-terras in de Ieperstraat: 🚧 losse tegel, ‘gevaarlijk’ – zeker ’s avonds"
    created = staff.meldkamer.file_melding(description=text)
    assert staff.meldkamer.case(created["reference"])["description"] == text
    form = {**VALID, "description": text, "name": "Zoë Ängström", "csrf_token": csrf_token(client)}
    response = client.post("/melden", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    assert db.session.scalar(select(Case).where(Case.description == text).order_by(Case.id.desc()).limit(1))


@pytest.mark.parametrize("body", ["[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000,
                                  '{"description": ' + "[" * 100 + "]" * 100 + "}"])
def test_json_nested_too_deeply_is_a_400(staff, body):
    response = staff.meldkamer.post("/api/v1/meldingen", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["message"]
