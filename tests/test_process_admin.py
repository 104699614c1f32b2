"""Process-model administration: the page, the API and the CLI; the version new cases use; seeding never
overrides the city's choice; concurrent deploys; every bad input refused with its problems; the audit log."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from engine import deploy as deployment
from engine.db import db
from engine.models import ActiveProcess, Case, ProcessDefinition
from handlers import process_admin
from handlers.admin_changes import AdminChange
from handlers.models import User
from tests.helpers import Browser, with_password
from tests.test_cli import invoke
from tests.test_migration_0009 import fresh_app as fresh_app  # noqa: F401 - the fixture

MELDING = deployment.BPMN_DIR / "melding.bpmn"
SHIPPED = MELDING.read_bytes()
CITY_TITLE = "Melding beoordelen door de stad"
# The city's own model: the triage task renamed (what staff see as the work item's title).
CITY = SHIPPED.replace(b'name="Melding beoordelen"', f'name="{CITY_TITLE}"'.encode())
assert CITY != SHIPPED


def city_model(title: str) -> bytes:
    return SHIPPED.replace(b'name="Melding beoordelen"', f'name="{title}"'.encode())


def no_diagram() -> bytes:
    return re.sub(rb"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", b"", SHIPPED, flags=re.S)


def unknown_operator() -> bytes:
    return SHIPPED.replace(b'serviceTaskOperator id="routing.suggest"', b'serviceTaskOperator id="routing.sugest"')


def syntax_error() -> tuple[bytes, int]:
    lines = SHIPPED.split(b"\n")
    at = next(i for i, line in enumerate(lines) if b"</bpmn:userTask>" in line)
    lines[at] = lines[at].replace(b"</bpmn:userTask>", b"</bpmn:userTsk>")
    return b"\n".join(lines), at + 1


XXE = SHIPPED.replace(b'<?xml version="1.0" encoding="UTF-8"?>',
                      b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
NOT_BPMN = b'<?xml version="1.0"?>\n<html><body><p>hallo</p></body></html>'
FIFTY_MB = SHIPPED.replace(b"</bpmn:definitions>", b"<!--" + b"x" * (50 * 1024 * 1024) + b"--></bpmn:definitions>")


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    """name -> (the model, a phrase its problem list must hold)."""
    broken, _line = syntax_error()
    return {"not-bpmn": (NOT_BPMN, "geen BPMN-bestand"), "no-diagram": (no_diagram(), "geen diagram"),
            "xxe": (XXE, "DOCTYPE"), "unknown-operator": (unknown_operator(), "routing.sugest"),
            "syntax-error": (broken, "Geen geldige XML op regel")}


def admin_browser(app) -> Browser:
    user = User(username="beheer", display_name="Beheerder", role="admin", email="beheer@stad.example")
    db.session.add(user)
    db.session.commit()
    return Browser(app, "beheer", with_password(user))


def upload(browser: Browser, key: str, xml: bytes, filename: str = "model.bpmn", json: bool = False):
    import io

    page = browser.get("/werk/beheer/processen")
    headers = {"Accept": "application/json"} if json else {}
    return browser._call(browser.client.post, f"/werk/beheer/processen/{key}/in-gebruik-nemen",
                         data={"csrf_token": browser.token(page), "file": (io.BytesIO(xml), filename)},
                         content_type="multipart/form-data", headers=headers)


def post_xml(browser: Browser, url: str, xml: bytes, json: bool = True):
    page = browser.get("/werk/beheer/processen")
    headers = {"Accept": "application/json"} if json else {}
    return browser._call(browser.client.post, url, data={"csrf_token": browser.token(page),
                                                         "xml": xml.decode("utf-8", "replace")}, headers=headers)


def versions(key: str = "melding") -> list[int]:
    return list(db.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                   .order_by(ProcessDefinition.version)))


def active_version(key: str = "melding") -> int:
    db.session.expire_all()
    return deployment.active_definition(key).version


def audit(action: str | None = None) -> list[AdminChange]:
    db.session.expire_all()
    query = select(AdminChange).where(AdminChange.area == "process").order_by(AdminChange.id)
    if action:
        query = query.where(AdminChange.action == action)
    return list(db.session.scalars(query))


def case_version(reference: str) -> int:
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    return db.session.get(ProcessDefinition, case.definition_id).version


def triage_title(staff, reference: str) -> str:
    item = staff.meldkamer.open_item(reference, "triage")
    return item.get("title") or item.get("name") or ""


# -- the page -----------------------------------------------------------------------------------------------------

def test_the_page_lists_every_process_with_versions_origin_cases_and_the_one_in_use(app, staff):
    browser = admin_browser(app)
    staff.meldkamer.file_melding()
    staff.meldkamer.file_melding(description="Put in de weg")
    page = browser.get("/werk/beheer/processen")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in ("melding", "infomail", "post", "contact"):
        assert f'id="process-{key}"' in html
    melding = html[html.index('id="process-melding"'):html.index('id="process-infomail"')]
    assert "Meegeleverd" in melding and "In gebruik" in melding and 'class="cases">2<' in melding
    assert "/werk/beheer/processen/melding/versies/1.bpmn" in melding and "Processen" in html
    # the city deploys its own version: it is listed as the city's, in use, with no cases yet
    response = upload(browser, "melding", CITY, "melding-stad.bpmn")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/werk/beheer/processen/melding/versies/2")
    html = browser.get("/werk/beheer/processen").get_data(as_text=True)
    melding = html[html.index('id="process-melding"'):html.index('id="process-infomail"')]
    row2 = melding[melding.index('data-version="2"'):melding.index('data-version="1"')]
    row1 = melding[melding.index('data-version="1"'):]
    assert "Door de stad" in row2 and "In gebruik" in row2 and 'class="cases">0<' in row2 and "beheer" in row2
    assert "Meegeleverd" in row1 and "Terugzetten" in row1 and 'class="cases">2<' in row1
    version_page = browser.get("/werk/beheer/processen/melding/versies/2")
    assert version_page.status_code == 200 and 'id="bpmn-viewer"' in version_page.get_data(as_text=True)
    assert "bpmn-navigated-viewer.production.min.js" in version_page.get_data(as_text=True)
    assert browser.get("/werk/beheer/processen/melding/versies/9").status_code == 404
    assert browser.get("/werk/beheer/processen/onbekend/versies/1").status_code == 404
    assert browser.get("/werk/beheer/processen/melding/versies/99999999999").status_code == 404
    assert browser.get("/werk/beheer/processen/melding/versies/99999999999.bpmn").status_code == 404


def test_the_download_is_byte_identical_to_what_was_deployed(app):
    browser = admin_browser(app)
    crlf = CITY.replace(b"\n", b"\r\n")  # whatever the modeler wrote, line endings included
    assert upload(browser, "melding", crlf, "stad.bpmn").status_code == 303
    for number, expected in ((1, SHIPPED), (2, crlf)):
        response = browser.get(f"/werk/beheer/processen/melding/versies/{number}.bpmn")
        assert response.status_code == 200 and response.data == expected
        assert response.headers["Content-Disposition"] == f'attachment; filename="melding-v{number}.bpmn"'


def test_activate_and_roll_back_change_what_new_cases_start_on_running_cases_keep_theirs(app, staff):
    browser = admin_browser(app)
    old = staff.meldkamer.file_melding()["reference"]
    assert upload(browser, "melding", CITY, "stad.bpmn").status_code == 303
    new = staff.meldkamer.file_melding()["reference"]
    assert (case_version(old), case_version(new)) == (1, 2)
    assert triage_title(staff, new) == CITY_TITLE and triage_title(staff, old) == "Melding beoordelen"
    # "terugzetten": version 1 again, without a new deploy
    response = browser.post("/werk/beheer/processen/melding/versies/1/activeren",
                            page="/werk/beheer/processen/melding/versies/1")
    assert response.status_code == 303
    assert "Versie 1 van &#39;melding&#39; is in gebruik" in browser.get(response.headers["Location"]).get_data(
        as_text=True)
    assert versions() == [1, 2] and active_version() == 1
    third = staff.meldkamer.file_melding()["reference"]
    assert case_version(third) == 1 and case_version(new) == 2
    # the case on version 2 still works on its own version: its triage completes
    staff.meldkamer.complete(new, "triage", {"decision": "dispatch"})
    assert case_version(new) == 2
    changes = audit("activate")
    assert [(c.subject, c.actor, c.data["version"], c.data["previous_version"]) for c in changes] == [
        ("melding v1", "beheer", 1, 2)]


def test_check_endpoint_answers_json_and_never_deploys(app):
    browser = admin_browser(app)
    response = post_xml(browser, "/werk/beheer/processen/melding/controleren", CITY)
    assert response.status_code == 200 and response.get_json() == {"ok": True, "problems": []}
    response = post_xml(browser, "/werk/beheer/processen/melding/controleren", unknown_operator())
    body = response.get_json()
    assert body["ok"] is False
    [problem] = body["problems"]
    assert problem["element_id"] and problem["element_name"] and problem["line"] > 1
    assert "routing.sugest" in problem["message"]
    line = SHIPPED.split(b"\n")[problem["line"] - 1].decode()
    assert f'id="{problem["element_id"]}"' in line and problem["element_name"] in line
    assert versions() == [1] and audit() == []


def test_deploy_endpoint_for_the_modeler_answers_json(app):
    browser = admin_browser(app)
    response = post_xml(browser, "/werk/beheer/processen/melding/in-gebruik-nemen", CITY)
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["version"] == 2 and body["url"] == "/werk/beheer/processen/melding/versies/2"
    response = post_xml(browser, "/werk/beheer/processen/melding/in-gebruik-nemen", unknown_operator())
    assert response.status_code == 422 and response.get_json()["ok"] is False
    assert "routing.sugest" in response.get_json()["problems"][0]["message"]
    # a model of another process is refused on this process's page
    infomail = (deployment.BPMN_DIR / "infomail.bpmn").read_bytes()
    response = post_xml(browser, "/werk/beheer/processen/melding/in-gebruik-nemen", infomail)
    assert response.status_code == 422 and "melding" in response.get_json()["problems"][0]["message"]
    assert versions() == [1, 2] and active_version() == 2
    deploys = audit("deploy")
    assert [(c.subject, c.actor, c.data["version"], c.data["origin"]) for c in deploys] == [
        ("melding v2", "beheer", 2, "city")]


@pytest.mark.parametrize("name", ["not-bpmn", "no-diagram", "xxe", "unknown-operator", "syntax-error"])
def test_bad_models_are_refused_on_the_page_with_every_problem_and_nothing_stored(app, name):
    browser = admin_browser(app)
    xml, phrase = bad_inputs()[name]
    response = upload(browser, "melding", xml, f"{name}.bpmn")
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert 'id="process-problems"' in html and phrase in html.replace("&#39;", "'"), html[:2000]
    assert "Er is niets veranderd" in html
    json_answer = post_xml(browser, "/werk/beheer/processen/melding/controleren", xml).get_json()
    assert json_answer["ok"] is False and phrase in " ".join(p["message"] for p in json_answer["problems"])
    assert versions() == [1] and active_version() == 1 and audit() == []


def issue_examples(timer: str) -> bytes:
    """The issue's own broken model: a misspelt name in a condition and a timer that is no ISO 8601 value."""
    xml = SHIPPED.replace(b">decision == 'refer'<", b">decison == 'refer'<")
    return re.sub(rb'(id="feedback_window_over".*?<bpmn:timeDuration[^>]*>)[^<]*(<)',
                  rb"\g<1>" + timer.encode() + rb"\g<2>", xml, count=1, flags=re.S)


@pytest.mark.parametrize("timer", ["14 dagen", "'P14X'"])
def test_the_issues_misspelt_condition_and_bad_timer_are_listed_on_the_page_not_a_500(app, timer):
    browser = admin_browser(app)
    xml = issue_examples(timer)
    assert xml.count(b"decison") == 1 and timer.encode() in xml
    for url in ("/werk/beheer/processen/melding/controleren", "/werk/beheer/processen/melding/in-gebruik-nemen"):
        response = post_xml(browser, url, xml)
        assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]
        problems = response.get_json()["problems"]
        assert {p["element_id"] for p in problems} == {"flow_gw_triage_to_refer", "feedback_window_over"}
        assert any("decison" in p["message"] for p in problems)
        assert any(timer.strip("'") in p["message"] and "ISO 8601" in p["message"] for p in problems)
    response = upload(browser, "melding", xml, "stad.bpmn")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422 and "decison" in html and "Feedbacktermijn verstreken" in html
    # The same in English (the English catalogue's sentence, the timer's text filled in).
    assert browser.post("/werk/taal/en", page="/werk/beheer/processen").status_code == 302
    problems = post_xml(browser, "/werk/beheer/processen/melding/controleren", xml).get_json()["problems"]
    timer_problem = next(p for p in problems if p["element_id"] == "feedback_window_over")
    assert "is no valid ISO 8601" in timer_problem["message"] and timer.strip("'") in timer_problem["message"]
    assert versions() == [1] and active_version() == 1 and audit() == []


def test_the_syntax_error_names_its_line(app):
    browser = admin_browser(app)
    broken, line = syntax_error()
    body = post_xml(browser, "/werk/beheer/processen/melding/controleren", broken).get_json()
    assert [p["line"] for p in body["problems"]] == [line]


def test_a_50_mb_model_reaches_the_check_and_is_refused_in_words(app):
    browser = admin_browser(app)
    response = upload(browser, "melding", FIFTY_MB, "groot.bpmn")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "groter dan 5 MB" in html
    assert versions() == [1] and audit() == []


def test_an_upload_without_a_file_says_so(app):
    browser = admin_browser(app)
    response = upload(browser, "melding", b"", "")
    assert response.status_code == 422 and "Kies een BPMN-bestand" in response.get_data(as_text=True)


def test_every_problem_is_listed_not_only_the_first_five(app):
    xml = SHIPPED
    for operator in (b"notify.reporter", b"routing.suggest", b"case.refer"):
        xml = xml.replace(b'serviceTaskOperator id="' + operator + b'"',
                          b'serviceTaskOperator id="x.' + operator + b'"')
    count = len(re.findall(rb'serviceTaskOperator id="x\.', xml))
    problems = process_admin.check(xml, "veel.bpmn", "melding")
    assert len(problems) == count and count > 5
    assert all(p["element_id"] and p["line"] for p in problems)


# -- seeding never overrides the city's version ----------------------------------------------------------------

def test_seed_after_the_city_deployed_its_own_model_keeps_the_citys_version(app, staff, monkeypatch, tmp_path):
    browser = admin_browser(app)
    assert upload(browser, "melding", CITY, "stad.bpmn").status_code == 303
    # `make run` starts with `meldpunt seed --demo`; here plain seed and deploy without arguments, as it runs them
    for args in (("seed",), ("bpmn", "deploy")):
        result = invoke(app, *args)
        assert result.exit_code == 0, result.output
        assert "unchanged: melding v1 (the city's v2 is in use)" in result.output
    assert active_version() == 2 and versions() == [1, 2]
    # a changed shipped file (a Meldpunt update) is stored beside it, not in use, and the output says so
    shipped_dir = tmp_path / "bpmn"
    shipped_dir.mkdir()
    for path in deployment.BPMN_DIR.glob("*.bpmn"):
        (shipped_dir / path.name).write_bytes(path.read_bytes())
    (shipped_dir / "melding.bpmn").write_bytes(city_model("Melding beoordelen (nieuw in Meldpunt)"))
    monkeypatch.setattr(deployment, "BPMN_DIR", shipped_dir)
    result = invoke(app, "seed")
    assert result.exit_code == 0
    assert "stored: melding v3 (shipped, NOT in use: the city's v2 stays in use" in result.output
    assert active_version() == 2 and versions() == [1, 2, 3]
    reference = staff.meldkamer.file_melding()["reference"]
    assert case_version(reference) == 2 and triage_title(staff, reference) == CITY_TITLE


def test_make_run_again_after_the_city_deployed_keeps_the_citys_version(app):
    """`make run` = `meldpunt seed --demo` at every start: the demo admin deploys the city's model in between."""
    from handlers.seed import DEMO_PASSWORD

    first = invoke(app, "seed", "--demo")
    assert first.exit_code == 0, first.output
    browser = Browser(app, "admin", DEMO_PASSWORD)
    assert upload(browser, "melding", CITY, "stad.bpmn").status_code == 303
    again = invoke(app, "seed", "--demo")
    assert again.exit_code == 0, again.output
    assert "unchanged: melding v1 (the city's v2 is in use)" in again.output
    assert active_version() == 2 and versions() == [1, 2]
    from intake.meldingen import register_melding

    case = register_melding(description="Straatlamp aan paal 12 brandt niet", channel="telefoon",
                            category="straatlamp-defect", location={"address": "Bruul 12, 2800 Mechelen"},
                            reporter={"name": "Els", "email": "els@voorbeeld.example"})
    db.session.commit()
    assert case_version(case.reference) == 2


def test_seed_after_the_city_rolled_back_to_the_shipped_version_keeps_that_choice(app, monkeypatch, tmp_path):
    browser = admin_browser(app)
    assert upload(browser, "melding", CITY, "stad.bpmn").status_code == 303
    assert browser.post("/werk/beheer/processen/melding/versies/1/activeren",
                        page="/werk/beheer/processen/melding/versies/1").status_code == 303
    shipped_dir = tmp_path / "bpmn"
    shipped_dir.mkdir()
    for path in deployment.BPMN_DIR.glob("*.bpmn"):
        (shipped_dir / path.name).write_bytes(path.read_bytes())
    (shipped_dir / "melding.bpmn").write_bytes(city_model("Nieuw in Meldpunt"))
    monkeypatch.setattr(deployment, "BPMN_DIR", shipped_dir)
    assert invoke(app, "bpmn", "deploy").exit_code == 0
    assert active_version() == 1 and versions() == [1, 2, 3]


def test_without_a_choice_of_the_city_a_changed_shipped_model_is_used(app, monkeypatch, tmp_path):
    shipped_dir = tmp_path / "bpmn"
    shipped_dir.mkdir()
    for path in deployment.BPMN_DIR.glob("*.bpmn"):
        (shipped_dir / path.name).write_bytes(path.read_bytes())
    (shipped_dir / "melding.bpmn").write_bytes(city_model("Nieuw in Meldpunt"))
    monkeypatch.setattr(deployment, "BPMN_DIR", shipped_dir)
    result = invoke(app, "bpmn", "deploy")
    assert result.exit_code == 0 and "deployed: melding v2 (shipped, in use)" in result.output
    assert active_version() == 2
    assert [(c.subject, c.actor, c.data["origin"]) for c in audit("deploy")] == [("melding v2", "cli", "shipped")]


# -- two admins at once --------------------------------------------------------------------------------------------

def test_two_deploys_at_the_same_moment_both_get_a_number(app, monkeypatch):
    real = deployment._next_version
    barrier = threading.Barrier(2, timeout=10)
    waited: set[int] = set()

    def racing(key: str) -> int:
        number = real(key)  # both read the same highest version before either stores
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            barrier.wait()
        return number

    monkeypatch.setattr(deployment, "_next_version", racing)
    results: dict[str, object] = {}

    def deploy_as(name: str, xml: bytes) -> None:
        with app.app_context():
            try:
                definition, _ = process_admin.deploy_model(xml, f"{name}.bpmn", "melding", name)
                db.session.commit()
                results[name] = definition.version
            except Exception as err:  # noqa: BLE001 - reported by the assertion below
                results[name] = err
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deploy_as, args=(name, city_model(f"Beoordelen door {name}")))
               for name in ("anna", "bert")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values()) == [2, 3], results
    db.session.expire_all()
    assert versions() == [1, 2, 3]
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition).where(
        ProcessDefinition.key == "melding")) == 3
    winner = max(results, key=lambda name: results[name])
    assert db.session.get(ActiveProcess, "melding").activated_by in ("anna", "bert")
    assert sorted(c.actor for c in audit("deploy")) == ["anna", "bert"] and winner in ("anna", "bert")


# -- the API -------------------------------------------------------------------------------------------------------

def test_api_lists_deploys_checks_and_activates_for_admins_only(app, staff):
    staff.meldkamer.file_melding()
    listing = staff.admin.get("/api/v1/processes")
    assert listing.status_code == 200
    melding = next(p for p in listing.get_json() if p["key"] == "melding")
    assert melding["active_version"] == 1 and melding["chosen_by_city"] is False
    assert melding["versions"][0] | {"deployed_at": None} == {
        "version": 1, "deployed_at": None, "deployed_by": "systeem", "origin": "shipped", "filename": "melding.bpmn",
        "sha256": melding["versions"][0]["sha256"], "cases": 1, "active": True,
        "download_url": "/werk/beheer/processen/melding/versies/1.bpmn",
        "xml_url": "/api/v1/processes/melding/versions/1"}
    # The XML through the API with the token (the page's download asks a token user to log in).
    xml = staff.admin.get(melding["versions"][0]["xml_url"])
    assert xml.status_code == 200 and xml.data == SHIPPED and xml.mimetype == "application/xml"
    assert staff.admin.get("/api/v1/processes/melding/versions/9").status_code == 404
    assert staff.admin.get("/api/v1/processes/melding/versions/99999999999").status_code == 404
    assert staff.meldkamer.get("/api/v1/processes/melding/versions/1").status_code == 403
    for actor in (staff.meldkamer, staff.ood_lead):
        assert actor.get("/api/v1/processes").status_code == 403
        assert actor.client.post("/api/v1/processes", data=CITY, headers={**actor.headers,
                                                                          "Content-Type": "application/xml"}
                                 ).status_code == 403
    assert staff.admin.client.get("/api/v1/processes").status_code == 401
    headers = {**staff.admin.headers, "Content-Type": "application/xml"}
    check = staff.admin.client.post("/api/v1/processes/melding/check", data=unknown_operator(), headers=headers)
    assert check.status_code == 200 and check.get_json()["ok"] is False
    assert check.get_json()["problems"][0]["element_name"]
    created = staff.admin.client.post("/api/v1/processes?filename=stad.bpmn", data=CITY, headers=headers)
    assert created.status_code == 201 and created.get_json()["version"] == 2
    assert created.get_json()["process"]["chosen_by_city"] is True
    again = staff.admin.post("/api/v1/processes", json={"xml": CITY.decode()})
    assert again.status_code == 200 and again.get_json()["created"] is False
    refused = staff.admin.client.post("/api/v1/processes", data=XXE, headers=headers)
    assert refused.status_code == 422 and "DOCTYPE" in refused.get_json()["problems"][0]["message"]
    assert refused.get_json()["fields"]["xml"]
    missing = staff.admin.post("/api/v1/processes", json={"model": "x"})
    assert missing.status_code == 422 and "xml" in missing.get_json()["fields"]
    big = staff.admin.client.post("/api/v1/processes", data=SHIPPED + b"<!--" + b"x" * (6 * 1024 * 1024) + b"-->",
                                  headers=headers)
    assert big.status_code == 422 and "groter dan 5 MB" in big.get_json()["problems"][0]["message"]
    activated = staff.admin.post("/api/v1/processes/melding/versions/1/activate")
    assert activated.status_code == 200 and activated.get_json()["active_version"] == 1
    assert staff.admin.post("/api/v1/processes/melding/versions/7/activate").status_code == 404
    assert staff.admin.post("/api/v1/processes/melding/versions/99999999999/activate").status_code == 404
    assert staff.meldkamer.post("/api/v1/processes/melding/versions/2/activate").status_code == 403
    assert active_version() == 1 and versions() == [1, 2]
    assert [(c.action, c.actor, c.data["version"]) for c in audit()] == [
        ("deploy", "root", 2), ("deploy-unchanged", "root", 2), ("activate", "root", 1)]


def renamed_process(process_id: str) -> bytes:
    """The melding model under another process id, as a modeler's new file ("Process_1") or a typo has it."""
    return SHIPPED.replace(b'<bpmn:process id="melding"', f'<bpmn:process id="{process_id}"'.encode()).replace(
        b'processRef="melding"', f'processRef="{process_id}"'.encode()).replace(
        b'bpmnElement="melding"', f'bpmnElement="{process_id}"'.encode())


def test_a_model_of_a_process_no_channel_starts_is_refused_everywhere_and_nothing_is_stored(app, staff, tmp_path):
    xml = renamed_process("Process_1")
    assert b'id="melding"' not in xml and b'<bpmn:process id="Process_1"' in xml
    headers = {**staff.admin.headers, "Content-Type": "application/xml"}
    check = staff.admin.client.post("/api/v1/processes/Process_1/check", data=xml, headers=headers).get_json()
    assert check["ok"] is False and "Process_1" in check["problems"][0]["message"]
    assert check["problems"][0]["element_id"] == "Process_1" and check["problems"][0]["line"] > 1
    refused = staff.admin.client.post("/api/v1/processes?filename=Process_1.bpmn", data=xml, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert "melding" in refused.get_json()["problems"][0]["message"]  # the processes it may be are named
    path = tmp_path / "Process_1.bpmn"
    path.write_bytes(xml)
    assert invoke(app, "bpmn", "check", str(path)).exit_code == 2
    result = invoke(app, "bpmn", "deploy", str(path))
    assert result.exit_code == 2 and "Process_1" in result.output
    db.session.expire_all()
    assert versions("Process_1") == [] and audit() == []
    assert "Process_1" not in [p["key"] for p in staff.admin.get("/api/v1/processes").get_json()]


def test_openapi_documents_the_process_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/processes"])
    assert "post" in paths["/api/v1/processes/{key}/check"]
    assert "post" in paths["/api/v1/processes/{key}/versions/{version}/activate"]
    assert "application/xml" in paths["/api/v1/processes/{key}/versions/{version}"]["get"]["responses"]["200"][
        "content"]


# -- the CLI -------------------------------------------------------------------------------------------------------

def test_cli_deploy_check_list_activate_export(app, tmp_path):
    city = tmp_path / "stad.bpmn"
    city.write_bytes(CITY)
    result = invoke(app, "bpmn", "check", str(city))
    assert result.exit_code == 0 and "no problems" in result.output
    result = invoke(app, "bpmn", "deploy", str(city))
    assert result.exit_code == 0 and "deployed: melding v2 in use" in result.output
    listing = invoke(app, "bpmn", "list").output.splitlines()
    v1 = next(line for line in listing if line.startswith("melding ") and " v1 " in line)
    v2 = next(line for line in listing if line.startswith("melding ") and " v2 " in line)
    assert "ACTIVE" in v2 and " city " in v2 and "ACTIVE" not in v1 and " shipped " in v1
    result = invoke(app, "bpmn", "activate", "melding", "1")
    assert result.exit_code == 0 and active_version() == 1
    out = tmp_path / "terug.bpmn"
    result = invoke(app, "bpmn", "export", "melding", "2", "--out", str(out))
    assert result.exit_code == 0 and out.read_bytes() == CITY
    assert invoke(app, "bpmn", "export", "melding", "1").stdout_bytes == SHIPPED
    assert [(c.action, c.actor, c.data["version"]) for c in audit()] == [("deploy", "cli", 2), ("activate", "cli", 1)]


@pytest.mark.parametrize("name", ["not-bpmn", "no-diagram", "xxe", "unknown-operator", "syntax-error"])
def test_cli_bad_input_is_one_clear_line_and_exit_code_2(app, tmp_path, name):
    xml, phrase = bad_inputs()[name]
    path = tmp_path / f"{name}.bpmn"
    path.write_bytes(xml)
    deployed = invoke(app, "bpmn", "deploy", str(path))
    assert deployed.exit_code == 2 and "Traceback" not in deployed.output
    [line] = [line for line in deployed.output.splitlines() if line.strip()]
    assert line.startswith("Error: ") and phrase in line
    checked = invoke(app, "bpmn", "check", str(path))
    assert checked.exit_code == 2 and phrase in checked.output
    assert versions() == [1] and audit() == []


def test_cli_activate_and_export_of_an_unknown_version_fail_clearly(app, tmp_path):
    for args in (("bpmn", "activate", "melding", "9"), ("bpmn", "export", "melding", "9"),
                 ("bpmn", "activate", "nope", "1")):
        result = invoke(app, *args)
        assert result.exit_code == 2 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1


def test_a_model_text_over_the_limit_from_the_modeler_gets_the_words_not_a_413(app):
    browser = admin_browser(app)
    big = SHIPPED.replace(b"</bpmn:definitions>", b"<!--" + b"x" * (6 * 1024 * 1024) + b"--></bpmn:definitions>")
    for url in ("/werk/beheer/processen/melding/controleren", "/werk/beheer/processen/melding/in-gebruik-nemen"):
        response = post_xml(browser, url, big)
        assert response.status_code in (200, 422) and response.get_json()["ok"] is False
        assert "groter dan 5 MB" in response.get_json()["problems"][0]["message"]
    assert versions() == [1] and audit() == []


# -- the migration -------------------------------------------------------------------------------------------------

def test_migration_keeps_the_newest_version_in_use_and_marks_existing_versions_shipped(fresh_app):
    """On a database from before 0016a with two versions of melding, new cases stay on the newest one."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    upgrade(revision="0015")
    for version, sha in ((1, "a" * 64), (2, "b" * 64)):
        db.session.execute(text(
            "INSERT INTO process_definitions (key, version, sha256, filename, xml, deployed_at, deployed_by) "
            "VALUES ('melding', :v, :sha, 'melding.bpmn', :xml, CURRENT_TIMESTAMP, 'cli')"),
            {"v": version, "sha": sha, "xml": SHIPPED.decode()})
    db.session.commit()
    upgrade(revision="0016a")
    rows = db.session.execute(text("SELECT d.version, d.origin, a.chosen_by FROM active_processes a "
                                   "JOIN process_definitions d ON d.id = a.definition_id")).all()
    db.session.commit()  # no transaction of ours may hold a lock the downgrade's DDL waits for
    assert [tuple(r) for r in rows] == [(2, "shipped", "shipped")]
    downgrade(revision="0015")
    assert db.session.execute(text("SELECT count(*) FROM process_definitions")).scalar() == 2
    db.session.commit()
