"""The public report form at /melden: category search, a valid report with a photo, errors that keep what
was typed and create nothing, the per-client rate limit and the CSRF check."""
from __future__ import annotations

import base64
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case, CaseFile
from handlers.models import Category
from intake.category_search import score, search
from notifications.models import OutboxMessage

# A real 1x1 JPEG, as a phone would upload (the form checks the content, not the name).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEA"
    "AD8AN//Z")

VALID = {"categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen",
         "description": "De straatlamp aan paal 12 brandt al een week niet.", "name": "Els Peeters",
         "email": "els@voorbeeld.example", "phone": ""}


def csrf_token(client, path: str = "/melden?categorie=straatlamp-defect") -> str:
    html = client.get(path, follow_redirects=True).get_data(as_text=True)  # (to the page with its form token)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post(client, data: dict, photos: list[tuple[bytes, str]] = (), csrf: bool = True):
    body = dict(data)
    if csrf:
        body["csrf_token"] = csrf_token(client)
    body["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    return client.post("/melden", data=body, content_type="multipart/form-data")


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("query, key", [("lamp kapot", "straatlamp-defect"), ("sluikstort", "sluikstort"),
                                        ("put in het voetpad", "voetpad-losse-tegel"),
                                        ("LAMPEN", "straatlamp-defect"), ("stoeptégel", "voetpad-losse-tegel")])
def test_search_finds_the_sub_category(app, client, query, key):
    assert search(query)[0].key == key
    html = client.get("/melden", query_string={"zoek": query}).get_data(as_text=True)
    first = re.search(r'name="categorie" value="([^"]+)"', html)
    assert first and first.group(1) == key
    assert "Ik vind mijn categorie niet" in html


def test_search_scoring_is_accent_case_and_prefix_insensitive():
    assert score("KAPOT", "Losse of kapotte tegel") > 0
    assert score("cafe", "Café") > 0 and score("Café", "cafe") > 0
    assert score("de het een", "Straatlamp kapot") == 0
    assert score("lamp kapot", "Straatlamp kapot", "lamp kapot") > score("lamp kapot", "Losse of kapotte tegel")


def test_no_match_offers_no_category_and_the_form_works_without_one(app, client):
    html = client.get("/melden", query_string={"zoek": "xyzzy"}).get_data(as_text=True)
    assert "We vonden geen categorie" in html and 'value="geen" checked' in html
    page = client.get("/melden?categorie=geen", follow_redirects=True)
    assert page.status_code == 200 and "Ik vind mijn categorie niet" in page.get_data(as_text=True)
    response = post(client, {**VALID, "categorie": "geen"})
    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    assert case.category is None and case.channel == "web"


def test_a_valid_report_with_a_photo_creates_the_case_and_confirms(app, client):
    response = post(client, VALID, photos=[(JPEG, "paal12.jpg")])
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    html = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200 and confirmation.headers["Cache-Control"] == "no-store"

    case = db.session.scalar(select(Case))
    assert case.channel == "web" and case.category.key == "straatlamp-defect"
    assert case.address == "Bruul 12, 2800 Mechelen" and case.reporter.email == "els@voorbeeld.example"
    assert case.reporter.name == "Els Peeters"
    photo = db.session.scalar(select(CaseFile).where(CaseFile.case_id == case.id))
    assert not photo.public  # staff publish it, or not (tests/test_photo_privacy.py)
    assert photo.content_type == "image/jpeg" and photo.filename == "paal12.jpg"
    assert photo.source == "melder" and photo.stripped
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "ontvangen"))
    assert mail.recipient == "els@voorbeeld.example" and mail.case_id == case.id

    assert case.reference in html
    tracking = f"https://meldpunt.stad.example/volg/{case.tracking_token}"
    assert f'href="{tracking}"' in html
    page = client.get(urlsplit(tracking).path)
    assert page.status_code == 200 and case.reference in page.get_data(as_text=True)
    assert "Ontvangen" in page.get_data(as_text=True)


def test_coordinates_replace_the_address(app, client):
    response = post(client, {**VALID, "address": "", "lat": "51,0278", "lon": "4.4777"})
    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    assert abs(case.lat - 51.0278) < 1e-9 and abs(case.lon - 4.4777) < 1e-9 and case.location_checked is True
    assert case.address.endswith("2800 Mechelen")  # the nearest known address (tests/test_location_intake.py)


@pytest.mark.parametrize("changes, photos, field, message", [
    ({"description": ""}, [], "description", "Beschrijf het probleem."),
    ({"description": "kapot"}, [], "description", "minstens 10 tekens"),
    ({"email": "", "phone": ""}, [], "contact", "Geef een e-mailadres of een telefoonnummer"),
    ({"email": "els@@voorbeeld"}, [], "email", "Dit e-mailadres klopt niet"),
    ({"lat": "51.02"}, [], "lon", "Geef breedtegraad en lengtegraad allebei"),
    ({"lat": "95", "lon": "4.4"}, [], "lat", "De breedtegraad ligt tussen -90 en 90"),
    ({"address": ""}, [], "address", "Vul het adres of de plaats in"),
    ({"phone": "bel me"}, [], "phone", "Dit telefoonnummer klopt niet"),
    ({"categorie": "bestaat-niet"}, [], "categorie", "Deze categorie bestaat niet"),
    ({}, [(b"dit is gewoon tekst", "foto.jpg")], "photos", "foto.jpg: dit is geen foto"),
    ({}, [(JPEG, f"f{i}.jpg") for i in range(4)], "photos", "maximaal 3 foto's"),
])
def test_errors_are_dutch_keep_the_typed_values_and_create_nothing(app, client, changes, photos, field, message):
    if field == "contact":  # without contact data only where the category does not take anonymous meldingen
        db.session.scalar(select(Category).where(Category.key == "straatlamp-defect")).allow_anonymous = False
        db.session.commit()
    data = {**VALID, "name": "Els <Peeters>", **changes}
    response = post(client, data, photos=photos)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(rf'id="error-{field}">([^<]+)<', html)
    assert errors and message in errors.group(1).replace("&#39;", "'"), html
    assert "Uw melding is nog niet verstuurd" in html
    assert "Els &lt;Peeters&gt;" in html  # kept, and escaped
    if changes.get("description", VALID["description"]):
        description = changes.get("description", VALID["description"])
        assert f">{description}</textarea>" in html
    assert ("kies ze opnieuw" in html) == bool(photos)
    assert case_count() == 0
    assert db.session.scalar(select(func.count()).select_from(CaseFile)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_english_reader_gets_english_fallback_without_errors(app, client):
    client.set_cookie("lang", "en")
    assert client.get("/melden?zoek=lamp+kapot").status_code == 200
    response = post(client, VALID)
    assert response.status_code == 303
    assert db.session.scalar(select(Case)).reporter.language == "en"


def test_the_rate_limit_answers_429_in_dutch_and_keeps_what_was_typed(app, client):
    app.config["MELDPUNT_REPORT_RATE"] = "2/600"
    assert post(client, {**VALID, "description": ""}).status_code == 422  # a refused form does not count
    assert post(client, VALID).status_code == 303
    assert post(client, VALID).status_code == 303
    third = {**VALID, "description": "Een derde melding: de bank <aan> het water is stuk.", "phone": "015 12 34 56",
             "lat": "51,0278", "lon": "4,4777"}
    response = post(client, third, photos=[(JPEG, "bank.jpg")])
    assert response.status_code == 429 and 590 <= int(response.headers["Retry-After"]) <= 600
    html = response.get_data(as_text=True)
    assert "Te veel meldingen" in html and "Probeer het opnieuw over 10 minuten" in html
    assert "Een derde melding: de bank &lt;aan&gt; het water is stuk.</textarea>" in html
    for typed in ("Bruul 12, 2800 Mechelen", "Els Peeters", "els@voorbeeld.example", "015 12 34 56", "51,0278"):
        assert f'value="{typed}"' in html, typed
    assert 'name="categorie" value="straatlamp-defect"' in html
    assert "kies ze opnieuw" in html  # the photo cannot be given back, and the page says so
    assert case_count() == 2


def test_without_csrf_token_nothing_is_created_and_the_form_comes_back(app, client):
    response = post(client, VALID, csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "er werd niets opgeslagen" in html and "Bruul 12, 2800 Mechelen" in html
    assert case_count() == 0


def test_photos_up_to_the_raised_request_limit_are_accepted(app, client):
    big = JPEG[:-2] + b"\0" * (3 * 1024 * 1024) + JPEG[-2:]  # 3 MB: over the app-wide 1 MB limit
    response = post(client, VALID, photos=[(big, "groot.jpg")])
    assert response.status_code == 303
    assert db.session.scalar(select(CaseFile)).size < 1024  # stored re-encoded: the padding is gone
