"""Numbers from outside never reach the database unchecked: an id past the BIGINT range in any `<int:...>` route
is a 404, a bad `after=`, `limit=` or `na=` a 400 that names the parameter - on SQLite and PostgreSQL."""
from __future__ import annotations

import html
import json

import pytest
from werkzeug.routing import IntegerConverter

from engine.ids import BIGINT_MAX, parse_id
from web.url_ids import DatabaseIdConverter

from .helpers import Browser, with_password

HUGE = "99999999999999999999"  # > 2**64
JUST_PAST = str(BIGINT_MAX + 1)


def int_rules(app) -> list:
    """Every rule with an integer part in its path, straight from the URL map."""
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]


def url_for_rule(rule, number: str, reference: str, token: str) -> str:
    parts = []
    for is_dynamic, text in rule._trace:
        if not is_dynamic:
            parts.append(text)
        elif isinstance(rule._converters[text], IntegerConverter):
            parts.append(number)
        elif text == "fmt":
            parts.append("json")
        elif text == "token":
            parts.append(token)
        else:
            parts.append(reference)
    return "".join(parts).split("|", 1)[-1]


def test_the_url_map_has_the_int_routes_we_expect(app):
    # The routes of issue #11; a new one is covered by the tests below without being listed here.
    found = {rule.rule for rule in int_rules(app)}
    assert {"/api/v1/work-items/<int:item_id>/complete", "/werk/dossier/<reference>/bestand/<int:file_id>",
            "/werk/taak/<int:item_id>/opnemen", "/werk/beheer/gebruikers/<int:user_id>"} <= found
    for rule in int_rules(app):
        for conv in rule._converters.values():
            if isinstance(conv, IntegerConverter):
                assert isinstance(conv, DatabaseIdConverter), rule.rule


@pytest.mark.parametrize("number", [HUGE, JUST_PAST, "1" + "0" * 5000])
def test_public_media_urls_answer_404_to_a_huge_number(client, staff, number):
    # Public photos are named by an unguessable token now, not an id; a number there is simply not found.
    created = staff.meldkamer.file_melding()
    tracking = created["tracking_url"].rsplit("/", 1)[-1]
    assert client.get(f"/open311/v2/requests/{created['reference']}/media/{number}").status_code == 404
    assert client.get(f"/volg/{tracking}/foto/{number}").status_code == 404


@pytest.mark.parametrize("number", [HUGE, JUST_PAST, "1" + "0" * 5000])
def test_every_int_route_answers_404_to_an_id_past_the_bigint_range(app, staff, number):
    created = staff.meldkamer.file_melding()
    reference, tracking = created["reference"], created["tracking_url"].rsplit("/", 1)[-1]
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    app.config["WTF_CSRF_ENABLED"] = False  # the staff POST routes must reach their view
    rules = int_rules(app)
    assert rules
    for rule in rules:
        url = url_for_rule(rule, number, reference, tracking)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if url.startswith("/werk"):
                call = admin.client.get if method == "GET" else admin.client.post
                response = admin._call(call, url)
            elif method == "GET":
                response = staff.admin.get(url)
            else:
                response = staff.admin.post(url, json={})
            assert response.status_code == 404, (method, url[:120], response.status_code)
            if url.startswith("/api/"):
                assert response.get_json()["error"] == "Not Found"
            elif url.startswith("/open311/"):
                assert json.loads(response.get_data())[0]["code"] == 404
            else:
                assert "Niet gevonden" in response.get_data(as_text=True)


def test_the_largest_id_still_routes(app, staff):
    # BIGINT_MAX itself is a valid id: the route matches and simply finds nothing.
    response = staff.admin.post(f"/api/v1/work-items/{BIGINT_MAX}/complete", json={})
    assert response.status_code == 404
    assert "work item" in response.get_json()["message"]


@pytest.mark.parametrize("query, name", [(f"after={HUGE}", "after"), (f"after={JUST_PAST}", "after"),
                                         ("after=-1", "after"), ("after=abc", "after"), ("after=1.5", "after"),
                                         ("after=%C2%B2", "after"), ("after=0x10", "after"),
                                         (f"limit={HUGE}", "limit"), ("limit=-1", "limit"), ("limit=tien", "limit")])
def test_bad_numbers_in_the_work_item_query_answer_400_naming_the_parameter(staff, query, name):
    response = staff.meldkamer.get(f"/api/v1/work-items?group=meldkamer&{query}")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] == "BadParameter"
    assert f"'{name}'" in body["message"]
    assert name in body["fields"]


def test_a_valid_after_still_pages(staff):
    refs = [staff.meldkamer.file_melding()["reference"] for _ in range(3)]
    first = staff.meldkamer.get("/api/v1/work-items?group=meldkamer&limit=2").get_json()
    second = staff.meldkamer.get(f"/api/v1/work-items?group=meldkamer&limit=2&after={first['next_after']}")
    assert [i["case"] for i in second.get_json()["items"]] == refs[2:]
    assert staff.meldkamer.get(f"/api/v1/work-items?after={BIGINT_MAX}").get_json()["items"] == []


@pytest.mark.parametrize("cursor", [HUGE, "%C2%B2", "-5", "abc"])
def test_a_bad_queue_cursor_is_a_dutch_400_page(app, staff, cursor):
    browser = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    response = browser.get(f"/werk/meldkamer?na={cursor}")
    assert response.status_code == 400
    assert "De parameter 'na' in de link moet" in html.unescape(response.get_data(as_text=True))


def test_parse_id_takes_only_plain_digits_in_range():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7 and parse_id(BIGINT_MAX) == BIGINT_MAX
    for bad in ("²", "١٢", "0", "-1", "1e3", "", None, JUST_PAST, HUGE, "1" * 5000, True, BIGINT_MAX + 1):
        assert parse_id(bad) is None, bad


@pytest.fixture
def admin_pages(app, staff):
    """The admin, logged in on the staff pages, with CSRF off so a form's numbers reach the view."""
    browser = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    app.config["WTF_CSRF_ENABLED"] = False
    return browser


def _post(browser, url, data):
    return browser._call(browser.client.post, url, data=data)


@pytest.mark.parametrize("number", ["²", HUGE, JUST_PAST])
def test_odd_numbers_in_staff_forms_are_refused_plainly(staff, admin_pages, number):
    item = staff.meldkamer.open_item(staff.meldkamer.file_melding()["reference"], "triage")
    # assign a work item to a colleague: a user id that cannot exist
    response = _post(admin_pages, f"/werk/taak/{item['id']}/toewijzen", {"assignee": number})
    assert response.status_code == 302
    assert "Kies een collega." in admin_pages.get(response.headers["Location"]).get_data(as_text=True)
    # process an incoming mail again: a mail id that cannot exist
    response = _post(admin_pages, "/werk/beheer/inkomende-mail/opnieuw", {"mail_id": number})
    assert response.status_code == 302
    assert "Onbekende inkomende mail." in admin_pages.get(response.headers["Location"]).get_data(as_text=True)
    # the routing test page with a rule id that cannot exist: the sample is tested without it
    response = _post(admin_pages, "/werk/beheer/routering/test", {"rule_id": number,
                                                                  "sample_description": "Lamp kapot"})
    assert response.status_code in (200, 422), response.status_code
    # the privacy export of a reporter id that cannot exist
    response = admin_pages.get(f"/werk/beheer/privacy/export?email={number}")
    assert response.status_code == 404
    # a letter's answer deadline in days
    response = _post(admin_pages, "/werk/post/nieuw", {"kind": "vraag", "deadline_days": number,
                                                       "deadline_unit": "d"})
    assert response.status_code == 422
