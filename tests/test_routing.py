"""Routing rules: which group a new melding is suggested for and why, their validation, and the admin pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import Case
from handlers.groups import group_by_key
from handlers.models import Category, RoutingRule
from handlers.routing import (
    NO_GROUP_REASON,
    RoutingSample,
    delete_rule,
    draft_rule,
    evaluate_rules,
    keyword_found,
    save_rule,
)

# Mechelen: the Grote Markt is inside the "Centrum" box, Mechelen-Noord is outside it.
CENTRUM = {"min_lat": 51.020, "max_lat": 51.035, "min_lon": 4.465, "max_lon": 4.495, "area_name": "Centrum"}
GROTE_MARKT = {"address": "Grote Markt 1, 2800 Mechelen", "lat": 51.0279, "lon": 4.4803}
NOORD = {"address": "Leuvensesteenweg 400, 2800 Mechelen", "lat": 51.0450, "lon": 4.4700}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def rule(name: str, group: str, **fields) -> RoutingRule:
    return save_rule(None, {"name": name, "group": group, **fields})


def category(key: str) -> Category:
    return db.session.scalar(select(Category).where(Category.key == key))


def rule_count() -> int:
    return db.session.scalar(select(func.count(RoutingRule.id)))


def suggestion(staff, description: str, category: str | None = "straatlamp-defect", **extra) -> dict:
    ref = staff.meldkamer.file_melding(description, category=category, **extra)["reference"]
    return staff.meldkamer.case(ref)


# --------------------------------------------------------------------------- the suggestion on new meldingen

def test_without_rules_the_category_default_group_is_suggested(staff):
    case = suggestion(staff, "De lamp brandt niet")
    assert case["suggested_group"] == "onderhoud-openbaar-domein"
    assert case["suggestion_reason"] == "Standaardgroep van categorie 'Straatlamp kapot'"
    case = suggestion(staff, "Iets anders", category=None)
    assert case.get("suggested_group") is None
    assert case["suggestion_reason"] == NO_GROUP_REASON


def test_rules_go_in_order_of_position_and_the_first_match_wins(staff):
    rule("Later", "vrije-tijd", keywords="lamp", position=20)
    rule("Eerst", "fietsteam", keywords="lamp", position=10)
    rule("Zelfde plaats, later aangemaakt", "samen-leven", keywords="lamp", position=10)
    case = suggestion(staff, "De lamp brandt niet")
    assert case["suggested_group"] == "fietsteam"
    assert case["suggestion_reason"] == "Regel 10 'Eerst': trefwoord 'lamp'"


def test_a_keyword_rule_beats_the_category_default_group(staff):
    rule("Fietspaden", "fietsteam", keywords="fietspad, fietsenstalling")
    case = suggestion(staff, "De LAMP aan het Fietspad langs de Dijle is kapot")
    assert case["suggested_group"] == "fietsteam"
    assert "trefwoord 'fietspad'" in case["suggestion_reason"]
    assert suggestion(staff, "De lamp brandt niet")["suggested_group"] == "onderhoud-openbaar-domein"


def test_keywords_match_whole_words_with_plural_and_diminutive(app):
    assert keyword_found("lamp", "De lamp is kapot.")
    assert keyword_found("lamp", "Twee lampen en een lampje")
    assert keyword_found("Lamp", "LAMP!")
    assert not keyword_found("lamp", "De straatlamp is kapot")
    assert not keyword_found("put", "computer")
    assert keyword_found("fiets*", "De fietsenstalling is vol")
    assert keyword_found("losse tegel", "Een losse   tegel in het voetpad")
    assert keyword_found("cafe", "Terras van het café")


def test_an_area_rule_only_takes_cases_inside_its_box(staff):
    rule("Verlichting centrum", "beheer-openbaar-domein", category="verlichting", **CENTRUM)
    inside = suggestion(staff, "Lamp kapot", location=GROTE_MARKT)
    assert inside["suggested_group"] == "beheer-openbaar-domein"
    assert inside["suggestion_reason"] == ("Regel 10 'Verlichting centrum': categorie Openbare verlichting, "
                                           "in gebied Centrum")
    outside = suggestion(staff, "Lamp kapot", location=NOORD)
    assert outside["suggested_group"] == "onderhoud-openbaar-domein"
    no_coordinates = suggestion(staff, "Lamp kapot", location={"address": "Aan de kerk"})  # no point found for it
    assert no_coordinates["suggested_group"] == "onderhoud-openbaar-domein"
    known = suggestion(staff, "Lamp kapot")  # "Bruul 12, 2800 Mechelen": the geocoder gives its point, in the centre
    assert known["suggested_group"] == "beheer-openbaar-domein"


def test_the_reason_lists_every_condition_that_matched(staff):
    rule("Verlichting centrum", "beheer-openbaar-domein", position=3, category="verlichting",
         keywords="paal, lamp", **CENTRUM)
    case = suggestion(staff, "De lamp aan de kerk is stuk", location=GROTE_MARKT)
    assert case["suggestion_reason"] == ("Regel 3 'Verlichting centrum': categorie Openbare verlichting, "
                                         "trefwoord 'lamp', in gebied Centrum")


def test_a_main_category_rule_matches_its_sub_categories_but_not_others(staff):
    rule("Alle netheid", "vrije-tijd", category="netheid")
    assert suggestion(staff, "Matras gedumpt", category="sluikstort")["suggested_group"] == "vrije-tijd"
    assert suggestion(staff, "Vuilbak vol", category="vuilbak-vol")["suggested_group"] == "vrije-tijd"
    assert suggestion(staff, "Lamp kapot")["suggested_group"] == "onderhoud-openbaar-domein"


def test_the_channel_condition(staff):
    rule("Via de app", "fietsteam", channel="app")
    assert suggestion(staff, "Lamp kapot")["suggested_group"] == "onderhoud-openbaar-domein"  # telefoon
    case = suggestion(staff, "Lamp kapot", channel="app")
    assert case["suggested_group"] == "fietsteam"
    assert case["suggestion_reason"] == "Regel 10 'Via de app': kanaal app"


def test_an_inactive_rule_is_ignored(staff):
    rule("Uitgezet", "fietsteam", keywords="lamp", active=False)
    case = suggestion(staff, "Lamp kapot")
    assert case["suggested_group"] == "onderhoud-openbaar-domein"


def test_a_rule_whose_group_became_inactive_is_skipped(staff):
    rule("Naar vrije tijd", "vrije-tijd", keywords="lamp", position=1)
    rule("Naar fietsteam", "fietsteam", keywords="lamp", position=2)
    group_by_key("vrije-tijd").active = False
    db.session.commit()
    case = suggestion(staff, "Lamp kapot")
    assert case["suggested_group"] == "fietsteam"
    assert case["suggestion_reason"].startswith("Regel 2 'Naar fietsteam'")


def test_the_case_timeline_notes_which_rule_matched_and_why(staff):
    saved = rule("Fietspaden", "fietsteam", keywords="fietspad")
    case = suggestion(staff, "Gat in het fietspad")
    assert saved.position == 10
    events = [e for e in case["timeline"] if e["kind"] == "suggested"]
    assert len(events) == 1 and not events[0]["public"]
    assert events[0]["note"] == case["suggestion_reason"] == "Regel 10 'Fietspaden': trefwoord 'fietspad'"
    row = db.session.scalar(select(Case).where(Case.reference == case["reference"]))
    assert row.suggested_group.key == "fietsteam"


# ------------------------------------------------------------------------------- evaluate_rules (pure)

def test_evaluate_rules_explains_each_rule_and_writes_nothing(app):
    rule("Uit", "fietsteam", keywords="lamp", active=False, position=1)
    rule("Kanaal", "fietsteam", channel="app", position=2)
    rule("Trefwoord", "fietsteam", keywords="paal", position=3)
    rule("Gebied", "fietsteam", position=4, **CENTRUM)
    rule("Categorie", "fietsteam", category="netheid", position=5)
    rule("Raak", "vrije-tijd", keywords="lamp", position=6)
    rule("Ook raak", "samen-leven", keywords="lamp", position=7)
    before = rule_count()
    sample = RoutingSample(description="De lamp is kapot", category=category("straatlamp-defect"), channel="web")
    decision = evaluate_rules(sample, db.session.scalars(select(RoutingRule)).all())
    assert decision.group.key == "vrije-tijd" and decision.rule.name == "Raak" and decision.source == "rule"
    assert decision.reason == "Regel 6 'Raak': trefwoord 'lamp'"
    details = {c.rule.name: (c.matched, c.chosen, c.detail) for c in decision.checks}
    assert [c.rule.name for c in decision.checks] == ["Uit", "Kanaal", "Trefwoord", "Gebied", "Categorie", "Raak",
                                                       "Ook raak"]
    assert details["Uit"] == (False, False, "regel staat uit")
    assert details["Kanaal"][2] == "kanaal: de melding kwam via 'web', de regel vraagt 'app'"
    assert details["Trefwoord"][2] == "trefwoord: geen van 'paal' komt voor in de omschrijving"
    assert details["Gebied"][2].startswith("gebied: de melding heeft geen coördinaten")
    assert details["Categorie"][2] == "categorie: de melding heeft 'Straatlamp kapot', de regel vraagt 'Netheid'"
    assert details["Raak"][:2] == (True, True)
    assert details["Ook raak"][0] is True and details["Ook raak"][1] is False
    assert "komt eerst" in details["Ook raak"][2]
    assert rule_count() == before and not db.session.new and not db.session.dirty


def test_evaluate_rules_falls_back_to_category_then_to_the_meldkamer(app):
    lamp = category("straatlamp-defect")
    decision = evaluate_rules(RoutingSample(description="x", category=lamp, channel="web"), [])
    assert decision.group.key == "onderhoud-openbaar-domein" and decision.rule is None
    assert decision.reason == "Standaardgroep van categorie 'Straatlamp kapot'"
    decision = evaluate_rules(RoutingSample(description="x"), [])
    assert decision.group is None and decision.reason == NO_GROUP_REASON
    decision = evaluate_rules(RoutingSample(description="x", category=category("verlichting")), [])
    assert decision.group is None and decision.reason == NO_GROUP_REASON  # a main category has no default group


def test_a_draft_rule_takes_the_place_of_the_saved_one_without_being_saved(app):
    saved = rule("Lampen", "fietsteam", keywords="lamp")
    draft = draft_rule(saved, {"name": "Lampen", "group": "vrije-tijd", "keywords": "lamp", "position": "10"})
    assert draft.id == saved.id and draft not in db.session
    sample = RoutingSample(description="lamp kapot", channel="web")
    decision = evaluate_rules(sample, [draft], drafts=[draft])
    assert decision.group.key == "vrije-tijd" and decision.checks[0].draft
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(RoutingRule, saved.id).group.key == "fietsteam" and rule_count() == 1


# ----------------------------------------------------------------------------------------- validation

def errors_of(fields: dict, existing: RoutingRule | None = None) -> dict:
    with pytest.raises(InvalidInput) as caught:
        save_rule(existing, fields)
    db.session.rollback()
    return caught.value.fields


def test_save_rule_needs_a_name_and_an_active_internal_group(app):
    errors = errors_of({"name": "  ", "group": ""})
    assert errors["name"] == ["vul een naam in"] and errors["group"] == ["kies een behandelaarsgroep"]
    assert "group" in errors_of({"name": "x", "group": "bestaat-niet"})
    assert "group" in errors_of({"name": "x", "group": "meldkamer"})  # the desk
    assert "group" in errors_of({"name": "x", "group": "aannemer-verlichting"})  # a contractor
    group_by_key("vrije-tijd").active = False
    db.session.commit()
    assert "group" in errors_of({"name": "x", "group": "vrije-tijd"})
    assert rule_count() == 0


def test_save_rule_checks_the_area(app):
    errors = errors_of({"name": "x", "group": "fietsteam", "min_lat": "51.02", "max_lat": "51.03"})
    assert set(errors) == {"min_lon", "max_lon"}
    errors = errors_of({"name": "x", "group": "fietsteam", "min_lat": "51.03", "max_lat": "51.02",
                        "min_lon": "4.4", "max_lon": "4.4"})
    assert set(errors) == {"max_lat", "max_lon"}
    errors = errors_of({"name": "x", "group": "fietsteam", "min_lat": "-91", "max_lat": "51",
                        "min_lon": "4", "max_lon": "181"})
    assert errors["min_lat"] == ["een breedtegraad ligt tussen -90 en 90"]
    assert errors["max_lon"] == ["een lengtegraad ligt tussen -180 en 180"]
    assert "min_lat" in errors_of({"name": "x", "group": "fietsteam", "min_lat": "noord", "max_lat": "51",
                                   "min_lon": "4", "max_lon": "5"})
    assert "area_name" in errors_of({"name": "x", "group": "fietsteam", "area_name": "Centrum"})
    saved = save_rule(None, {"name": "x", "group": "fietsteam", "min_lat": "51,02", "max_lat": "51,035",
                             "min_lon": 4.465, "max_lon": 4.495, "area_name": " Centrum "})
    assert (saved.min_lat, saved.max_lat, saved.min_lon, saved.max_lon) == (51.02, 51.035, 4.465, 4.495)
    assert saved.area_name == "Centrum"


def test_save_rule_checks_position_channel_category_and_trims_keywords(app):
    assert errors_of({"name": "x", "group": "fietsteam", "position": "-1"})["position"]
    assert errors_of({"name": "x", "group": "fietsteam", "position": "tien"})["position"]
    assert errors_of({"name": "x", "group": "fietsteam", "channel": "duif"})["channel"]
    assert errors_of({"name": "x", "group": "fietsteam", "category": "onbekend"})["category"]
    saved = save_rule(None, {"name": "  Lampen ", "group": "fietsteam", "keywords": "  lamp ,  paal,, Lamp ,",
                             "position": "0", "category": "verlichting", "channel": "app"})
    assert (saved.name, saved.keywords, saved.position) == ("Lampen", "lamp, paal", 0)
    assert saved.category.key == "verlichting" and saved.channel == "app" and saved.active
    second = save_rule(None, {"name": "Zonder plaats", "group": "fietsteam"})
    assert second.position == 10  # after the highest position
    edited = save_rule(saved, {"name": "Lampen", "group": "vrije-tijd", "keywords": "", "active": False})
    assert edited.id == saved.id and edited.keywords is None and not edited.active
    assert edited.position == 0 and edited.group.key == "vrije-tijd" and edited.category is None


def test_delete_rule(app):
    saved = rule("Weg", "fietsteam")
    assert delete_rule(saved.id) == "Weg"
    assert rule_count() == 0
    with pytest.raises(NotFound):
        delete_rule(saved.id)


# ------------------------------------------------------------------------------------------ admin pages

class WebUser:
    """A staff member using the web pages; every request gets its own app context, as in production
    (the test's context would otherwise share `g`, with Flask-WTF's cached CSRF token, between requests)."""

    def __init__(self, app, user, password: str = "correct-horse-battery") -> None:
        user.password_hash = generate_password_hash(password)
        db.session.commit()
        self.app, self.client = app, app.test_client()
        page = self.get("/werk/aanmelden")
        response = self.post("/werk/aanmelden", {"username": user.username, "password": password,
                                                 "csrf_token": token(page)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def get(self, url: str):
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url: str, data: dict):
        with self.app.app_context():
            return self.client.post(url, data=data)


def log_in(app, user) -> WebUser:
    return WebUser(app, user)


def token(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


@pytest.fixture
def admin(app, staff):
    return log_in(app, staff.admin.user)


def test_admin_creates_a_rule_and_sees_it_listed(admin):
    page = admin.get("/werk/beheer/routering")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Routering" in html and 'name="csrf_token"' in html
    response = admin.post("/werk/beheer/routering", {
        "csrf_token": token(page), "name": "Verlichting centrum", "position": "5",
        "group": "beheer-openbaar-domein",
        "category": "verlichting", "channel": "", "keywords": "lamp, paal", "area_name": "Centrum",
        "min_lat": "51.020", "max_lat": "51.035", "min_lon": "4.465", "max_lon": "4.495", "active": "on"})
    assert response.status_code == 302
    saved = db.session.scalar(select(RoutingRule))
    assert saved.name == "Verlichting centrum" and saved.group.key == "beheer-openbaar-domein"
    listing = admin.get("/werk/beheer/routering").get_data(as_text=True)
    assert "Regel &#39;Verlichting centrum&#39; bewaard." in listing  # the flash message
    table = listing[listing.index('id="rules"'):]
    assert "Verlichting centrum" in table and "categorie Openbare verlichting" in table and "Centrum" in table
    edit = admin.get(f"/werk/beheer/routering/{saved.id}").get_data(as_text=True)
    assert 'value="lamp, paal"' in edit and 'value="51.02"' in edit


def test_admin_form_errors_are_shown_with_what_was_typed(admin):
    page = admin.get("/werk/beheer/routering")
    response = admin.post("/werk/beheer/routering", {
        "csrf_token": token(page), "name": "", "group": "meldkamer", "keywords": "mijn trefwoord",
        "min_lat": "51.02", "active": "on"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "vul een naam in" in html and "vul alle vier de grenzen" in html
    assert 'value="mijn trefwoord"' in html and 'value="51.02"' in html
    assert rule_count() == 0


def test_admin_edits_and_deletes_a_rule(admin):
    saved = rule("Oud", "fietsteam", keywords="fiets")
    page = admin.get(f"/werk/beheer/routering/{saved.id}")
    response = admin.post(f"/werk/beheer/routering/{saved.id}", {
        "csrf_token": token(page), "name": "Nieuw", "position": "7", "group": "vrije-tijd", "keywords": "fiets"})
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(RoutingRule, saved.id)
    assert (edited.name, edited.position, edited.group.key, edited.active) == ("Nieuw", 7, "vrije-tijd", False)
    response = admin.post(f"/werk/beheer/routering/{saved.id}/verwijderen", {"csrf_token": token(page)})
    assert response.status_code == 302 and rule_count() == 0
    assert admin.post(f"/werk/beheer/routering/{saved.id}/verwijderen",
                      {"csrf_token": token(page)}).status_code == 404


def test_the_test_page_shows_the_matching_rule_without_saving_anything(admin):
    rule("Uitgezet", "fietsteam", keywords="lamp", position=1, active=False)
    rule("Verlichting centrum", "beheer-openbaar-domein", position=3, category="verlichting", keywords="lamp",
         **CENTRUM)
    page = admin.get("/werk/beheer/routering/test")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="sample_description"' in html and 'name="sample_channel"' in html
    rules, cases = rule_count(), db.session.scalar(select(func.count(Case.id)))
    response = admin.post("/werk/beheer/routering/test", {
        "csrf_token": token(page), "sample_description": "De lamp is kapot", "sample_category": "straatlamp-defect",
        "sample_channel": "web", "sample_lat": "51,0279", "sample_lon": "4.4803"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    reason = re.search(r'id="reason">([^<]*)<', html).group(1)
    assert reason == ("Regel 3 &#39;Verlichting centrum&#39;: categorie Openbare verlichting, "
                      "trefwoord &#39;lamp&#39;, in gebied Centrum")
    assert "Beheer openbaar domein" in html and "regel staat uit" in html
    assert 'value="De lamp is kapot"' not in html and "De lamp is kapot</textarea>" in html  # the sample stays
    assert rule_count() == rules and db.session.scalar(select(func.count(Case.id))) == cases

    outside = admin.post("/werk/beheer/routering/test", {
        "csrf_token": token(page), "sample_description": "De lamp is kapot", "sample_category": "straatlamp-defect",
        "sample_channel": "web"}).get_data(as_text=True)
    assert "Standaardgroep van categorie &#39;Straatlamp kapot&#39;" in outside
    assert "gebied: de melding heeft geen coördinaten" in outside


def test_testing_a_draft_rule_from_the_edit_form_includes_it_at_its_position(admin):
    saved = rule("Verlichting", "onderhoud-openbaar-domein", position=20, keywords="lamp")
    page = admin.get("/werk/beheer/routering")
    assert "Test deze regel" in page.get_data(as_text=True)
    response = admin.post("/werk/beheer/routering/test", {
        "csrf_token": token(page), "name": "Concept fietspad", "position": "5", "group": "fietsteam",
        "keywords": "fietspad", "active": "on", "sample_description": "De lamp aan het fietspad is kapot",
        "sample_category": "", "sample_channel": "app"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="reason">([^<]*)<', html).group(1) == ("Regel 5 &#39;Concept fietspad&#39;: "
                                                                  "trefwoord &#39;fietspad&#39;")
    assert "concept" in html and 'value="Concept fietspad"' in html  # the draft can be changed and saved
    assert rule_count() == 1 and db.session.scalar(select(RoutingRule.name)) == "Verlichting"

    # editing the saved rule: the draft replaces it (same id) instead of being added
    edit = admin.post("/werk/beheer/routering/test", {
        "csrf_token": token(page), "rule_id": str(saved.id), "name": "Verlichting", "position": "20",
        "group": "vrije-tijd", "keywords": "lamp", "active": "on", "sample_description": "lamp kapot",
        "sample_channel": "web"}).get_data(as_text=True)
    assert "Regel 20 &#39;Verlichting&#39;: trefwoord &#39;lamp&#39;" in edit and "Vrije tijd" in edit
    assert edit.count("<td>Verlichting") == 1
    db.session.expire_all()
    assert db.session.get(RoutingRule, saved.id).group.key == "onderhoud-openbaar-domein"

    invalid = admin.post("/werk/beheer/routering/test", {
        "csrf_token": token(page), "name": "", "group": "", "keywords": "fietspad", "sample_description": "x",
        "sample_channel": "web", "sample_lat": "51"})
    assert invalid.status_code == 422
    text = invalid.get_data(as_text=True)
    assert "vul een naam in" in text and "geef breedte- en lengtegraad allebei" in text
    assert rule_count() == 1


def test_the_admin_nav_links_to_routing(admin):
    html = admin.get("/werk/beheer/groepen").get_data(as_text=True)
    assert "/werk/beheer/routering" in html


def test_a_meldkamer_user_may_not_open_the_routing_pages(app, staff):
    desk = log_in(app, staff.meldkamer.user)
    saved = rule("Iets", "fietsteam", keywords="lamp")
    assert desk.get("/werk/beheer/routering").status_code == 403
    assert desk.get(f"/werk/beheer/routering/{saved.id}").status_code == 403
    assert desk.get("/werk/beheer/routering/test").status_code == 403
    csrf = token(desk.get("/werk/meldkamer"))
    assert desk.post("/werk/beheer/routering", {"csrf_token": csrf, "name": "x",
                                                    "group": "fietsteam"}).status_code == 403
    assert desk.post("/werk/beheer/routering/test", {"csrf_token": csrf, "sample_description": "lamp",
                                                         "sample_channel": "web"}).status_code == 403
    assert desk.post(f"/werk/beheer/routering/{saved.id}/verwijderen", {"csrf_token": csrf}).status_code == 403
    assert rule_count() == 1


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/werk/beheer/routering")
    assert response.status_code == 302 and "/werk/aanmelden" in response.headers["Location"]



def test_the_demo_rules_seed_once_and_route_as_described(app):
    from handlers.seed import seed_demo_routing_rules

    seed_demo_routing_rules()
    seed_demo_routing_rules()
    db.session.commit()
    rules = db.session.scalars(select(RoutingRule)).all()
    assert rule_count() == 4
    for saved in rules:  # every demo rule passes the same validation as the admin form
        draft_rule(saved, {"name": saved.name, "position": saved.position, "group": saved.group,
                           "category": saved.category, "channel": saved.channel, "keywords": saved.keywords,
                           "area_name": saved.area_name, "min_lat": saved.min_lat, "max_lat": saved.max_lat,
                           "min_lon": saved.min_lon, "max_lon": saved.max_lon})
    sample = RoutingSample(description="De fietsenstalling aan het station is vol", channel="web")
    assert evaluate_rules(sample, rules).group.key == "fietsteam"
    tree = RoutingSample(description="Tak hangt af", category=category("boom-gevaarlijk"), channel="web",
                         lat=GROTE_MARKT["lat"], lon=GROTE_MARKT["lon"])
    assert evaluate_rules(tree, rules).reason == ("Regel 30 'Groen binnen de ring': categorie Groen en bomen, "
                                                  "in gebied Centrum")
