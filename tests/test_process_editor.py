"""The process editor page (/werk/beheer/processen/<key>/bewerken): only the admin opens it; it carries the model
of the active version (or of the version asked for) and what its form offers (the built-in forms, the registered
service operators with their parameters, the lanes, the known statuses), all in data attributes; a process or
version that does not exist is a Dutch 404, never a 500."""
from __future__ import annotations

import html
import json
import re

import pytest

from engine import deploy
from engine.db import db
from engine.deploy import BPMN_DIR
from handlers.models import User

from .helpers import Browser, with_password

EDITOR = "/werk/beheer/processen/melding/bewerken"


def data_attribute(page: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', page)
    assert found, f"no {name} on the page"
    return html.unescape(found.group(1))


def admin_browser(app, staff) -> Browser:
    return Browser(app, staff.admin.user.username, with_password(staff.admin.user))


def test_the_admin_opens_the_active_version_in_the_editor(app, staff):
    browser = admin_browser(app, staff)
    response = browser.get(EDITOR)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Proces melding bewerken" in page
    assert "Dit is de versie waarop nieuwe zaken starten." in page
    assert data_attribute(page, "data-xml") == (BPMN_DIR / "melding.bpmn").read_text(encoding="utf-8")
    # The modeler and our script come from this site (vendored bpmn-js), never a CDN, and no inline script.
    assert "vendor/bpmn-js/bpmn-modeler.production.min.js" in page and "process_modeler.js" in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "style=" not in page

    config = json.loads(data_attribute(page, "data-config"))
    assert config["checkUrl"] == "/werk/beheer/processen/melding/controleren"
    assert config["deployUrl"] == "/werk/beheer/processen/melding/in-gebruik-nemen"
    forms = {f["key"]: f["label"] for f in config["forms"]}
    assert forms["triage"].startswith("Melding beoordelen") and "handle" in forms
    assert not [k for k in forms if k.startswith("message:")], "message payloads are not task forms"
    operators = {o["name"]: o["parameters"] for o in config["operators"]}
    assert operators["notify.reporter"] == ["template"]
    assert operators["work.return_to_asker"] == ["reason"]
    assert operators["case.dispatch"] == []
    assert {lane["name"] for lane in config["lanes"]} == {"meldkamer", "behandelaarsgroep", "onthaal"}
    assert {"key": "in_behandeling", "label": "In behandeling"} in config["statuses"]
    assert [t["value"] for t in config["fieldTypes"]] == ["text", "longtext", "choice", "yesno", "date", "number",
                                                          "file"]
    assert config["texts"]["no_problems"] == "Geen problemen gevonden."


def test_an_older_version_opens_when_asked(app, staff):
    shipped = (BPMN_DIR / "melding.bpmn").read_text(encoding="utf-8")
    changed = shipped.replace('"P14D"', '"P10D"')
    assert changed != shipped
    with app.app_context():
        definition, created = deploy.deploy(changed.encode(), "melding.bpmn", deployed_by="root")
        db.session.commit()
        assert created and definition.version == 2

    browser = admin_browser(app, staff)
    newest = browser.get(EDITOR).get_data(as_text=True)
    assert '"P10D"' in data_attribute(newest, "data-xml")
    assert "Vertrekpunt: versie 2" in newest and "door root" in newest
    older = browser.get(EDITOR + "?versie=1").get_data(as_text=True)
    assert data_attribute(older, "data-xml") == shipped
    assert "Vertrekpunt: versie 1" in older
    assert "Dit is de versie waarop nieuwe zaken starten." not in older


@pytest.mark.parametrize("url, message", [
    ("/werk/beheer/processen/bestaat-niet/bewerken", "Er is geen proces &#39;bestaat-niet&#39;."),
    (EDITOR + "?versie=9", "Proces &#39;melding&#39; heeft geen versie &#39;9&#39;."),
    (EDITOR + "?versie=een", "Proces &#39;melding&#39; heeft geen versie &#39;een&#39;."),
    (EDITOR + "?versie=-1", "Proces &#39;melding&#39; heeft geen versie &#39;-1&#39;."),
    ("/werk/beheer/processen/" + "x" * 300 + "/bewerken", "Er is geen proces"),
])
def test_an_unknown_process_or_version_is_a_clear_404(app, staff, url, message):
    response = admin_browser(app, staff).get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["meldkamer", "behandelaar", "groepsverantwoordelijke", "onthaal", "rapportage"])
def test_only_the_admin_may_edit_processes(app, role):
    user = User(username=f"iemand-{role}", display_name="Iemand", role=role, email="iemand@stad.example")
    db.session.add(user)
    db.session.commit()
    response = Browser(app, user.username, with_password(user)).get(EDITOR)
    assert response.status_code == 403
    assert "bpmn-modeler" not in response.get_data(as_text=True)


def test_without_login_the_editor_asks_to_log_in(app, client):
    response = client.get(EDITOR)
    assert response.status_code == 302
    assert "/werk/aanmelden" in response.headers["Location"]


def test_the_editor_speaks_english_to_an_english_admin(app, staff):
    browser = admin_browser(app, staff)
    assert browser.post("/werk/taal/en", page=EDITOR).status_code == 302
    page = browser.get(EDITOR).get_data(as_text=True)
    assert "Edit process melding" in page and ">Check</button>" in page and ">Put into use</button>" in page
    config = json.loads(data_attribute(page, "data-config"))
    assert config["texts"]["no_problems"] == "No problems found."
    assert {f["key"]: f["label"] for f in config["forms"]}["triage"].startswith("Assess the report")
    assert {"key": "in_behandeling", "label": "In progress"} in config["statuses"]


def test_every_asset_of_the_editor_is_served_from_this_site(app, staff):
    from web.vendoring import PACKAGES, TARGET

    browser = admin_browser(app, staff)
    page = browser.get(EDITOR).get_data(as_text=True)
    head = page[:page.index("</head>")]
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', head)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"diagram-js.css", "bpmn-js.css", "bpmn.css",
                                                      "process_modeler.css", "bpmn-modeler.production.min.js",
                                                      "process_modeler.js"}
    for asset in assets:
        assert browser.get(asset).status_code == 200, asset
    # The bpmn font the stylesheet points at is vendored with it, and the vendored release is the one named.
    css = (TARGET / "bpmn-js" / "assets" / "bpmn-font" / "css" / "bpmn.css").read_text()
    for font in set(re.findall(r"url\('\.\./font/([^?'#]+)", css)):
        assert browser.get(f"/static/vendor/bpmn-js/assets/bpmn-font/font/{font}").status_code == 200, font
    bpmn_js = next(p for p in PACKAGES if p.name == "bpmn-js")
    assert (TARGET / "bpmn-js" / "VERSION").read_text().split()[0] == f"bpmn-js@{bpmn_js.version}"
