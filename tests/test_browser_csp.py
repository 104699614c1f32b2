"""Every public and staff page in real Chromium under the Content-Security-Policy: each page is served with the
policy and Chromium reports no violation (no inline script or style left anywhere), and what moved out of the
pages still works: the stylesheets apply, the post form's suggestion script runs, the 429 page keeps the text."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.contact_models import ContactTopic
from handlers.models import Category, ContractorOrder, HandlerGroup, RoutingRule, User
from handlers.ready_answers import ReadyAnswer
from handlers.seed import seed_demo_routing_rules
from intake.demo import create_demo_cases
from intake.demo_inbox import create_demo_letters, create_demo_mails
from notifications.models import OutboxMessage

from .live_server import chromium, live_app, login
from .test_browser_citizen_flow import complete

# Record violations as the page reports them (an init script is not itself subject to the page's policy).
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at line ' + e.lineNumber));"""
NOT_PAGES = ("application/json", "text/csv", "application/vnd", "application/pdf", "image/")


def demo_world(app) -> dict:
    """The demo data (meldingen in every state, info mails, letters), a contractor order, and what the pages need."""
    with app.app_context():
        seed_demo_routing_rules()
        db.session.commit()
        create_demo_cases()
        create_demo_mails()
        create_demo_letters()
        pothole = db.session.scalar(select(Case).where(Case.description.like("Diepe put%")))
        complete(pothole.reference, "take_in_handling", "bart.ood", {})
        complete(pothole.reference, "handle", "bart.ood", {"action": "order_contractor",
                                                           "contractor": "aannemer-wegenwerken",
                                                           "instructions": "Put dichten aan het kruispunt"})
        answer = ReadyAnswer(title="Bedankt", text_nl="Bedankt voor uw melding.", forms="close question refer answer")
        db.session.add(answer)  # the "Standaardantwoord" select on every task form
        db.session.commit()
        mails = {m.template: m.data for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}
        lamp = db.session.scalar(select(Case).where(Case.description.like("Straatlamp%")))
        world = {
            "portal": urlsplit(mails["aannemer_opdracht"]["portal_url"]).path,
            "feedback": urlsplit(mails["afgesloten"]["feedback_no_url"]),
            "tracking": f"/volg/{lamp.tracking_token}",
            "references": [c.reference for c in db.session.scalars(select(Case).order_by(Case.id))],
            "key": [g.key for g in db.session.scalars(select(HandlerGroup).where(HandlerGroup.kind != "external"))]
            + ["melding"],  # a process key: /werk/beheer/processen/<key>/verplaatsen
            "user_id": [db.session.scalar(select(User.id).where(User.username == "bart.ood"))],
            "group_id": [db.session.scalar(select(HandlerGroup.id).where(HandlerGroup.key == "fietsteam"))],
            "rule_id": [db.session.scalar(select(RoutingRule.id).limit(1))],
            "category_id": [db.session.scalar(select(Category.id).where(Category.key == "sluikstort"))],
            "answer_id": [answer.id],
            "topic_id": [db.session.scalar(select(ContactTopic.id).where(ContactTopic.key == "afval"))],
            "orders": db.session.scalar(select(ContractorOrder.id).limit(1)),
        }
        db.session.remove()
    return world


def staff_urls(app, world: dict) -> list[str]:
    """Every GET page under /werk, its arguments filled from the demo (a new argument fails here on purpose)."""
    values = {"reference": world["references"], "key": world["key"], "user_id": world["user_id"],
              "group_id": world["group_id"], "rule_id": world["rule_id"], "category_id": world["category_id"],
              "answer_id": world["answer_id"], "topic_id": world["topic_id"],
              "template": ["in_behandeling", "afgesloten"], "number": [1]}
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/werk") or "GET" not in rule.methods or rule.endpoint == "staff.case_file":
            continue
        names = sorted(set(rule.arguments) - set(rule.defaults or {}))
        missing = [n for n in names if n not in values]
        if missing:
            pytest.fail(f"{rule.rule}: no demo value for {missing}; add one in {__name__}.staff_urls")
        if not names:
            urls.append(rule.rule)
            continue
        for value in values[names[0]]:
            urls.append(re.sub(r"<[^>]+>", str(value), rule.rule))
    return urls


class Watched:
    """A browser tab that collects every CSP violation and checks every page is served with the policy."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context()
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: "Content Security Policy" in m.text and self.problems.append(
            f"{self.page.url}: console: {m.text}"))

    def check(self, what: str) -> None:
        for violation in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{what}: {violation}")

    def visit(self, path: str) -> bool:
        """Open a page (False when the address is a download or JSON, not a page)."""
        url = self.base + path
        probe = self.context.request.get(url, max_redirects=0)
        if probe.headers.get("content-type", "").startswith(NOT_PAGES):
            return False
        response = self.page.goto(url)
        if "content-security-policy" not in response.headers:
            self.problems.append(f"{path}: served without a Content-Security-Policy ({response.status})")
        self.page.wait_for_load_state("networkidle")
        self.check(path)
        return True


def test_every_page_loads_in_chromium_without_a_csp_violation(tmp_path):
    with live_app(tmp_path) as (app, base), chromium() as browser:
        world = demo_world(app)
        app.config["MELDPUNT_REPORT_RATE"] = "1/600"

        citizen = Watched(browser, base)
        for path in ("/", "/melden", "/melden?zoek=lamp+kapot", "/melden?categorie=straatlamp-defect",
                     world["tracking"], f"{world['feedback'].path}?{world['feedback'].query}", world["portal"],
                     "/bestaat-niet", "/volg/" + "x" * 32, "/opdracht/ongeldig"):
            citizen.visit(path)
        page = citizen.page
        button = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        assert button == "rgb(27, 79, 114)", "public.css did not apply"

        # The report form: refused for errors, sent, then refused for the rate (the text stays).
        citizen.visit("/melden?categorie=straatlamp-defect")
        page.get_by_role("button", name="Melding versturen").click()
        assert page.locator("#form-errors").is_visible()
        page.fill("#address", "Bruul 12, 2800 Mechelen")
        page.fill("#description", "De straatlamp aan paal 12 brandt al een week niet.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert "Bedankt voor uw melding" in page.locator("h1").inner_text()
        citizen.check("confirmation")
        citizen.visit("/melden?categorie=straatlamp-defect")
        page.fill("#address", "Veemarkt 3, 2800 Mechelen")
        page.fill("#description", "Nog een lamp kapot, aan de overkant van de straat.")
        page.fill("#email", "els@voorbeeld.example")
        page.get_by_role("button", name="Melding versturen").click()
        assert "Te veel meldingen" in page.locator("#too-many").inner_text()
        assert page.input_value("#description") == "Nog een lamp kapot, aan de overkant van de straat."
        assert page.input_value("#address") == "Veemarkt 3, 2800 Mechelen"
        citizen.check("the 429 page")

        admin = Watched(browser, base)
        login(admin.page, base, "admin")
        admin.check("login")
        visited = [path for path in staff_urls(app, world) if admin.visit(path)]
        assert len(visited) >= 20, visited
        chart = admin.page.goto(base + "/werk/rapporten")
        assert chart.ok
        admin.check("dashboard")

        onthaal = Watched(browser, base)
        login(onthaal.page, base, "eva.onthaal")
        onthaal.visit("/werk/post/nieuw")
        onthaal.page.fill("#subject", "Het fietspad aan de Dijle ligt vol putten")
        onthaal.page.locator("#suggestion", has_text="Fietsteam").wait_for(timeout=10_000)
        onthaal.check("post suggestion")
        onthaal.visit("/werk/contact")  # the contact page's script searches as the caller is typed
        onthaal.page.fill("#q", "voorbeeld")
        onthaal.page.locator("#results section.person").first.wait_for(timeout=10_000)
        onthaal.page.get_by_label("Overgedragen aan een dienst").check()
        onthaal.page.locator("#group").wait_for(state="visible", timeout=10_000)
        onthaal.check("contact search")

        problems = citizen.problems + admin.problems + onthaal.problems
        assert not problems, "\n".join(problems)
