"""The map view of the meldkamer queue and the group queues: its JSON (kaart.json) holds the same page of the
same filtered list as the list page, scoped like the list, with items without a point as "geen locatie"."""
from __future__ import annotations

import re

import pytest

from engine.db import db
from handlers.models import User
from intake.meldingen import register_melding

from .helpers import Browser, with_password

ROW = re.compile(r'<tr data-reference="([^"]+)"')
MAP_ROW = re.compile(r'<li data-reference="([^"]+)"')
# Points in the centre of Mechelen (inside the demo boundary).
CENTRE = (51.0257, 4.4776)


def _melding(n: int, category: str = "straatlamp-defect", point: bool = True, address: str | None = None) -> str:
    location = {"address": address or f"Bruul {n}, 2800 Mechelen"}
    if point:
        location.update(lat=CENTRE[0] + n * 0.0004, lon=CENTRE[1] + n * 0.0003)
    case = register_melding(description=f"Geheime omschrijving {n} van de melder", channel="telefoon",
                            category=category, location=location,
                            reporter={"name": f"Vertrouwelijke Naam {n}", "email": f"melder{n}@voorbeeld.example"})
    return case.reference


def _browser(app, actor_user: User) -> Browser:
    return Browser(app, actor_user.username, with_password(actor_user))


def _analyst(app) -> User:
    user = User(username="rita", display_name="Rita Rapport", role="rapportage", email="rita@stad.example")
    db.session.add(user)
    db.session.commit()
    return user


def _json_refs(browser: Browser, url: str) -> list[str]:
    response = browser.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [item["reference"] for item in response.get_json()["items"]]


def _list_refs(browser: Browser, url: str) -> list[str]:
    response = browser.get(url)
    assert response.status_code == 200
    return ROW.findall(response.get_data(as_text=True))


def test_meldkamer_map_json_holds_the_same_page_as_the_list_for_the_same_filters(app, staff):
    refs = [_melding(n) for n in range(1, 28)]  # 27 cases: a second page at 25 a page
    lamp_free = _melding(40, category="sluikstort", address="Vismarkt 3, 2800 Mechelen")
    desk = _browser(app, staff.meldkamer.user)

    first = _list_refs(desk, "/werk/meldkamer")
    assert len(first) == 25 and first[0] == lamp_free  # newest first
    assert _json_refs(desk, "/werk/meldkamer/kaart.json") == first
    body = desk.get("/werk/meldkamer/kaart.json").get_json()
    assert body["next_cursor"] is not None
    second_url = f"na={body['next_cursor']}"
    second = _list_refs(desk, f"/werk/meldkamer?{second_url}")
    assert second == _json_refs(desk, f"/werk/meldkamer/kaart.json?{second_url}")
    assert set(first + second) == set(refs + [lamp_free])

    for query in ("categorie=netheid", "categorie=verlichting", "q=Vismarkt", f"q={refs[3]}", "te_laat=1",
                  "van=niemand", "categorie=verlichting&q=Bruul"):
        listed = _list_refs(desk, f"/werk/meldkamer?{query}")
        assert _json_refs(desk, f"/werk/meldkamer/kaart.json?{query}") == listed, query
    assert _json_refs(desk, "/werk/meldkamer/kaart.json?categorie=netheid") == [lamp_free]
    assert _json_refs(desk, f"/werk/meldkamer/kaart.json?q={refs[3]}") == [refs[3]]

    item = body["items"][0]
    assert item["reference"] == lamp_free and item["category"] == "Sluikstort"
    assert item["url"] == f"/werk/dossier/{lamp_free}" and item["status"] == "ontvangen"
    assert item["status_label"] and item["task"] == "Melding beoordelen"
    assert abs(item["lat"] - (CENTRE[0] + 40 * 0.0004)) < 1e-9 and abs(item["lon"] - (CENTRE[1] + 40 * 0.0003)) < 1e-9


def test_items_without_a_point_are_listed_with_geen_locatie(app, staff):
    located = _melding(1)
    nowhere = _melding(2, point=False, address="ergens aan de vaart")
    desk = _browser(app, staff.meldkamer.user)
    body = desk.get("/werk/meldkamer/kaart.json").get_json()
    items = {item["reference"]: item for item in body["items"]}
    assert items[nowhere]["lat"] is None and items[nowhere]["lon"] is None
    assert items[nowhere]["address"] == "ergens aan de vaart"
    assert items[located]["lat"] is not None and body["without_location"] == 1

    page = desk.get("/werk/meldkamer?weergave=kaart").get_data(as_text=True)
    assert MAP_ROW.findall(page) == [nowhere, located]
    row = page[page.index(f'<li data-reference="{nowhere}"'):]
    row = row[:row.index("</li>")]
    assert "geen locatie" in row and "ergens aan de vaart" in row
    located_row = page[page.index(f'<li data-reference="{located}"'):]
    assert "geen locatie" not in located_row[:located_row.index("</li>")]


def test_the_map_view_page_keeps_the_filters_and_loads_its_assets_from_files(app, staff):
    _melding(1)
    desk = _browser(app, staff.meldkamer.user)
    listing = desk.get("/werk/meldkamer?categorie=verlichting").get_data(as_text=True)
    assert 'href="?categorie=verlichting&amp;weergave=kaart"' in listing and 'id="queue-map"' not in listing
    assert "markercluster" not in listing  # the list view loads no map

    page = desk.get("/werk/meldkamer?categorie=verlichting&weergave=kaart").get_data(as_text=True)
    assert 'data-source="/werk/meldkamer/kaart.json?categorie=verlichting"' in page
    assert 'href="?categorie=verlichting">Lijst</a>' in page
    assert '<input type="hidden" name="weergave" value="kaart">' in page  # filtering stays on the map
    head = page[:page.index("</head>")]
    order = [head.index(asset) for asset in ("vendor/leaflet/leaflet.js", "MarkerCluster.css",
                                             "MarkerCluster.Default.css", "leaflet.markercluster.js", "queue_map.js")]
    assert order == sorted(order)
    assert "<script>" not in page and "style=" not in page
    assert desk.get("/static/queue_map.js").status_code == 200
    assert desk.get("/static/vendor/leaflet.markercluster/leaflet.markercluster.js").status_code == 200


def test_a_group_map_is_scoped_like_its_list(app, staff):
    lamp = _melding(1)  # straatlamp-defect: onderhoud-openbaar-domein
    litter = _melding(2, category="sluikstort")  # openbare-netheid
    staff.meldkamer.complete(lamp, "triage", {"decision": "dispatch"})
    staff.meldkamer.complete(litter, "triage", {"decision": "dispatch"})
    ood_url = "/werk/wachtrij/onderhoud-openbaar-domein"

    bart = _browser(app, staff.ood.user)
    assert _json_refs(bart, f"{ood_url}/kaart.json") == _list_refs(bart, ood_url) == [lamp]
    assert bart.get("/werk/wachtrij/openbare-netheid/kaart.json").status_code == 403
    assert bart.get("/werk/meldkamer/kaart.json").status_code == 403  # the meldkamer's desk is not his
    assert bart.get("/werk/wachtrij/bestaat-niet/kaart.json").status_code == 404
    assert bart.get("/werk/wachtrij/aannemer-verlichting/kaart.json").status_code == 404  # an external group

    dina = _browser(app, staff.netheid.user)
    assert _json_refs(dina, "/werk/wachtrij/openbare-netheid/kaart.json") == [litter]
    assert dina.get(f"{ood_url}/kaart.json").status_code == 403

    # The rapportage role sees every queue as a list without the reporter's name or text: the map the same.
    rita = _browser(app, _analyst(app))
    response = rita.get(f"{ood_url}/kaart.json")
    assert response.status_code == 200 and [i["reference"] for i in response.get_json()["items"]] == [lamp]
    text = response.get_data(as_text=True)
    assert "Geheime omschrijving" not in text and "Vertrouwelijke Naam" not in text and "melder1@" not in text
    page = rita.get(f"{ood_url}?weergave=kaart").get_data(as_text=True)
    assert "Geheime omschrijving" not in page and "Vertrouwelijke Naam" not in page
    assert rita.get("/werk/meldkamer/kaart.json").status_code == 403

    assert app.test_client().get(f"{ood_url}/kaart.json").status_code in (302, 401)  # not logged in


@pytest.mark.parametrize("query", ["na=abc", "na=-5", "na=99999999999999999999999", "categorie=bestaat-niet",
                                   "te_laat=ja", "van=iedereen", "taak=%00", "q=" + "x" * 5000,
                                   "categorie=%27%3B--", "weergave=kaart&na=1.5"])
def test_bad_filters_never_give_a_500(app, staff, query):
    _melding(1)
    desk = _browser(app, staff.meldkamer.user)
    for url in (f"/werk/meldkamer/kaart.json?{query}", f"/werk/meldkamer?weergave=kaart&{query}",
                f"/werk/wachtrij/onderhoud-openbaar-domein/kaart.json?{query}"):
        response = desk.get(url)
        assert response.status_code in (200, 400), (url, response.status_code)
        if url.split("?")[0].endswith(".json") and (response.status_code == 200 or "na=" in query):
            body = response.get_json()
            assert body is not None, url  # JSON, also for a bad cursor (a NUL byte is refused before, as a page)
            if response.status_code == 400:
                assert list(body["fields"]) == ["na"] and body["message"]
            else:
                assert isinstance(body["items"], list)


def _statements_for(browser: Browser, url: str) -> tuple[int, list[str]]:
    """How many SQL statements one request runs, and which (session and permission reads included)."""
    from sqlalchemy import event

    statements: list[str] = []

    def listener(*args) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = browser.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(response.get_json()["items"]), statements


def test_the_map_json_reads_a_page_in_the_same_few_statements_whatever_its_length(app, staff):
    # One statement per marker (a column left out of the page's query, read case by case) made the first page
    # at 1,000,000 cases cost 25 extra round trips (benchmarks/nearby.py, `make bench --location-only`).
    desk = _browser(app, staff.meldkamer.user)
    _melding(1)
    _melding(2)
    desk.get("/werk/meldkamer/kaart.json")  # caches (categories, models' status labels) filled
    few, few_statements = _statements_for(desk, "/werk/meldkamer/kaart.json")
    for n in range(3, 13):
        _melding(n)
    many, many_statements = _statements_for(desk, "/werk/meldkamer/kaart.json")
    assert (few, many) == (2, 12)
    assert len(many_statements) == len(few_statements), many_statements
