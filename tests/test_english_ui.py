"""The interface in English: every staff page, the contractor portal and the public pages show no Dutch UI text
once English is chosen (on the user for staff, with the `lang` cookie for visitors).

Domain data stays as it is (group, category and user names, task titles from the BPMN models, descriptions,
timeline texts, routing explanations from handlers/routing.py, role and channel codes): it is collected from the
database and removed from a page before the page is searched for Dutch words."""
from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, WorkItem
from handlers.calendar import CITY_TZ
from handlers.case_kinds import CHANNELS
from handlers.contractor_links import description_for_contractor
from handlers.models import ROLES, Category, ContractorOrder, HandlerGroup, RoutingRule, User
from handlers.routing import describe_conditions, save_rule
from notifications.models import OutboxMessage

from .channels import give_feedback
from .helpers import CSRF, Browser, with_password


class Visitor:
    """A browser without an account; a fresh app context per request, as in production (see Browser)."""

    def __init__(self, app, lang: str | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        if lang:
            self.client.set_cookie("lang", lang)

    def get(self, url: str, **kw):
        with self.app.app_context():
            return self.client.get(url, **kw)

    def post(self, url: str, **kw):
        with self.app.app_context():
            return self.client.post(url, **kw)

# Common Dutch words and phrases of the interface (labels, buttons, headings, and the small words of Dutch
# sentences). None of them is an English word, so none may be left on a page shown in English.
DUTCH_UI = [
    "Opslaan", "Zoeken", "Filteren", "Beslissing", "Interne notitie", "Volgende stap", "Geen", "geen", "Alle",
    "Toewijzen", "Overname", "Opnemen", "Overdragen", "Doorsturen", "Doorverwijzen", "Dubbele melding",
    "Wachtrij", "Beheer", "Gebruikers", "Gebruikersnaam", "Wachtwoord", "Afmelden", "Aanmelden", "Groepen",
    "Routering", "Dossier", "Verloop", "Melder", "melder", "Bijlagen", "Omschrijving", "Categorie", "Locatie",
    "Datum", "Naam", "Acties", "Overzicht", "Voorstel", "voorstel", "Reden", "Aannemer", "aannemer", "Opdracht",
    "Actief", "Rol", "Leeftijd", "dagen", "Te laat", "Sleutel", "Soort", "Leden", "Kanaal", "Volgorde",
    "Voorwaarden", "Trefwoorden", "Gebied", "Verwijderen", "Testen", "Testmelding", "Resultaat", "Uitleg",
    "Groep", "Regel", "regels", "Nieuwe", "Terug", "ja", "nee", "intern", "publiek", "wachtend", "verstuurd",
    "mislukt", "Aangemaakt", "Sjabloon", "Procesfout", "Kanaal", "Wacht op", "Gepland", "Uitgevoerd",
    "Geweigerd", "Weigeren", "Inplannen", "Bekijk", "Besteld", "Herinnering", "Foto", "Opmerking", "Vandaag",
    "Melding", "melding", "Behandeld door", "Verwacht", "Fout", "Niet gevonden", "startpagina", "Anonieme",
    "Contactgegevens", "Notitie", "behandelaarsgroep", "ongewijzigd", "Afsluiten", "Heropenen", "Gesloten",
    "Terugsturen", "Informatie", "Vraag", "Referentie", "Opgeslagen", "opgeslagen", "bewaard", "straat",
    # the small words of a Dutch sentence
    "de", "het", "een", "van", "voor", "naar", "niet", "met", "bij", "aan", "op", "om", "te", "je", "u", "uw",
    "wordt", "zijn", "er", "die", "dat", "en", "ook", "nog", "hier", "alsof", "zo",
]
DUTCH = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, set(DUTCH_UI)), key=len, reverse=True))
                   + r")(?![\w-])")


class _Text(HTMLParser):
    """What a reader sees: text (also of <title> and <option>) and placeholders; no markup, styles or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " | ".join(part.strip() for part in parser.parts if part.strip())


def domain_strings(*extra: str) -> list[str]:
    """Data shown on the pages that is not interface text, longest first."""
    found: set[str | None] = set(ROLES) | set(CHANNELS) | set(extra)
    for g in db.session.scalars(select(HandlerGroup)):
        found |= {g.name, g.key, g.email}
    for c in db.session.scalars(select(Category)):
        found |= {c.name, c.key}
    for u in db.session.scalars(select(User)):
        found |= {u.username, u.display_name, u.email}
    for case in db.session.scalars(select(Case)):
        found |= {case.description, case.address, case.suggestion_reason, case.error, case.channel}
        if case.reporter is not None:
            found |= {case.reporter.name, case.reporter.email, case.reporter.phone}
    for item in db.session.scalars(select(WorkItem)):
        found.add(item.title)
    for e in db.session.scalars(select(CaseEvent)):
        found |= {e.text, e.note, e.actor, (e.data or {}).get("title")}
    for m in db.session.scalars(select(OutboxMessage)):
        found |= {m.recipient, m.template, m.recipient_kind, m.status, m.last_error}
    for r in db.session.scalars(select(RoutingRule)):
        found |= {r.name, r.keywords, r.area_name, describe_conditions(r)}
    for o in db.session.scalars(select(ContractorOrder)):
        found |= {o.instructions, description_for_contractor(o.case)}
    return sorted((s for s in found if isinstance(s, str) and s.strip()), key=len, reverse=True)


def dutch_left_on(html: str, domain: list[str]) -> list[str]:
    text = visible_text(html)
    for value in domain:
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " | ", text)
    return sorted(set(DUTCH.findall(text)))


def routing_explanations(html: str) -> list[str]:
    """The reason and the per-rule explanations of a routing test (worded by handlers/routing.py)."""
    table = html[html.index('id="diagnostics"'):]
    found = re.findall(r'<span id="reason">([^<]*)</span>', html) + re.findall(r"<td>([^<]*)</td></tr>", table)
    return [html_lib.unescape(text) for text in found]


def assert_english(response, domain: list[str], where: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert '<html lang="en">' in html, where
    left = dutch_left_on(html, domain)
    assert not left, f"Dutch left on {where}: {left}\n{visible_text(html)}"
    return html


def portal_path(reference: str) -> str:
    mails = [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "aannemer_opdracht"))
             if m.data.get("reference") == reference]
    return urlsplit(mails[-1].data["portal_url"]).path


def tracking_path(created: dict) -> str:
    return urlsplit(created["tracking_url"]).path


@pytest.fixture
def world(app, staff):
    """Work in every state a staff page shows: triage, take, handle, review, contractor orders, a routing rule."""
    desk, ood = staff.meldkamer, staff.ood
    cases = {"triage": desk.file_melding("Straatlamp brandt niet aan de Bruul")}
    cases["take"] = desk.file_melding("Put in het fietspad")
    desk.complete(cases["take"]["reference"], "triage", {"decision": "dispatch"})
    cases["handle"] = desk.file_melding("Lamp knippert")
    desk.complete(cases["handle"]["reference"], "triage", {"decision": "dispatch"})
    ood.complete(cases["handle"]["reference"], "take_in_handling")
    cases["review"] = desk.file_melding("Lamp nog altijd stuk")
    desk.complete(cases["review"]["reference"], "triage", {"decision": "dispatch"})
    ood.complete(cases["review"]["reference"], "take_in_handling")
    ood.complete(cases["review"]["reference"], "handle", {"action": "close", "public_text": "Lamp vervangen."})
    give_feedback(app, cases["review"]["reference"], False, comment="Nog stuk")
    for name in ("ordered", "planned"):
        cases[name] = desk.file_melding(f"Paal scheef ({name})")
        ref = cases[name]["reference"]
        desk.complete(ref, "triage", {"decision": "dispatch"})
        ood.complete(ref, "take_in_handling")
        ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                     "instructions": "Paal rechtzetten"})
    save_rule(None, {"name": "Verlichting centrum", "group": "beheer-openbaar-domein", "category": "verlichting",
                     "keywords": "lamp", "area_name": "Centrum", "min_lat": "51.02", "max_lat": "51.035",
                     "min_lon": "4.465", "max_lon": "4.495", "active": True})
    db.session.commit()
    return cases


def plan_order(app, path: str, day: str) -> None:
    phone = Visitor(app)
    token = CSRF.search(phone.get(path).get_data(as_text=True)).group(1)
    response = phone.post(path, data={"result": "planned", "planned_for": day, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


@pytest.fixture
def english_admin(app, staff, world):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    assert admin.post("/werk/taal/en", page="/werk/meldkamer").status_code == 302
    return admin


def test_every_staff_page_is_english(app, staff, world, english_admin):
    admin = english_admin
    day = (utcnow().astimezone(CITY_TZ).date() + timedelta(days=3)).isoformat()
    plan_order(app, portal_path(world["planned"]["reference"]), day)
    ood = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == "onderhoud-openbaar-domein"))
    user = staff.ood.user
    rule = db.session.scalar(select(RoutingRule))
    pages = ["/werk/meldkamer", "/werk/meldkamer?te_laat=1&van=niemand", "/werk/wachtrij/onderhoud-openbaar-domein",
             "/werk/meldkamer/aannemers", "/werk/beheer/gebruikers", f"/werk/beheer/gebruikers/{user.id}",
             "/werk/beheer/groepen", f"/werk/beheer/groepen/{ood.id}", "/werk/beheer/routering",
             f"/werk/beheer/routering/{rule.id}", "/werk/beheer/routering/test", "/werk/beheer/uitgaand",
             "/werk/beheer/uitgaand?status=pending", "/werk/bestaat-niet"]
    pages += [f"/werk/dossier/{c['reference']}" for c in world.values()]
    domain = domain_strings()
    for url in pages:
        assert_english(admin.get(url), domain, url)

    # the forms of every kind of waiting work are on the case pages, with their English labels
    forms = "".join(admin.get(f"/werk/dossier/{world[name]['reference']}").get_data(as_text=True)
                    for name in ("triage", "take", "handle", "review"))
    for task in ("triage", "take_in_handling", "handle", "review_reopen"):
        assert f'data-task="{task}"' in forms
    for english in ("Decision", "Next step", "Internal note", "Save", "Assign", "Hand over to another group",
                    "Reopen and handle again", "Dispatch to a handler group"):
        assert english in forms
    queue = admin.get("/werk/meldkamer").get_data(as_text=True)
    assert "Dispatch → Onderhoud openbaar domein" in queue and "Dispatch desk" in queue
    orders = admin.get("/werk/meldkamer/aannemers").get_data(as_text=True)
    assert "Waiting for an answer" in orders and f"Planned for {day}" in orders


def test_routing_test_results_are_english_around_the_explanations(app, staff, world, english_admin):
    admin = english_admin
    samples = [{"sample_description": "De lamp is kapot", "sample_category": "straatlamp-defect",
                "sample_channel": "web", "sample_lat": "51.0279", "sample_lon": "4.4803"},
               {"sample_description": "De lamp is kapot", "sample_category": "straatlamp-defect",
                "sample_channel": "web", "name": "Concept", "position": "1", "group": "fietsteam",
                "keywords": "fietspad", "active": "on"}]
    for sample in samples:
        response = admin.post("/werk/beheer/routering/test", sample, page="/werk/beheer/routering/test")
        explanations = routing_explanations(response.get_data(as_text=True))
        assert len(explanations) == 2 + ("name" in sample)  # the reason, and a line for each rule (and the draft)
        html = assert_english(response, domain_strings("Concept", *explanations), "routing test")
        assert "Result" in html and "Suggestion" in html

    invalid = admin.post("/werk/beheer/routering/test", {"sample_description": "x", "sample_lat": "91",
                                                          "sample_lon": "4"}, page="/werk/beheer/routering/test")
    assert invalid.status_code == 422 and "a latitude lies between -90 and 90" in invalid.get_data(as_text=True)


def test_flash_messages_are_english(app, staff, world, english_admin):
    admin = english_admin
    ref = world["take"]["reference"]
    item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == select(Case.id).where(
        Case.reference == ref).scalar_subquery(), WorkItem.status == "open"))
    response = admin.post(f"/werk/taak/{item.id}/opnemen", page=f"/werk/dossier/{ref}")
    assert response.status_code == 302
    assert "Saved." in admin.get(response.location).get_data(as_text=True)
    saved = admin.post(f"/werk/beheer/gebruikers/{staff.ood.user.id}",
                       {"display_name": "Bart", "role": "behandelaar", "groups": "onderhoud-openbaar-domein",
                        "active": "on"})
    assert saved.status_code == 302
    assert f"User {staff.ood.user.username} saved." in admin.get(saved.location).get_data(as_text=True)


def test_a_user_without_a_group_gets_an_english_start_page(app):
    user = User(username="zonder", display_name="Zonder Groep", role="behandelaar")
    db.session.add(user)
    db.session.commit()
    browser = Browser(app, "zonder", with_password(user))
    browser.post("/werk/taal/en", page="/werk/")
    assert_english(browser.get("/werk/"), domain_strings(), "start page")


def test_public_pages_follow_the_language_cookie(app, staff, world):
    visitor = Visitor(app, "en")
    domain = domain_strings()
    for name in ("review", "handle", "triage"):
        html = assert_english(visitor.get(tracking_path(world[name])), domain, f"tracking page ({name})")
        assert "Status" in html
    closed = desk_closes(staff, world["handle"]["reference"])
    html = assert_english(visitor.get(tracking_path(world["handle"])), domain_strings(), "closed tracking page")
    assert "Closed" in html and closed in html
    assert_english(visitor.get("/"), domain, "start page")
    html = assert_english(visitor.get("/volg/" + "x" * 32), domain, "not found")
    assert "Not found" in html
    assert_english(visitor.get("/werk/aanmelden"), domain, "login page")

    dutch = Visitor(app)  # without the cookie the public pages stay Dutch
    html = dutch.get(tracking_path(world["triage"])).get_data(as_text=True)
    assert '<html lang="nl">' in html and "Verloop" in html and "Ontvangen" in html


def desk_closes(staff, ref: str) -> str:
    text = "Lamp vervangen door de ploeg."
    staff.ood.complete(ref, "handle", {"action": "close", "public_text": text})
    return text


def test_the_contractor_portal_in_english(app, staff, world):
    path = portal_path(world["ordered"]["reference"])
    phone = Visitor(app, "en")
    html = assert_english(phone.get(path), domain_strings(), "portal")
    for english in ("Work order", "Waiting for your answer", "Accept and schedule the order", "Report as done",
                    "Refuse the order", "At most 5 photos"):
        assert english in html
    token = CSRF.search(html).group(1)
    refused = phone.post(path, data={"result": "refused", "note": "", "csrf_token": token})
    assert refused.status_code == 422
    assert "Give the reason why you refuse the order." in refused.get_data(as_text=True)
    day = (utcnow().astimezone(CITY_TZ).date() + timedelta(days=2))
    planned = phone.post(path, data={"result": "planned", "planned_for": day.isoformat(), "csrf_token": token})
    assert planned.status_code == 303
    planned = phone.get(planned.location)
    html = assert_english(planned, domain_strings(), "portal after planning")
    assert "Thank you. The planned date has been passed on to the city." in html
    assert f"Planned for {day.strftime('%d/%m/%Y')}" in html
    assert_english(phone.get("/opdracht/ongeldig"), domain_strings(), "portal with a bad link")


def test_the_public_language_switch_sets_the_cookie_and_returns(app, world):
    visitor = Visitor(app)
    for path in (tracking_path(world["triage"]), "/volg/" + "x" * 32):  # the public layout carries the switch
        html = visitor.get(path).get_data(as_text=True)
        assert 'action="/werk/taal/en"' in html and ">English</button>" in html
    page = visitor.get("/")
    html = page.get_data(as_text=True)
    # The browser sends the referrer to this site (same-origin: not to other sites).
    assert '<html lang="nl">' in html and page.headers.get("Referrer-Policy") in (None, "same-origin")
    switched = visitor.post("/werk/taal/en", data={"csrf_token": CSRF.search(html).group(1)},
                            headers={"Referer": "http://localhost/"})
    assert switched.status_code == 302 and urlsplit(switched.location).path == "/"
    html = visitor.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and 'action="/werk/taal/nl"' in html and ">Nederlands</button>" in html
    assert '<html lang="en">' in visitor.get(tracking_path(world["triage"])).get_data(as_text=True)
