"""Open311 GeoReport v2 at /open311/v2: every endpoint in JSON and XML, filters, defaults and errors,
and the third-party `georeport` client against a live server."""
from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, Reporter
from handlers.files import open_file, store_file
from intake.open311_keys import create_key

from .images import png
from .live_server import live_app

API = "/open311/v2"
REPORTER = {"email": "els.melder@voorbeeld.example", "first_name": "Els", "last_name": "Melder",
            "phone": "+32470123456"}


@pytest.fixture
def api_key(app) -> str:
    """The key of an Open311 client app, made by the admin: what an Open311 api_key is."""
    _row, key = create_key("Testapp", "test")
    db.session.commit()
    return key


def xml(response) -> ET.Element:
    assert response.content_type.startswith("text/xml"), response.content_type
    return ET.fromstring(response.data)


def post(client, api_key, fmt="json", **fields):
    data = {"api_key": api_key, "service_code": "straatlamp-defect", "lat": "51.0275", "long": "4.4778",
            "description": "De straatlamp brandt al een week niet", **REPORTER}
    data.update(fields)
    return client.post(f"{API}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def create(client, api_key, **fields) -> str:
    response = post(client, api_key, **fields)
    assert response.status_code == 200, response.data
    return response.get_json()[0]["service_request_id"]


def case_row(reference: str) -> Case:
    return db.session.scalar(select(Case).where(Case.reference == reference))


def case_events(reference: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_row(reference).id)))


def assert_error(response, code: int, fmt: str = "json", words: str = "") -> str:
    assert response.status_code == code
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        errors = [{"code": int(e.findtext("code")), "description": e.findtext("description")}
                  for e in root.findall("error")]
    else:
        assert response.content_type.startswith("application/json")
        errors = response.get_json()
    assert len(errors) == 1 and errors[0]["code"] == code and errors[0]["description"]
    assert words in errors[0]["description"]
    return errors[0]["description"]


# ---------------------------------------------------------------- discovery and services

def test_discovery_in_json_and_xml(client):
    doc = client.get(f"{API}/discovery.json").get_json()
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://meldpunt.stad.example/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(client.get(f"{API}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/type") == "production"


def test_services_list_the_active_sub_categories(client):
    response = client.get(f"{API}/services.json")
    assert response.content_type.startswith("application/json")
    services = {s["service_code"]: s for s in response.get_json()}
    assert "verlichting" not in services  # a main category is a group, not a service
    lamp = services["straatlamp-defect"]
    assert lamp["service_name"] == "Straatlamp kapot" and lamp["group"] == "Openbare verlichting"
    assert lamp["type"] == "realtime" and lamp["metadata"] is True
    assert "straatlicht" in lamp["keywords"].split(", ")
    assert services["wegdek-put"]["metadata"] is False

    root = xml(client.get(f"{API}/services.xml"))
    assert root.tag == "services"
    by_code = {s.findtext("service_code"): s for s in root.findall("service")}
    assert set(by_code) == set(services)
    assert by_code["sluikstort"].findtext("metadata") == "true"
    assert by_code["wegdek-put"].findtext("metadata") == "false"
    assert by_code["sluikstort"].findtext("group") == "Netheid"


def test_inactive_category_is_not_a_service(client):
    from handlers.models import Category
    db.session.scalar(select(Category).where(Category.key == "onkruid")).active = False
    db.session.commit()
    codes = {s["service_code"] for s in client.get(f"{API}/services.json").get_json()}
    assert "onkruid" not in codes and "sluikstort" in codes
    assert_error(client.get(f"{API}/services/onkruid.json"), 404)


def test_service_definition_in_json_and_xml(client):
    doc = client.get(f"{API}/services/sluikstort.json").get_json()
    assert doc["service_code"] == "sluikstort"
    attribute = doc["attributes"][0]
    assert attribute["code"] == "soort_afval" and attribute["datatype"] == "singlevaluelist"
    assert attribute["required"] is True
    assert {"key": "grofvuil", "name": "Grofvuil (matras, meubels)"} in attribute["values"]

    root = xml(client.get(f"{API}/services/straatlamp-defect.xml"))
    assert root.tag == "service_definition"
    attr = root.find("attributes/attribute")
    assert attr.findtext("code") == "paalnummer" and attr.findtext("required") == "false"
    assert attr.findtext("datatype") == "string"

    root = xml(client.get(f"{API}/services/sluikstort.xml"))
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert keys[:2] == ["huisvuil", "grofvuil"]
    assert client.get(f"{API}/services/wegdek-put.json").get_json() == {"service_code": "wegdek-put",
                                                                       "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404_in_the_spec_format(client, fmt):
    assert_error(client.get(f"{API}/services/bestaat-niet.{fmt}"), 404, fmt, "bestaat-niet")


def test_unknown_format_is_400(client):
    assert_error(client.get(f"{API}/services.csv"), 400, "json", "format")


# ---------------------------------------------------------------- creating requests

def test_post_creates_a_melding_visible_through_get(client, api_key, app):
    response = post(client, api_key, **{"attribute[paalnummer]": "PL-4711",
                                        "media_url": "https://foto.example/lamp.jpg"})
    assert response.status_code == 200 and response.content_type.startswith("application/json")
    [created] = response.get_json()
    ref = created["service_request_id"]
    assert ref.startswith("M") and "werkdagen" in created["service_notice"]

    case = case_row(ref)
    assert case.channel == "app" and case.category.key == "straatlamp-defect"
    assert (case.lat, case.lon, case.location_checked) == (51.0275, 4.4778, True)
    assert case.address.endswith("2800 Mechelen")  # the nearest known address fills in (handlers/locations.py)
    assert case.description.startswith("De straatlamp brandt al een week niet")
    assert "Extra informatie:" in case.description and "PL-4711" in case.description
    assert "https://foto.example/lamp.jpg" in case.description
    assert (case.reporter.name, case.reporter.email, case.reporter.phone) == (
        "Els Melder", "els.melder@voorbeeld.example", "+32470123456")

    [item] = client.get(f"{API}/requests/{ref}.json").get_json()
    assert item["service_request_id"] == ref and item["status"] == "open"
    assert item["service_code"] == "straatlamp-defect" and item["service_name"] == "Straatlamp kapot"
    assert item["lat"] == 51.0275 and item["long"] == 4.4778
    assert item["requested_datetime"].endswith("Z") and item["status_notes"] == "Ontvangen"
    assert "description" not in item  # the reporter's text is never published; staff may write a public one
    assert "media_url" not in item  # no public photo yet; the reporter's link is not fetched
    app_events = [e for e in case_events(ref) if e.kind == "open311_app"]
    assert [e.note for e in app_events] == ["via Open311-app Testapp"]


def test_post_in_xml_with_an_address(client, api_key):
    response = post(client, api_key, "xml", lat=None, long=None, address_string="Bruul 12, 2800 Mechelen",
                    service_code="sluikstort", **{"attribute[soort_afval]": "grofvuil"})
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    ref = root.findtext("request/service_request_id")
    assert root.findtext("request/service_notice")
    case = case_row(ref)
    assert case.address == "Bruul 12, 2800 Mechelen" and case.location_checked is True  # found in the addresses
    assert (round(case.lat, 2), round(case.lon, 2)) == (51.03, 4.48)
    assert "Grofvuil (matras, meubels)" in case.description

    root = xml(client.get(f"{API}/requests/{ref}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == ref and request.findtext("status") == "open"
    assert request.findtext("address") == "Bruul 12, 2800 Mechelen"
    assert request.findtext("service_code") == "sluikstort"


def test_staff_api_tokens_are_no_api_keys(client, staff):
    """Open311 apps get keys of their own (tests/test_open311_keys.py); a staff token opens the staff API only."""
    assert_error(post(client, staff.admin.token), 403, words="api_key")
    assert_error(post(client, staff.meldkamer.token), 403, words="api_key")
    assert_error(post(client, staff.ood.token, "xml"), 403, "xml", "api_key")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "geen-geldige-sleutel"])
def test_missing_or_invalid_api_key_is_403(client, api_key, fmt, key):
    assert_error(post(client, key, fmt), 403, fmt, "api_key")
    assert db.session.scalar(select(Case.id)) is None


def test_revoked_key_is_403(client, api_key):
    from intake.open311_keys import revoke_key

    revoke_key("Testapp", "test")
    db.session.commit()
    assert_error(post(client, api_key), 403)


@pytest.mark.parametrize("fields, words", [
    ({"service_code": None}, "service_code"),
    ({"lat": None, "long": None}, "location"),
    ({"lat": None, "long": None, "address_id": "123"}, "address_id"),
    ({"long": None}, "lat and long"),
    ({"lat": "noord"}, "lat"),
    ({"lat": "91"}, "lat"),
    ({"long": "nan"}, "long"),
    ({"email": "geen-adres"}, "email"),
    ({"media_url": "javascript:alert(1)"}, "media_url"),
    ({"description": "x" * 5001}, "description"),
    ({"description": "kapot"}, "description"),
    ({"address_string": "x" * 301}, "address_string"),
    ({"description": "nul\x00byte"}, "NUL"),
    ({"attribute[kleur]": "rood"}, "kleur"),
    ({"service_code": "sluikstort"}, "soort_afval"),
    ({"service_code": "sluikstort", "attribute[soort_afval]": "kernafval"}, "kernafval"),
    ({"service_code": "vuilbak-vol", "attribute[aantal_vuilbakken]": "veel"}, "number"),
])
def test_bad_or_missing_parameters_are_400(client, api_key, fields, words):
    assert_error(post(client, api_key, **fields), 400, words=words)
    assert db.session.scalar(select(Case.id)) is None


def test_bad_parameter_in_xml_is_400_in_xml(client, api_key):
    assert_error(post(client, api_key, "xml", lat="x"), 400, "xml", "lat")


def test_unknown_service_on_post_is_404(client, api_key):
    assert_error(post(client, api_key, service_code="ufo-geland"), 404, words="ufo-geland")


def test_valid_attributes_are_accepted(client, api_key):
    ref = create(client, api_key, service_code="vuilbak-vol", **{"attribute[aantal_vuilbakken]": "3"})
    assert "Hoeveel vuilbakken zijn vol?: 3" in case_row(ref).description
    ref = create(client, api_key, description=None)  # description is optional: the service name stands in
    assert case_row(ref).description == "Straatlamp kapot"


# ---------------------------------------------------------------- reading requests

def _no_personal_data(body: bytes) -> None:
    for value in ("els.melder", "Els", "Melder", "32470123456", "onthaal"):
        assert value.encode() not in body


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_responses_carry_no_personal_data(client, api_key, fmt):
    """The request, alone and in the list, answers 200 with exactly the public fields: no reporter, and not
    the reporter's own text (an error page would carry no personal data either, so the body is checked whole)."""
    ref = create(client, api_key, description="Lamp stuk aan de kerk")
    case = case_row(ref)
    expected = {"service_request_id": ref, "status": "open", "status_notes": "Ontvangen",
                "service_name": "Straatlamp kapot", "service_code": "straatlamp-defect",
                "requested_datetime": case.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_datetime": case.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "address": case.address, "lat": 51.0275, "long": 4.4778}  # the nearest address, filled in
    assert case.address.endswith("2800 Mechelen")
    for url in (f"{API}/requests/{ref}.{fmt}", f"{API}/requests.{fmt}"):
        response = client.get(url)
        assert response.status_code == 200, response.data
        if fmt == "json":
            assert response.get_json() == [expected]
        else:
            root = xml(response)
            assert root.tag == "service_requests"
            assert [{child.tag: child.text for child in request} for request in root] == [
                {key: str(value) for key, value in expected.items()}]
        _no_personal_data(response.data)
        assert b"Lamp stuk" not in response.data


def test_dispatched_and_closed_requests(client, api_key, staff):
    ref = create(client, api_key)
    other = create(client, api_key, service_code="overlast", description="Lawaai van de buren")
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.meldkamer.complete(other, "triage", {"decision": "refer", "public_text": "Neem contact op met de politie."})

    [item] = client.get(f"{API}/requests/{ref}.json").get_json()
    case = case_row(ref)
    assert item["status"] == "open" and item["agency_responsible"] == "Onderhoud openbaar domein"
    assert case.deadline_at is not None and item["expected_datetime"].endswith("Z")

    [closed] = client.get(f"{API}/requests/{other}.json").get_json()
    assert closed["status"] == "closed" and closed["status_notes"] == "Neem contact op met de politie."

    assert [r["service_request_id"] for r in client.get(f"{API}/requests.json?status=closed").get_json()] == [other]
    assert [r["service_request_id"] for r in client.get(f"{API}/requests.json?status=open").get_json()] == [ref]
    assert len(client.get(f"{API}/requests.json?status=open,closed").get_json()) == 2
    root = xml(client.get(f"{API}/requests.xml?status=closed"))
    assert [r.findtext("status") for r in root.findall("request")] == ["closed"]


def test_filters_by_id_and_service_code(client, api_key):
    lamp = create(client, api_key)
    stort = create(client, api_key, service_code="sluikstort", **{"attribute[soort_afval]": "huisvuil"})
    put = create(client, api_key, service_code="wegdek-put")

    def refs(query: str, fmt: str = "json") -> list[str]:
        response = client.get(f"{API}/requests.{fmt}?{query}")
        assert response.status_code == 200, response.data
        if fmt == "xml":
            return [r.findtext("service_request_id") for r in xml(response).findall("request")]
        return [r["service_request_id"] for r in response.get_json()]

    assert refs("") == [put, stort, lamp]  # newest first
    assert refs(f"service_request_id={lamp},{put}") == [put, lamp]
    assert refs(f"service_request_id={lamp}", "xml") == [lamp]
    # service_request_id overrides all other arguments
    assert refs(f"service_request_id={lamp}&service_code=sluikstort&status=closed") == [lamp]
    assert refs("service_code=sluikstort") == [stort]
    assert refs("service_code=sluikstort,wegdek-put", "xml") == [put, stort]
    assert refs("service_code=bestaat-niet") == []
    assert refs("service_request_id=M1999-999999") == []


def test_date_range_defaults_to_the_last_90_days(client, api_key):
    recent = create(client, api_key)
    old = create(client, api_key, service_code="wegdek-put")
    created = utcnow() - timedelta(days=200)
    case_row(old).created_at = created
    db.session.commit()

    def refs(query: str) -> list[str]:
        response = client.get(f"{API}/requests.json?{query}")
        assert response.status_code == 200, response.data
        return [r["service_request_id"] for r in response.get_json()]

    assert refs("") == [recent]
    day = created.strftime("%Y-%m-%d")
    assert refs(f"start_date={day}T00:00:00Z&end_date={day}T23:59:59Z") == [old]
    assert refs(f"start_date={day}T00:00:00Z") == [old]  # start alone: 90 days from there
    assert refs(f"end_date={(created + timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%S')}%2B02:00") == [old]
    assert refs(f"service_request_id={old}") == [old]  # an explicit id is found whatever its date
    [item] = client.get(f"{API}/requests/{old}.json").get_json()
    assert item["requested_datetime"] == created.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_at_most_1000_results(client, api_key, monkeypatch):
    from intake import open311
    monkeypatch.setattr(open311, "MAX_RESULTS", 2)
    refs = [create(client, api_key) for _ in range(3)]
    assert [r["service_request_id"] for r in client.get(f"{API}/requests.json").get_json()] == refs[:0:-1]
    assert open311.DEFAULT_SPAN == timedelta(days=90)


@pytest.mark.parametrize("query, words", [
    ("status=half", "status"),
    ("start_date=gisteren", "start_date"),
    ("end_date=2026-13-01T00:00:00Z", "end_date"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2025-12-01T00:00:00Z", "before"),
    ("start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z", "90 days"),
    ("end_date=0001-01-01T00:00:00Z", "out of range"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_400(client, query, words, fmt):
    assert_error(client.get(f"{API}/requests.{fmt}?{query}"), 400, fmt, words)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_is_404(client, fmt):
    assert_error(client.get(f"{API}/requests/M2026-999999.{fmt}"), 404, fmt, "M2026-999999")


def test_post_and_mail_cases_are_not_service_requests(client, api_key):
    ref = create(client, api_key)
    case_row(ref).kind = "post"
    db.session.commit()
    assert_error(client.get(f"{API}/requests/{ref}.json"), 404)
    assert client.get(f"{API}/requests.json").get_json() == []


def test_public_photo_is_the_media_url(client, api_key):
    ref = create(client, api_key)
    case = case_row(ref)
    hidden = store_file(case, png(), "intern.png", source="medewerker", uploaded_by="test")
    db.session.commit()
    assert "media_url" not in client.get(f"{API}/requests/{ref}.json").get_json()[0]
    assert client.get(f"{API}/requests/{ref}/media/{hidden.public_token}").status_code == 404
    shown = store_file(case, png(), "lamp.png", source="medewerker", uploaded_by="test", public=True)
    db.session.commit()
    url = f"https://meldpunt.stad.example/open311/v2/requests/{ref}/media/{shown.public_token}"
    assert client.get(f"{API}/requests/{ref}.json").get_json()[0]["media_url"] == url
    assert xml(client.get(f"{API}/requests.xml")).findtext("request/media_url") == url
    photo = client.get(url.removeprefix("https://meldpunt.stad.example"))
    with open_file(shown) as stored:
        assert photo.status_code == 200 and photo.data == stored.read() and photo.content_type == "image/png"


def test_reporter_is_reused_by_email(client, api_key):
    create(client, api_key)
    create(client, api_key, email="ELS.MELDER@voorbeeld.example")
    assert len(db.session.scalars(select(Reporter)).all()) == 1


# ---------------------------------------------------------------- the third-party client

def test_georeport_client_against_a_live_server(tmp_path, monkeypatch):
    """The PyPI client `georeport` (read-only: it has no call to create a request) in JSON and XML;
    the request itself is created with a plain form POST as the spec describes."""
    georeport = pytest.importorskip("georeport")
    requests = pytest.importorskip("requests")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # georeport calls requests.get itself
    with live_app(tmp_path) as (app, base):
        with app.app_context():
            _row, token = create_key("Georeport-test", "test")
            db.session.commit()
            db.session.remove()
        root = f"{base}/open311/v2"
        session = requests.Session()
        session.trust_env = False  # a local server: never through a proxy
        response = session.post(f"{root}/requests.json", data={
            "api_key": token, "service_code": "sluikstort", "address_string": "Veemarkt 1, 2800 Mechelen",
            "attribute[soort_afval]": "bouwafval", "description": "Puin langs de Dijle",
            "email": "x@voorbeeld.example"})
        assert response.status_code == 200, response.text
        ref = response.json()[0]["service_request_id"]

        for fmt in ("json", "xml"):
            client = georeport.GeoReport(root, api_key=token, output_format=fmt)
            services = client.get_service_list()
            assert {"straatlamp-defect", "sluikstort"} <= {s["service_code"] for s in services}
            definition = client.get_service_definition("sluikstort")
            assert definition["service_code"] == "sluikstort"
            attributes = definition["attributes"]
            attribute = attributes[0] if fmt == "json" else attributes["attribute"]
            assert attribute["code"] == "soort_afval"
            one = client.get_service_request(ref)
            assert one["service_request_id"] == ref and one["status"] == "open"
            assert one["service_code"] == "sluikstort" and "description" not in one
            many = client.get_service_requests(service_code="sluikstort", status="open")
            many = [many] if isinstance(many, dict) else many  # xmltodict: one <request> is not a list
            assert [r["service_request_id"] for r in many] == [ref]
            assert "x@voorbeeld" not in json.dumps(many)
