"""In a real browser on a desktop (1280x800): the case page shows the case on a map (tiles from the local tile
server) with the nearby melding of the same category beside it; "Markeer als dubbel van deze" merges the case
into it; the location is corrected through the form (a click on the map gives the point) and shows on the
timeline."""
from __future__ import annotations

from engine.db import db
from engine.geometry import METRES_PER_DEGREE_LAT
from intake.meldingen import register_melding

from .live_server import chromium, live_app, login

LAT, LON = 51.0257, 4.4776  # the centre of Mechelen


def melding(description: str, metres_north: float) -> str:
    case = register_melding(description=description, channel="telefoon", category="straatlamp-defect",
                            location={"address": "Bruul 12, 2800 Mechelen",
                                      "lat": LAT + metres_north / METRES_PER_DEGREE_LAT, "lon": LON},
                            reporter={"name": "Els", "email": "els@voorbeeld.example"})
    return str(case.reference)


def test_case_map_nearby_duplicate_and_location_correction_in_chromium(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        with app.app_context():
            original = melding("Straatlamp aan paal 12 brandt niet", 0)
            other = melding("De lamp bij paal 12 is al dagen uit", 20)
            db.session.remove()

        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        errors: list[str] = []  # a script the CSP blocks, or one that fails, shows here
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text else None)
        page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        login(page, base, "an.meldkamer")
        page.goto(f"{base}/werk/dossier/{other}")
        page.wait_for_selector("#case-map .leaflet-tile-loaded")
        assert app.config["TEST_TILES"].requested, "the map fetched no tiles from the local tile server"
        assert page.locator("#case-map").is_visible()
        assert page.locator("#case-map path.leaflet-interactive").count() == 2  # the case and its neighbour
        row = page.locator(f"#nearby-list li[data-reference='{original}']")
        assert row.is_visible()
        text = row.inner_text()
        assert "Straatlamp" in text and "Ontvangen" in text and "20 m" in text
        # Beside the map, not under it: the list starts to the right of the map's left edge.
        map_box, list_box = page.locator("#case-map").bounding_box(), page.locator("#nearby-list").bounding_box()
        assert list_box["x"] >= map_box["x"] + map_box["width"]

        row.get_by_role("button", name="Markeer als dubbel van deze").click()
        page.wait_for_load_state()
        assert page.locator("#case-status").inner_text() == "Samengevoegd met een andere melding"
        facts = page.locator(".card dl").first.inner_text()
        assert "Dubbel van" in facts and original in facts
        assert page.get_by_role("button", name="Markeer als dubbel van deze").count() == 0

        page.goto(f"{base}/werk/dossier/{original}")
        page.wait_for_selector("#case-map .leaflet-tile-loaded")
        page.locator("#correct summary").click()
        box = page.locator("#case-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 40)
        lat, lon = page.input_value("#correct-lat"), page.input_value("#correct-lon")
        assert lat != f"{LAT:.7f}" and lon != f"{LON:.7f}", "a click on the map sets the point in the form"
        page.fill("#correct-address", "Bruul 14, 2800 Mechelen")
        page.get_by_role("button", name="Correctie opslaan").click()
        assert "Correctie opgeslagen." in page.locator("body").inner_text()
        timeline = page.locator("#timeline").inner_text()
        assert "Locatie gecorrigeerd: Bruul 12, 2800 Mechelen (51.02570, 4.47760) → Bruul 14, 2800 Mechelen" \
            in timeline
        assert "An Peeters" in timeline
        assert page.input_value("#correct-lat") == f"{float(lat):.7f}"
        assert errors == []
