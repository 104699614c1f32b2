"""In a real browser (Debian's Chromium via Playwright), on a desktop: the meldkamer switches its queue to the
map view, sees the list's cases as clustered markers on tiles from the local tile server, clicks a row and gets
its marker's popup with the reference, clicks a marker and gets its row highlighted."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from engine.db import db
from intake.meldingen import register_melding

from .live_server import chromium, live_app, login

# Six meldingen on one street corner (within 15 m: one cluster at the city's zoom), two far apart, one without a point.
CORNER = (51.0279, 4.4806)
SPREAD = [(51.0450, 4.4300), (51.0050, 4.5200)]


def test_meldkamer_map_view_clusters_the_lists_cases_and_follows_the_list(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        with app.app_context():
            corner = [register_melding(description=f"Sluikstort {n} aan de hoek", channel="telefoon",
                                       category="sluikstort",
                                       location={"address": f"Grote Markt {n}, 2800 Mechelen",
                                                 "lat": CORNER[0] + n * 0.00002, "lon": CORNER[1] + n * 0.00002}
                                       ).reference for n in range(6)]
            spread = [register_melding(description="Straatlamp brandt niet", channel="telefoon",
                                       category="straatlamp-defect",
                                       location={"address": f"Ergens {n}, 2800 Mechelen", "lat": lat, "lon": lon}
                                       ).reference for n, (lat, lon) in enumerate(SPREAD)]
            nowhere = register_melding(description="Zonder punt", channel="telefoon", category="zwerfvuil",
                                       location={"address": "langs de vaart"}).reference
            db.session.remove()

        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        login(page, base, "an.meldkamer")
        page.goto(f"{base}/werk/meldkamer")
        page.locator("#view-switch").get_by_role("link", name="Kaart").click()
        page.wait_for_selector("#queue-map.loaded")
        assert "weergave=kaart" in page.url

        # The list beside the map is the list's page: every case, the one without a point says so.
        rows = page.locator("#queue-map-list li[data-reference]")
        assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.reference)")) == sorted(
            corner + spread + [nowhere])
        assert "geen locatie" in page.locator(f"li[data-reference='{nowhere}']").inner_text()
        assert "geen locatie" not in page.locator(f"li[data-reference='{corner[0]}']").inner_text()

        # Clustered markers: the corner's six are one cluster; clusters and single markers hold all eight points.
        assert page.locator("#queue-map").get_attribute("data-markers") == "8"
        clusters = page.locator(".marker-cluster")
        assert clusters.count() >= 1
        counts = [int(t) for t in clusters.all_inner_texts()]
        singles = page.locator(".leaflet-marker-icon:not(.marker-cluster)").count()
        assert max(counts) >= 6 and sum(counts) + singles == 8
        assert app.config["TEST_TILES"].requested  # the tiles came from the local tile server

        # Hovering a row whose marker stands alone on the map opens its popup; clicking a marker marks its row.
        far = spread[1]
        page.locator(f"li[data-reference='{far}']").hover()
        expect(page.locator(".leaflet-popup")).to_have_count(1)  # one popup open (an earlier one fades out)
        expect(page.locator(".leaflet-popup-content")).to_contain_text(far)
        page.locator(".leaflet-popup-close-button").click()
        expect(page.locator(".leaflet-popup")).to_have_count(0)
        page.locator(f".leaflet-marker-icon[title='{spread[0]}']").click()
        expect(page.locator(f"li[data-reference='{spread[0]}']")).to_have_class(re.compile(r"\bactive\b"))
        expect(page.locator(".leaflet-popup-content")).to_contain_text(spread[0])
        page.mouse.move(1, 1)

        # A click on a row (not on its link) opens that case's marker's popup, out of its cluster.
        target = corner[3]
        page.locator(f"li[data-reference='{target}'] .muted").click()
        expect(page.locator(".leaflet-popup")).to_have_count(1)
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text(target)
        assert "Sluikstort" in popup.inner_text() and "Grote Markt 3" in popup.inner_text()
        assert popup.get_by_role("link", name=target).get_attribute("href") == f"/werk/dossier/{target}"
        expect(page.locator(f"li[data-reference='{target}']")).to_have_class(re.compile(r"\bactive\b"))
        assert "active" not in (page.locator(f"li[data-reference='{spread[0]}']").get_attribute("class") or "")

        # Back to the list, filters kept.
        page.goto(f"{base}/werk/meldkamer?categorie=netheid&weergave=kaart")
        page.wait_for_selector("#queue-map.loaded")
        assert page.locator("#queue-map").get_attribute("data-markers") == "6"
        page.locator("#view-switch").get_by_role("link", name="Lijst").click()
        assert "categorie=netheid" in page.url and page.locator("table#queue").count() == 1
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
