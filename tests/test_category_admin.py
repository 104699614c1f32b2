"""Categories managed by the admin at /werk/beheer/categorieen: the public search and form follow at once,
a category in use is deactivated (never deleted), staff-only categories, Dutch messages, the log, admin only."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.admin_changes import AdminChange
from handlers.models import Category

from .helpers import Browser, with_password

PAGE = "/werk/beheer/categorieen"
NEW = {"name": "Graffiti op gevels", "parent": "netheid", "synonyms": "graffiti tags bekladding spuitverf",
       "default_group": "openbare-netheid", "deadline_days": "7", "duplicate_days": "", "public": "on",
       "active": "on"}


def admin_browser(app, staff) -> Browser:
    return Browser(app, staff.admin.user.username, with_password(staff.admin.user))


def category(key: str) -> Category:
    db.session.expire_all()
    return db.session.scalar(select(Category).where(Category.key == key))


def offered(client, query: str) -> list[str]:
    """The category keys the public search offers for `query`, best first."""
    html = client.get("/melden", query_string={"zoek": query}).get_data(as_text=True)
    return [k for k in re.findall(r'name="categorie" value="([^"]+)"', html) if k != "geen"]


def browse(client) -> str:
    return client.get("/melden").get_data(as_text=True)


def log(key: str) -> list[AdminChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(AdminChange).where(AdminChange.area == "category",
                                                             AdminChange.subject == key).order_by(AdminChange.id)))


def test_a_new_category_is_found_by_the_public_search_at_once(app, client, staff):
    assert offered(client, "bekladding") == []  # the search has seen the categories before the change
    admin = admin_browser(app, staff)
    response = admin.post(PAGE, NEW)
    assert response.status_code == 302
    created = category("graffiti-op-gevels")  # the key is made from the name
    assert created.parent.key == "netheid" and created.default_group.key == "openbare-netheid"
    assert created.deadline_days == 7 and created.duplicate_days is None and created.public and created.active
    assert offered(client, "bekladding") == ["graffiti-op-gevels"]
    assert offered(client, "spuitverf op de muur")[0] == "graffiti-op-gevels"
    assert "Graffiti op gevels" in browse(client)
    listing = admin.get(PAGE).get_data(as_text=True)
    assert "Graffiti op gevels" in listing and "graffiti-op-gevels" in listing

    [change] = log("graffiti-op-gevels")
    assert change.action == "create" and change.actor == staff.admin.user.username
    assert change.data["new"]["synonyms"] == NEW["synonyms"] and change.data["new"]["deadline_days"] == 7

    # a melding filed through the public form gets the new category's group and deadline
    staff.meldkamer.file_melding(description="Graffiti op de gevel van de school", category="graffiti-op-gevels")
    case = db.session.scalar(select(Case).join(Category).where(Category.key == "graffiti-op-gevels"))
    assert case is not None


def test_renaming_keeps_the_key_and_changes_the_search_and_the_log(app, client, staff):
    admin = admin_browser(app, staff)
    lamp = category("straatlamp-defect")
    response = admin.post(f"{PAGE}/{lamp.id}", {"name": "Straatverlichting defect", "parent": "verlichting",
                                                 "synonyms": lamp.synonyms + " lantaarnpaal",
                                                 "default_group": "onderhoud-openbaar-domein",
                                                 "deadline_days": "4", "duplicate_days": "20", "public": "on",
                                                 "active": "on", "key": "iets-anders"})
    assert response.status_code == 302
    renamed = category("straatlamp-defect")
    assert renamed is not None and renamed.name == "Straatverlichting defect" and renamed.deadline_days == 4
    assert renamed.duplicate_days == 20 and category("iets-anders") is None
    assert offered(client, "lantaarnpaal") == ["straatlamp-defect"]
    assert "Straatverlichting defect" in browse(client) and "Straatlamp kapot" not in browse(client)
    [change] = log("straatlamp-defect")
    assert change.action == "update"
    assert change.data["changed"]["name"] == ["Straatlamp kapot", "Straatverlichting defect"]
    assert change.data["changed"]["deadline_days"] == [5, 4] and change.data["changed"]["duplicate_days"] == [None, 20]
    assert "naam van 'Straatlamp kapot' naar 'Straatverlichting defect'" in change.detail
    assert "naam van 'Straatlamp kapot' naar 'Straatverlichting defect'" in admin.get(
        "/werk/beheer/wijzigingen?onderdeel=category").get_data(as_text=True).replace("&#39;", "'")


def test_a_category_in_use_is_deactivated_not_deleted_and_old_cases_keep_it(app, client, staff):
    old = staff.meldkamer.file_melding(description="Sluikstort aan de glasbol", category="sluikstort")
    admin = admin_browser(app, staff)
    dump = category("sluikstort")
    assert offered(client, "sluikstort") == ["sluikstort"]
    response = admin.post(f"{PAGE}/{dump.id}/verwijderen", {"confirm": "on"}, page=f"{PAGE}/{dump.id}")
    assert response.status_code == 302
    kept = category("sluikstort")
    assert kept is not None and not kept.active
    assert offered(client, "sluikstort") == [] and 'value="sluikstort"' not in browse(client)
    assert client.get("/open311/v2/services/sluikstort.json").status_code == 404
    assert db.session.scalar(select(Case.category_id).where(Case.reference == old["reference"])) == kept.id
    assert "Sluikstort" in admin.get(f"/werk/dossier/{old['reference']}").get_data(as_text=True)
    assert [c.action for c in log("sluikstort")] == ["deactivate"]
    # nor can staff choose it any more at triage (the case that has it keeps it)
    triage = staff.meldkamer.file_melding(description="Nog een sluikstort", category=None)["reference"]
    page = admin.get(f"/werk/dossier/{triage}").get_data(as_text=True)
    assert 'option value="sluikstort"' not in page and 'option value="zwerfvuil"' in page
    refused = staff.meldkamer.complete(triage, "triage", {"decision": "dispatch", "group": "openbare-netheid",
                                                          "category": "sluikstort"}, expect=422)
    assert "category" in refused["fields"]
    # an unused category is deleted
    weeds = category("onkruid")
    assert admin.post(f"{PAGE}/{weeds.id}/verwijderen", {"confirm": "on"},
                      page=f"{PAGE}/{weeds.id}").status_code == 302
    assert category("onkruid") is None and [c.action for c in log("onkruid")] == ["delete"]
    # without the confirmation nothing happens
    bins = category("vuilbak-vol")
    refused = admin.post(f"{PAGE}/{bins.id}/verwijderen", {}, page=f"{PAGE}/{bins.id}")
    assert refused.status_code == 422
    assert "Vink aan dat u de categorie wilt verwijderen" in refused.get_data(as_text=True)
    assert category("vuilbak-vol").active


def test_a_staff_only_category_is_not_offered_to_citizens_but_staff_can_use_it(app, client, staff):
    admin = admin_browser(app, staff)
    waiting = staff.meldkamer.file_melding(category=None)["reference"]
    # the triage form's list was shown before the change (it is cached): the change shows at once all the same
    assert 'option value="interne-controle"' not in admin.get(f"/werk/dossier/{waiting}").get_data(as_text=True)
    assert admin.post(PAGE, NEW | {"name": "Interne controle", "synonyms": "controle nazicht",
                                   "public": ""}).status_code == 302
    assert not category("interne-controle").public
    assert offered(client, "nazicht") == [] and "Interne controle" not in browse(client)
    services = {s["service_code"] for s in client.get("/open311/v2/services.json").get_json()}
    assert "interne-controle" not in services and "sluikstort" in services
    # the citizen cannot pick it by its key either
    assert "Interne controle" not in client.get("/melden?categorie=interne-controle",
                                                follow_redirects=True).get_data(as_text=True)
    page = admin.get(f"/werk/dossier/{waiting}")
    assert 'option value="interne-controle"' in page.get_data(as_text=True)  # staff can choose it at triage
    made = staff.meldkamer.file_melding(description="Nazicht van de bewegwijzering", category="interne-controle")
    assert db.session.scalar(select(Case.category_id).where(Case.reference == made["reference"])) == \
        category("interne-controle").id


def test_bad_input_gets_dutch_messages_and_keeps_what_was_typed(app, staff):
    admin = admin_browser(app, staff)
    from handlers.groups import group_by_key

    group_by_key("vrije-tijd").active = False
    db.session.commit()
    cases = [
        ({"name": ""}, "Geef de categorie een naam."),
        ({"key": "sluikstort"}, "Er bestaat al een categorie met sleutel"),
        ({"name": "Sluikstort"}, "Er bestaat al een categorie met sleutel"),
        # a contact's topic is found by its key among the categories and the general topics alike
        ({"key": "afval"}, "Er bestaat al een onderwerp met sleutel"),
        ({"deadline_days": "0"}, "Geef een geheel getal van 1 tot 365."),
        ({"deadline_days": "1000"}, "Geef een geheel getal van 1 tot 365."),
        ({"deadline_days": "twee"}, "Geef een geheel getal van 1 tot 365."),
        ({"parent": "sluikstort"}, "Een subcategorie kan niet onder een andere subcategorie staan"),
        ({"default_group": "vrije-tijd"}, "is geen actieve behandelaarsgroep"),
    ]
    before = db.session.scalar(select(db.func.count(Category.id)))
    for change, message in cases:
        typed = NEW | {"synonyms": "mijn zorgvuldig getypte zoekwoorden"} | change
        response = admin.post(PAGE, typed)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, change
        assert message in html.replace("&#39;", "'"), (change, html[:3000])
        assert "mijn zorgvuldig getypte zoekwoorden" in html
        if typed["name"]:
            assert f'value="{typed["name"]}"' in html
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(Category.id))) == before
    assert db.session.scalar(select(db.func.count(AdminChange.id)).where(AdminChange.area == "category")) == 0
    # a main category with sub categories cannot become a sub category
    wegen = category("wegen")
    response = admin.post(f"{PAGE}/{wegen.id}", {"name": "Wegen", "parent": "netheid", "deadline_days": "10",
                                                  "active": "on", "public": "on"})
    assert response.status_code == 422 and "kan zelf geen subcategorie worden" in response.get_data(as_text=True)
    assert category("wegen").parent_id is None


def test_only_the_admin_manages_categories(app, staff):
    for actor in (staff.meldkamer, staff.ood_lead):
        browser = Browser(app, actor.user.username, with_password(actor.user))
        assert browser.get(PAGE).status_code == 403
    lamp = category("straatlamp-defect")
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    token = Browser.token(admin_browser(app, staff).get(PAGE))  # any token: the role is refused first
    with app.app_context():
        response = desk.client.post(f"{PAGE}/{lamp.id}", data={"name": "Gekaapt", "csrf_token": token})
    assert response.status_code in (400, 403)
    assert category("straatlamp-defect").name == "Straatlamp kapot" and log("straatlamp-defect") == []


def test_the_api_lists_creates_and_changes_categories_for_the_admin(client, staff):
    listed = staff.admin.get("/api/v1/categories")
    assert listed.status_code == 200
    keys = [c["key"] for c in listed.get_json()]
    assert keys.index("verlichting") < keys.index("straatlamp-defect")
    created = staff.admin.post("/api/v1/categories", json={"name": "Graffiti op gevels", "parent": "netheid",
                                                            "synonyms": "bekladding", "deadline_days": 7,
                                                            "default_group": "openbare-netheid"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["key"] == "graffiti-op-gevels" and created.get_json()["public"] is True
    assert offered(client, "bekladding") == ["graffiti-op-gevels"]
    changed = client.patch("/api/v1/categories/graffiti-op-gevels", json={"public": False}, headers=staff.admin.headers)
    assert changed.status_code == 200 and changed.get_json()["public"] is False
    assert offered(client, "bekladding") == []
    assert [c.action for c in log("graffiti-op-gevels")] == ["create", "update"]

    bad = staff.admin.post("/api/v1/categories", json={"name": "", "deadline_days": 0, "parent": "sluikstort"})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"name", "deadline_days", "parent"}
    assert client.patch("/api/v1/categories/graffiti-op-gevels", json={"key": "x"},
                        headers=staff.admin.headers).get_json()["fields"] == {"key": ["a key never changes"]}
    assert client.patch("/api/v1/categories/bestaat-niet", json={}, headers=staff.admin.headers).status_code == 404
    assert staff.meldkamer.get("/api/v1/categories").status_code == 403
    assert staff.meldkamer.post("/api/v1/categories", json={"name": "X"}).status_code == 403
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/categories"] and "patch" in paths["/api/v1/categories/{key}"]
