"""In a real browser (Debian's Chromium via Playwright): the map on the report form. On a phone the citizen
uses their location, taps the map, picks an address from the suggestions, sees "Is dit uw melding?" with an
open melding of the same category nearby, and sends their own melding with the pin's point; on a desktop
without JavaScript the form is the address field alone and still sends; lookups that fail never block sending."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.geocoding import geocoder
from intake.meldingen import register_melding

from .live_server import chromium, live_app
from .test_browser_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BRUUL_1 = (51.026433, 4.481567)
METRE_LAT = 1 / 111_195
ANTWERP = (51.2194, 4.4025)


def existing_melding(app, lat: float, lon: float) -> str:
    """Another reporter's open melding of "Straatlamp kapot" at (lat, lon); its reference."""
    with app.app_context():
        case = register_melding(description="Lamp brandt niet, zegt Jan van nummer 3.", channel="web",
                                category="straatlamp-defect",
                                location={"address": "Bruul 3, 2800 Mechelen", "lat": lat, "lon": lon},
                                reporter={"name": "Jan Janssens", "email": "jan@voorbeeld.example"})
        db.session.commit()
        reference = case.reference
        db.session.remove()
    return reference


def open_form(page, base: str) -> None:
    page.goto(f"{base}/melden?categorie=straatlamp-defect")
    assert page.locator("#chosen-category").inner_text() == "Straatlamp kapot"


def point_in_form(page) -> tuple[float, float]:
    return float(page.input_value("#lat")), float(page.input_value("#lon"))


def test_citizen_places_the_pin_on_a_phone_sees_nearby_meldingen_and_sends(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        other = existing_melding(app, BRUUL_1[0] + 10 * METRE_LAT, BRUUL_1[1])
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="nl-BE",
                                      geolocation={"latitude": BRUUL_1[0], "longitude": BRUUL_1[1]},
                                      permissions=["geolocation"])
        context.add_init_script(WATCH)  # Content-Security-Policy violations, as the page reports them
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_form(page, base)

        # the map shows the city with tiles from the (local) tile server, above the address field
        page.wait_for_selector("#report-map .leaflet-tile-loaded")
        assert app.config["TEST_TILES"].requested
        map_box = page.locator("#report-map").bounding_box()
        assert map_box["width"] <= PHONE["width"] and map_box["height"] >= 200
        assert map_box["y"] < page.locator("#address").bounding_box()["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # "Gebruik mijn locatie": the pin goes to the phone's location, the address is filled in
        page.get_by_role("button", name="Gebruik mijn locatie").click()
        expect(page.locator("#address")).to_have_value("Bruul 1, 2800 Mechelen")
        assert point_in_form(page) == BRUUL_1
        assert page.locator("#report-map .leaflet-marker-icon").count() == 1

        # ... and the open melding of the same category 10 m away is offered
        nearby = page.locator("#nearby")
        nearby.wait_for(state="visible")
        assert nearby.get_by_role("heading", name="Is dit uw melding?").is_visible()
        item = nearby.locator("li", has_text="Straatlamp kapot")
        assert item.count() == 1 and "Ontvangen" in item.inner_text() and "Bruul" in item.inner_text()
        same = item.get_by_role("button", name=f"Ik meld hetzelfde als melding {other}")
        assert same.inner_text() == "Ik meld hetzelfde"
        assert same.get_attribute("formaction") == "/melden/volgen"
        assert same.get_attribute("name") == "volg" and same.get_attribute("value") == other
        assert same.get_attribute("type") == "submit"
        assert same.evaluate("b => b.form === document.getElementById('address').form")
        assert "uw eigen melding" in nearby.inner_text()
        for private in ("Jan", "nummer 3", "jan@voorbeeld"):  # nothing of the other reporter
            assert private not in nearby.inner_text()
        assert page.get_by_role("button", name="Melding versturen").is_visible()
        assert nearby.bounding_box()["y"] < page.get_by_role("button", name="Melding versturen").bounding_box()["y"]

        # a tap on the map moves the pin there and fills in the nearest address
        before = point_in_form(page)
        page.locator("#report-map").scroll_into_view_if_needed()
        map_box = page.locator("#report-map").bounding_box()
        page.touchscreen.tap(map_box["x"] + map_box["width"] / 2 + 60, map_box["y"] + map_box["height"] / 2 + 40)
        expect(page.locator("#lat")).not_to_have_value(str(before[0]))
        tapped = point_in_form(page)
        with app.app_context():
            nearest = geocoder().reverse(*tapped)
        assert nearest is not None
        expect(page.locator("#address")).to_have_value(nearest.label)

        # dragging the pin moves the point with it and fills in the address nearest its new place
        marker = page.locator("#report-map .leaflet-marker-icon").bounding_box()
        x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 40, y - 30, steps=8)
        page.mouse.move(x - 80, y - 60, steps=8)
        page.mouse.up()
        expect(page.locator("#lat")).not_to_have_value(str(tapped[0]))
        dragged = point_in_form(page)
        assert dragged[0] > tapped[0] and dragged[1] < tapped[1]  # up and to the left: north and west
        with app.app_context():
            nearest = geocoder().reverse(*dragged)
        assert nearest is not None
        expect(page.locator("#address")).to_have_value(nearest.label)

        # a point outside the city: said at once, in Dutch, naming the city
        page.locator("summary", has_text="Coördinaten opgeven").click()
        page.fill("#lat", str(ANTWERP[0]))
        page.fill("#lon", str(ANTWERP[1]))
        page.locator("#lon").press("Tab")
        status = page.locator("#map-status")
        expect(status).to_contain_text("buiten Mechelen")
        expect(status).to_have_class(re.compile(r"\bbad\b"))

        # typing shows suggestions; choosing one moves the pin there
        page.fill("#address", "")
        page.locator("#address").press_sequentially("Bruul", delay=40)
        suggestions = page.locator("#address-suggestions button")
        suggestions.first.wait_for(state="visible")
        assert 1 <= suggestions.count() <= 5
        choice = page.locator("#address-suggestions button", has_text="Bruul 1, 2800 Mechelen")
        choice.click()
        assert page.input_value("#address") == "Bruul 1, 2800 Mechelen"
        expect(page.locator("#lat")).to_have_value(str(BRUUL_1[0]))
        assert point_in_form(page) == BRUUL_1
        assert page.locator("#address-suggestions").is_hidden()
        expect(status).not_to_have_class(re.compile(r"\bbad\b"))
        marker = page.locator("#report-map .leaflet-marker-icon").bounding_box()
        map_box = page.locator("#report-map").bounding_box()
        marker_x, marker_bottom = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"]
        assert abs(marker_x - (map_box["x"] + map_box["width"] / 2)) < 3  # the map centred on the chosen point
        assert abs(marker_bottom - (map_box["y"] + map_box["height"] / 2)) < 3
        nearby.wait_for(state="visible")

        assert page.evaluate("window.__csp") == []  # the map and its script need no inline code or style

        # send one's own melding: Enter in a field sends it (not "Ik meld hetzelfde"), with the pin's point
        page.fill("#description", "De straatlamp voor nummer 1 flikkert de hele nacht.")
        page.fill("#email", "els@voorbeeld.example")
        page.locator("#email").press("Enter")
        page.wait_for_url(f"{base}/melden/ontvangen/**")
        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        reference = page.locator("#reference").inner_text().strip()
        assert reference != other
        with app.app_context():
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert (case.lat, case.lon) == BRUUL_1
            assert case.address == "Bruul 1, 2800 Mechelen" and case.category.key == "straatlamp-defect"
            db.session.remove()
        assert not errors, errors
        context.close()


def test_my_location_refused_says_so_and_the_form_still_sends(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # no permission given
        page = context.new_page()
        # the address lookups fail (geocoder down) and so do the tiles: nothing of that may stop the citizen
        page.route(lambda url: "/melden/adres?" in url, lambda route: route.fulfill(status=503, body="down"))
        page.route(lambda url: "/melden/in-de-buurt?" in url, lambda route: route.abort())
        page.route(lambda url: url.endswith(".png") and "/static/" not in url, lambda route: route.abort())
        open_form(page, base)
        page.locator("#report-map").wait_for(state="visible")

        page.get_by_role("button", name="Gebruik mijn locatie").click()
        status = page.locator("#map-status")
        expect(status).to_contain_text("locatie")
        assert status.inner_text() == ("U gaf geen toestemming om uw locatie te gebruiken. Duid de plaats aan op de "
                                       "kaart of typ het adres.")

        page.locator("#address").press_sequentially("Grote Markt 1", delay=20)
        page.locator("#address-suggestions button").first.wait_for(state="visible")
        page.locator("#address-suggestions button").first.click()  # the reverse check fails: no harm done
        page.fill("#description", "Een losse tegel voor het stadhuis, iemand struikelde al.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        with app.app_context():
            case = db.session.scalar(select(Case))
            assert case.address.startswith("Grote Markt 1") and case.lat is not None
            db.session.remove()
        context.close()


def test_on_a_desktop_without_javascript_the_form_sends_the_typed_address(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
        page = context.new_page()
        open_form(page, base)
        assert page.locator("#report-map").is_hidden() and page.locator("#report-map-area").is_hidden()
        assert page.locator("#nearby").is_hidden()
        assert page.get_by_role("button", name="Gebruik mijn locatie").is_hidden()
        assert page.locator(".leaflet-container").count() == 0
        page.fill("#address", "Bruul 12, 2800 Mechelen")
        page.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        with app.app_context():
            case = db.session.scalar(select(Case))
            # no pin was sent: the server found the typed address's point in the address list
            assert case.address == "Bruul 12, 2800 Mechelen" and case.location_checked is True
            assert (round(case.lat, 4), round(case.lon, 4)) == (51.0261, 4.4817)
            db.session.remove()
        assert not app.config["TEST_TILES"].requested  # no map was loaded
        context.close()
