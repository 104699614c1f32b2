"""The icon in the browser's tab: every page names it, and /favicon.ico (asked by browsers that do not read the
link) leads to it instead of a 404."""
from __future__ import annotations


def test_pages_name_the_icon_and_favicon_ico_leads_to_it(client):
    for page in ("/melden", "/werk/aanmelden"):
        assert 'rel="icon" href="/static/favicon.svg"' in client.get(page).get_data(as_text=True), page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
