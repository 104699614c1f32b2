"""The staff pages and the staff API answer alike: for each role, an action is refused (403) on both or
allowed on both. Both ask the same table (handlers/permissions.py).

Case A is dispatched to onderhoud-openbaar-domein ("ood"), case B waits for triage at the meldkamer. Every
handler persona is a member of ood. Completing is tried with an empty form: allowed means the form comes
back with its errors (422), so nothing changes between the two calls.
"""
from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from engine.db import db
from handlers.groups import group_by_key
from handlers.models import MELDKAMER, User

from .helpers import Browser

OOD = "onderhoud-openbaar-domein"
PASSWORD = "correct-horse-battery"
PERSONAS = {"admin": None, "meldkamer": None, "behandelaar": OOD, "groepsverantwoordelijke": OOD, "onthaal": None,
            "rapportage": None}


def refused(response) -> bool:
    return response.status_code == 403


def allowed(response) -> bool:
    return response.status_code < 500 and response.status_code not in (401, 403)


def persona(role: str, groups: tuple[str, ...]) -> tuple[str, str]:
    """A user with the role and groups: (username, API token)."""
    name = f"{role[:10]}-{'-'.join(groups) or 'geen'}"[:40]
    user = User(username=name, display_name=name, role=role, email=f"{name}@stad.example",
                password_hash=generate_password_hash(PASSWORD))
    db.session.add(user)
    for key in groups:
        user.groups.append(group_by_key(key))
    token = user.issue_api_token()
    db.session.commit()
    return name, token


@pytest.fixture
def cases(staff) -> dict:
    desk = staff.meldkamer
    a = desk.file_melding("Straatlamp brandt niet", category="straatlamp-defect")["reference"]
    desk.complete(a, "triage", {"decision": "dispatch", "group": OOD})
    b = desk.file_melding("Losse tegel in het voetpad", category="voetpad-losse-tegel")["reference"]
    return {"a": a, "b": b, "a_take": desk.open_item(a, "take_in_handling")["id"],
            "b_triage": desk.open_item(b, "triage")["id"]}


def pairs(v: dict) -> list[tuple[str, tuple, tuple]]:
    """(action, page request, API request): (method, URL[, form or JSON])."""
    return [
        ("see case A", ("GET", f"/werk/dossier/{v['a']}"), ("GET", f"/api/v1/cases/{v['a']}")),
        ("see case B", ("GET", f"/werk/dossier/{v['b']}"), ("GET", f"/api/v1/cases/{v['b']}")),
        ("ood's queue", ("GET", f"/werk/wachtrij/{OOD}"), ("GET", f"/api/v1/work-items?group={OOD}")),
        ("meldkamer's queue", ("GET", f"/werk/wachtrij/{MELDKAMER}"), ("GET", f"/api/v1/work-items?group={MELDKAMER}")),
        ("outbox", ("GET", "/werk/beheer/uitgaand"), ("GET", "/api/v1/outbox")),
        ("complete A's take_in_handling", ("POST", f"/werk/dossier/{v['a']}/taak/{v['a_take']}", {}),
         ("POST", f"/api/v1/work-items/{v['a_take']}/complete", {})),
        ("complete B's triage", ("POST", f"/werk/dossier/{v['b']}/taak/{v['b_triage']}", {}),
         ("POST", f"/api/v1/work-items/{v['b_triage']}/complete", {})),
        ("correct A", ("POST", f"/werk/dossier/{v['a']}/corrigeren", {}), ("PATCH", f"/api/v1/cases/{v['a']}", {})),
    ]


def post(browser: Browser, url: str, form: dict):
    """A form post with the session's CSRF token (from the login page: a refused page has no form)."""
    token = Browser.token(browser.get("/werk/aanmelden"))
    return browser._call(browser.client.post, url, data={**form, "csrf_token": token})


def compare(app, username: str, token: str, v: dict) -> list[str]:
    browser = Browser(app, username, PASSWORD)
    client = app.test_client()
    differences = []
    for action, page, call in pairs(v):
        on_page = browser.get(page[1]) if page[0] == "GET" else post(browser, page[1], page[2])
        with app.app_context():
            headers = {"Authorization": f"Bearer {token}"}
            by_api = client.open(call[1], method=call[0], json=call[2] if len(call) > 2 else None, headers=headers)
        for response in (on_page, by_api):
            assert response.status_code < 500, f"{username}: {action}: {response.status_code}"
        if refused(on_page) != refused(by_api) or allowed(on_page) != allowed(by_api):
            differences.append(f"{username}: {action}: page {on_page.status_code}, API {by_api.status_code}")
    return differences


def test_each_role_gets_the_same_answer_from_the_pages_and_the_api(app, cases):
    differences = []
    for role, group in PERSONAS.items():
        username, token = persona(role, (group,) if group else ())
        differences += compare(app, username, token, cases)
    assert not differences, "\n".join(differences)


def test_a_handler_in_the_meldkamer_group_may_not_triage_through_the_api_what_the_page_refuses(app, cases):
    """A behandelaar who is also a member of the meldkamer group cannot open a case in triage (it has no handling
    group yet), so the case page refuses its triage; the API completed it all the same. Now both refuse, and
    taking the triage on one's name is refused too."""
    username, token = persona("behandelaar", (OOD, MELDKAMER))
    assert compare(app, username, token, cases) == []
    with app.app_context():
        response = app.test_client().post(f"/api/v1/work-items/{cases['b_triage']}/complete",
                                          json={"decision": "dispatch", "group": OOD},
                                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403, response.get_json()
    browser = Browser(app, username, PASSWORD)
    assert browser.get(f"/werk/dossier/{cases['b']}").status_code == 403
    took = post(browser, f"/werk/taak/{cases['b_triage']}/opnemen", {})
    assert took.status_code == 403
