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
from .keyboard import settle, tab_to
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
        # what a page is, its address, and a word of its heading (so that each is the page it should be)
        pages = {
            "startpagina": ("/", "Meldpunt"),
            "zoeken naar een categorie": ("/melden", "Een probleem melden"),
            "categorie kiezen (zoekresultaat)": ("/melden?zoek=lamp+kapot", "Een probleem melden"),
            "geen categorie gevonden": ("/melden?zoek=qwxzy", "Een probleem melden"),
            "meldformulier": (FORM, "Uw melding"),
            "meldformulier zonder categorie": ("/melden?categorie=geen", "Uw melding"),
            "volgpagina (afgesloten)": (world["tracking"], "Melding"),
            "volgpagina (bij de aannemer)": (pothole_tracking, "Melding"),
            "volgpagina van wie meevolgt": (following, "Melding"),
            "feedbackpagina": (f"{feedback.path}?{feedback.query}", "Uw mening over melding"),
            "aannemersportaal": (world["portal"], "Werkopdracht"),
            "pagina niet gevonden": ("/bestaat-niet", "Niet gevonden"),
            "aanmelden voor medewerkers": ("/werk/aanmelden", "Aanmelden"),
        }
        yield SimpleNamespace(app=app, base=base, browser=browser, world=world, pages=pages)


def open_page(site, path: str, viewport: dict | None = None, **context):
    page = site.browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, **context).new_page()
    page.goto(site.base + path)
    settle(page)
    return page


def sent_empty_form(site, viewport: dict | None = None):
    """The report form sent with nothing filled in: the page with its errors."""
    page = open_page(site, FORM, viewport)
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator("#form-errors")).to_be_visible()
    settle(page)
    return page


def test_every_public_page_passes_axe(site):
    found = []
    for what, (path, heading) in site.pages.items():
        page = open_page(site, path)
        assert heading in page.locator("h1").first.inner_text(), what
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
        settle(page)
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


def refuse_anonymous(site, key: str, refused: bool) -> None:
    """Let the category take meldingen without contact data, or not (its setting; default: allowed)."""
    from handlers.categories import forget_categories
    from handlers.models import Category

    with site.app.app_context():
        db.session.scalar(select(Category).where(Category.key == key)).allow_anonymous = not refused
        db.session.commit()
        forget_categories()
        db.session.remove()


def test_errors_are_tied_to_their_fields_and_the_summary_leads_to_them(site):
    # A category that wants an e-mail address or phone number, so the contact fields have an error too.
    refuse_anonymous(site, "straatlamp-defect", True)
    try:
        page = sent_empty_form(site)
    finally:
        refuse_anonymous(site, "straatlamp-defect", False)
    summary = page.locator("#form-errors")
    # The summary has the focus (a screen reader reads it first) and links to each field that needs work.
    assert page.evaluate("document.activeElement.id") == "form-errors"
    links = summary.locator("ul.error-links a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert targets[:2] == ["#address", "#description"] and "#email" in targets, targets

    for field in ("address", "description"):
        element = page.locator(f"#{field}")
        expect(element).to_have_attribute("aria-invalid", "true")
        described = element.get_attribute("aria-describedby").split()
        assert f"error-{field}" in described and f"{field}-hint" in described, described
        message = page.locator(f"#error-{field}").inner_text()
        assert message and summary.get_by_role("link", name=message).count() == 1
    # Neither e-mail nor phone: both are marked, and both name the message that asks for one of them.
    for field in ("email", "phone"):
        element = page.locator(f"#{field}")
        expect(element).to_have_attribute("aria-invalid", "true")
        assert "error-contact" in element.get_attribute("aria-describedby").split()
    # What was right is not marked: the name is optional.
    assert page.locator("#name").get_attribute("aria-invalid") is None
    # A field's accessible description is its hint and its error, as a screen reader reads it.
    description = page.evaluate("""() => document.getElementById('description').getAttribute('aria-describedby')
        .split(' ').map(id => document.getElementById(id).textContent.trim()).join(' | ')""")
    assert "Minstens" in description and page.locator("#error-description").inner_text() in description

    # The keyboard: Tab from the summary to its first link, Enter puts the focus in that field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#address"
    page.keyboard.press("Enter")
    expect(page.locator("#address")).to_be_focused()
    page.keyboard.type("Bruul 12, 2800 Mechelen")
    expect(page.locator("#address")).to_have_value("Bruul 12, 2800 Mechelen")
    # The coordinates' messages open their folded part of the form and lead there too.
    page.goto(site.base + FORM)
    page.locator("summary").filter(has_text="Coördinaten").click()
    page.fill("#lat", "95")
    page.fill("#lon", "4.48")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#lat")).to_have_attribute("aria-invalid", "true")
    page.locator("#form-errors").get_by_role("link").filter(has_text=page.locator("#error-lat").inner_text()).click()
    expect(page.locator("#lat")).to_be_focused()
    page.context.close()


FOCUS_RING = """() => {
    const s = getComputedStyle(document.activeElement);
    return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor};
}"""


def test_the_keyboard_focus_is_visible(site):
    page = open_page(site, FORM)
    seen = {}
    for selector in ("header a", "#change-category", "#address", "#description", "#email", "#send"):
        tab_to(page, selector, max_tabs=60)
        seen[selector] = page.evaluate(FOCUS_RING)
    for selector, ring in seen.items():
        assert ring["style"] == "solid" and ring["width"] >= 2, (selector, ring)
    # White on the blue header, dark blue on the white form.
    assert seen["header a"]["color"] == "rgb(255, 255, 255)"
    assert seen["#address"]["color"] == "rgb(27, 79, 114)"
    # The staff's pages too.
    page.close()
    staff = staff_page(site, "bart.ood")
    staff.goto(f"{site.base}/werk/wachtrij/onderhoud-openbaar-domein")
    tab_to(staff, "main a, main button, main input, main select", max_tabs=60)
    ring = staff.evaluate(FOCUS_RING)
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    staff.context.close()


# What sticks out past the window's right edge (or its left), leaving out the map's own moving layers.
CUT_OFF = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        if (el.closest('.leaflet-map-pane, .leaflet-control-container, [hidden]')) continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
        if (r.right > width + 1 || r.left < -1) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
            + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    return out;
}"""


def sideways(page) -> dict:
    return {"scroll": page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"),
            "cut_off": page.evaluate(CUT_OFF)}


def test_at_200_percent_zoom_nothing_scrolls_sideways_or_is_cut_off(site):
    found = {}
    for what, (path, _heading) in site.pages.items():
        page = open_page(site, path, ZOOMED)
        result = sideways(page)
        if result["scroll"][0] > result["scroll"][1] or result["cut_off"]:
            found[what] = result
        page.context.close()
    page = sent_empty_form(site, ZOOMED)
    result = sideways(page)
    if result["scroll"][0] > result["scroll"][1] or result["cut_off"]:
        found["meldformulier met foutmeldingen"] = result
    page.context.close()
    assert not found, found


def described_by(page, selector: str) -> str:
    """The texts a field's aria-describedby names, as a screen reader reads them after its name."""
    return page.evaluate("""s => (document.querySelector(s).getAttribute('aria-describedby') || '').split(' ')
        .filter(Boolean).map(id => document.getElementById(id).textContent.trim()).join(' | ')""", selector)


def test_the_feedback_and_portal_errors_are_tied_to_their_fields(site):
    path, _heading = site.pages["feedbackpagina"]
    page = open_page(site, path)
    assert described_by(page, "#opmerking").startswith("Maximaal")
    page.get_by_label("Nee, ik ben niet tevreden").check()
    page.get_by_label("Andere reden").check()
    page.get_by_role("button", name="Versturen").click()  # "another reason" without saying which
    expect(page.locator("#error-opmerking")).to_be_visible()
    expect(page.locator("#opmerking")).to_have_attribute("aria-invalid", "true")
    assert "Vertel kort wat er niet goed ging." in described_by(page, "#opmerking")
    assert_no_axe_violations(page, context="feedbackpagina met foutmelding")
    page.context.close()

    path, _heading = site.pages["aannemersportaal"]
    page = open_page(site, path)
    page.locator("#form-done summary").click()
    assert "Maximaal" in described_by(page, "#photos")
    not_a_photo = site.app.config["MELDPUNT_STORAGE_PATH"] + "/../geen-foto.jpg"
    with open(not_a_photo, "w") as f:
        f.write("dit is geen foto")
    page.set_input_files("#photos", not_a_photo)
    page.get_by_role("button", name="Uitgevoerd melden").click()
    expect(page.locator("#form-done .errors")).to_be_visible()
    expect(page.locator("#photos")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#form-done .errors").first.inner_text() in described_by(page, "#photos")
    assert_no_axe_violations(page, context="aannemersportaal met foutmelding")
    page.context.close()
