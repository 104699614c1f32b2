"""In Chromium: the process page shows each version's diagram with bpmn-js (the SVG holds the task names), a
refused upload lists its problems and marks the element in the diagram, and "terugzetten" makes an earlier
version the one new cases start on; no CSP violation on the way."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import deploy as deployment
from engine.db import db
from engine.models import ProcessDefinition

from .live_server import chromium, live_app, login
from .test_browser_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHIPPED = (deployment.BPMN_DIR / "melding.bpmn").read_bytes()
CITY = SHIPPED.replace(b'name="Melding beoordelen"', b'name="Melding beoordelen door de stad"')
BROKEN = CITY.replace(b'serviceTaskOperator id="routing.suggest"', b'serviceTaskOperator id="routing.sugest"')


VIOLATIONS: list[str] = []


def csp(page) -> None:
    """Collect the CSP violations the current page reported (the watch starts again on every page)."""
    VIOLATIONS.extend(f"{page.url}: {v}" for v in page.evaluate("window.__csp || []"))


def label(page, element: str) -> str:
    """The text bpmn-js drew for an element (its lines joined, without spaces)."""
    text = page.locator(f"#bpmn-viewer .djs-element[data-element-id='{element}'] text").first.text_content()
    return "".join(text.split())


def test_diagram_problems_marked_and_roll_back_in_chromium(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        page.on("console", lambda m: "Content Security Policy" in m.text and VIOLATIONS.append(m.text))
        login(page, base, "admin")

        page.goto(f"{base}/werk/beheer/processen/melding/versies/1")
        page.wait_for_selector("#bpmn-viewer[data-rendered='true']", timeout=20_000)
        for element, name in (("triage", "Melding beoordelen"), ("take_in_handling", "In behandeling nemen")):
            assert label(page, element) == name.replace(" ", "")
        csp(page)

        # an upload with an unknown service operator: refused, listed, and the element marked in the diagram
        page.goto(f"{base}/werk/beheer/processen")
        broken = tmp_path / "kapot.bpmn"
        broken.write_bytes(BROKEN)
        page.set_input_files("#upload-melding", str(broken))
        page.locator("#process-melding form.process-upload button").click()
        problems = page.locator("#process-problems")
        assert "routing.sugest" in problems.inner_text()
        element = problems.locator("li").first.get_attribute("data-problem-element")
        assert element
        page.wait_for_selector("#bpmn-viewer[data-rendered='true']", timeout=20_000)
        csp(page)
        marked = page.locator(f"#bpmn-viewer .djs-element.bpmn-problem[data-element-id='{element}']")
        assert marked.count() == 1
        with app.app_context():
            assert list(db.session.scalars(select(ProcessDefinition.version).where(
                ProcessDefinition.key == "melding"))) == [1]
            db.session.remove()

        # the city's own model: deployed, its diagram shows the new name
        good = tmp_path / "stad.bpmn"
        good.write_bytes(CITY)
        page.set_input_files("#upload-melding", str(good))
        page.locator("#process-melding form.process-upload button").click()
        assert page.url.endswith("/werk/beheer/processen/melding/versies/2")
        page.wait_for_selector("#bpmn-viewer[data-rendered='true']", timeout=20_000)
        assert label(page, "triage") == "Meldingbeoordelendoordestad"

        # "terugzetten": version 1 is the one in use again
        page.goto(f"{base}/werk/beheer/processen")
        page.locator("#process-melding tr[data-version='1']").get_by_role("button", name="Terugzetten").click()
        assert "Versie 1 van 'melding' is in gebruik" in page.locator(".flash").inner_text()
        page.goto(f"{base}/werk/beheer/processen")
        assert "In gebruik" in page.locator("#process-melding tr[data-version='1']").inner_text()
        assert page.locator("#process-melding tr[data-version='2']").get_by_role(
            "button", name="In gebruik nemen").count() == 1
        with app.app_context():
            assert deployment.active_definition("melding").version == 1
            db.session.remove()

        csp(page)
        assert VIOLATIONS == [], VIOLATIONS
