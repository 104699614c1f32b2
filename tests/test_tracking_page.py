"""The public tracking page: a dated public timeline without personal data."""
from __future__ import annotations

import re


def _path(created: dict) -> str:
    return created["tracking_url"].replace("https://meldpunt.stad.example", "")


def test_tracking_page_shows_status_and_public_timeline_without_personal_data(staff, client):
    created = staff.meldkamer.file_melding(email="els@voorbeeld.example")
    ref = created["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch", "note": "interne opmerking"})
    staff.ood.complete(ref, "take_in_handling")
    page = client.get(_path(created))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "noindex" in page.headers["X-Robots-Tag"] and 'name="robots" content="noindex' in html
    assert ref in html and "In behandeling" in html and "Onderhoud openbaar domein" in html
    assert "Doorgestuurd naar Onderhoud openbaar domein" in html
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", html)
    # What was reported: the category and the place (public in the Open311 feed too), never the reporter's own text.
    assert 'id="tracked-category">Straatlamp kapot' in html and "Bruul 12" in html
    for private in ("els@voorbeeld.example", "Els Melder", "interne opmerking", "Straatlamp brandt"):
        assert private not in html


def test_tracking_token_has_at_least_128_bits(staff):
    token = _path(staff.meldkamer.file_melding()).rsplit("/", 1)[1]
    assert len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token)


def test_unknown_tracking_token_gets_a_dutch_not_found_page(client):
    for token in ("abc", "x" * 32):
        page = client.get(f"/volg/{token}")
        assert page.status_code == 404
        assert "Niet gevonden" in page.get_data(as_text=True)


def test_closed_case_shows_the_closing_text(staff, client):
    created = staff.meldkamer.file_melding()
    ref = created["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": "De lamp brandt weer."})
    html = client.get(_path(created)).get_data(as_text=True)
    assert "Afgesloten" in html and "De lamp brandt weer." in html


def test_public_photos_show_on_the_tracking_page_and_private_ones_do_not(app, staff, client):
    from engine.db import db
    from engine.models import Case
    from handlers.files import store_file

    from .test_browser_staff_flow import JPEG

    created = staff.meldkamer.file_melding()
    case = db.session.query(Case).filter_by(reference=created["reference"]).one()
    public = store_file(case, JPEG, "lamp.jpg", source="melder", uploaded_by="melder", public=True)
    private = store_file(case, JPEG, "nummerplaat.jpg", source="aannemer", uploaded_by="aannemer", public=False)
    db.session.commit()
    path = _path(created)
    html = client.get(path).get_data(as_text=True)
    assert f"{path}/foto/{public.public_token}" in html and f"/foto/{private.public_token}" not in html
    photo = client.get(f"{path}/foto/{public.public_token}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data[:3] == b"\xff\xd8\xff"
    assert client.get(f"{path}/foto/{private.public_token}").status_code == 404
    assert client.get(f"{path}/foto/{public.id}").status_code == 404
    other = staff.meldkamer.file_melding()
    assert client.get(f"{_path(other)}/foto/{public.public_token}").status_code == 404
