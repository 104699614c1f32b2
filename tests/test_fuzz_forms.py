"""No public form, no Open311 call and no login answers a server error, whatever is sent: a hypothesis
fuzzer over the report form (/melden), the feedback page, the contractor portal, the tracking page and its answer form,
Open311 GET and POST (JSON and XML) and the staff login, on SQLite and PostgreSQL.

Values are drawn from random text and from a list of known troublemakers (NUL, numbers past the BIGINT
range, digits that are not ASCII, NaN and infinities, impossible dates, very long text, markup); the links
are both genuine (a closed case's feedback link, a contractor's order link, a tracking token) and garbage.
Bounded (MAX_EXAMPLES per target) and deterministic (derandomized, no example database); CSRF is off here,
so the data reaches the views (the CSRF checks have tests of their own).
"""
from __future__ import annotations

import io
import os
from urllib.parse import quote

import pytest

from engine.db import db
from intake.open311_keys import create_key

from .helpers import with_password
from .services import IN_CI
from .test_contractor_portal import order_work, portal_path
from .test_feedback_page import close_melding, links
from .test_public_form import JPEG

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Bounded: 30 examples per target in `make test`, 60 in CI; MELDPUNT_FUZZ_EXAMPLES=500 makes a longer run (the
# same derandomized start, more examples).
MAX_EXAMPLES = int(os.environ.get("MELDPUNT_FUZZ_EXAMPLES", "60" if IN_CI else "30"))
SETTINGS = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))
ODD = ["", " ", "\x00", "a\x00b", "99999999999999999999", "9223372036854775808", "9223372036854775807", "-1", "0",
       "1.5", "²", "١٢٣", "1e309", "-1e309", "nan", "inf", "NaN", "0x1F", "1_000", "2026-02-30", "31/02/2026",
       "9999-12-31", "0001-01-01", "10000-01-01", "2026-13-01T25:61:00Z", "2026-03-01T09:30:00+99:00",
       "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "a" * 5001, "Één café 🚧",
       "\u202e", "\r\n", "ja", "nee", "andere", "snel", "planned", "done", "refused", "straatlamp-defect", "geen",
       "sluikstort", "vuilbak-vol", "open", "closed", "json", "xml", "M2026-000001", "nl", "en", "1", "51.03",
       "4.48", "-91", "181", "els@voorbeeld.example", "@", "a@b", "0470 12 34 56", "+" * 40,
       "A" * 25 + "\x00" + "B" * 6]  # as long as a token, with a NUL
TEXT = st.one_of(st.sampled_from(ODD), st.sampled_from(ODD).map(lambda odd: f"straatlamp-defect{odd}"),
                 st.text(max_size=30), st.text(st.characters(codec="utf-8"), max_size=200))
PHOTO_BYTES = st.one_of(st.sampled_from([JPEG, b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b"%PDF-1.4\n"]),
                        st.binary(max_size=64))
PHOTOS = st.lists(st.tuples(PHOTO_BYTES, TEXT), max_size=4)


def form(base: dict[str, str], *extra: str):
    """The genuine fields of `base` with one of them odd (to get past the other checks), or every field of `base`
    either genuine or odd and the `extra` ones odd or absent."""
    one_odd = st.tuples(st.sampled_from(list(base)), TEXT).map(lambda odd: {**base, odd[0]: odd[1]})
    all_odd = st.fixed_dictionaries({name: st.one_of(st.just(value), TEXT) for name, value in base.items()},
                                    optional={**{name: TEXT for name in extra}, "onbekend": TEXT})
    return st.one_of(one_odd, all_odd)


def without_absent(data: dict) -> dict:
    return {name: value for name, value in data.items() if value is not None}


def segment(valid: list[str]):
    """A path segment: a genuine one, or garbage (quoted, so it stays one segment)."""
    return st.one_of(st.sampled_from(valid), TEXT.map(lambda text: quote(text, safe="")).filter(bool))


SEEN: dict[str, set[int]] = {}


def sweep(base: dict[str, str], send) -> None:
    """Every known troublemaker in every field of `base` in turn, the others genuine: before the random part,
    so the values that broke things once are always tried, whatever hypothesis draws."""
    for name in base:
        for odd in ODD:
            send({**base, name: odd})


def sweep_segment(send) -> None:
    for odd in ODD:
        if odd:
            send(quote(odd, safe=""))


def served(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:400])
    SEEN.setdefault(what, set()).add(response.status_code)
    db.session.rollback()


def reached(*expected: tuple[str, int]) -> None:
    """The fuzzer got past the errors too: these answers were seen (a fuzzer that only meets 404s tests little)."""
    for what, status in expected:
        assert status in SEEN.get(what, set()), (what, SEEN.get(what))


@pytest.fixture
def open_app(app):
    app.config.update(WTF_CSRF_ENABLED=False, MELDPUNT_REPORT_RATE="1000000/1",  # the fuzzer reaches the code,
                      MELDPUNT_PUBLIC_POST_RATE="1000000/1", MELDPUNT_OPEN311_RATE="1000000/1",  # not a 429
                      MELDPUNT_LOGIN_ACCOUNT_RATE="1000000/1", MELDPUNT_LOGIN_CLIENT_RATE="1000000/1")
    return app


def _multipart(data: dict, photos: list) -> dict:
    return {**data, "photos": [(io.BytesIO(content), name) for content, name in photos]}


REPORT = {"categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen", "lat": "", "lon": "",
          "description": "De straatlamp aan paal 12 brandt al een week niet.", "name": "Els Peeters",
          "email": "els@voorbeeld.example", "phone": "0470 12 34 56"}


def test_the_report_form_never_fails(open_app, client):
    SEEN.clear()

    @SETTINGS
    @given(query=form({"zoek": "lamp kapot", "categorie": "straatlamp-defect"}))
    def search(query):
        served(client.get("/melden", query_string=query), "GET /melden")

    @SETTINGS
    @given(data=form(REPORT), photos=PHOTOS)
    def submit(data, photos):
        served(client.post("/melden", data=_multipart(data, photos), content_type="multipart/form-data"),
               "POST /melden")

    sweep({"zoek": "lamp kapot", "categorie": "straatlamp-defect"},
          lambda query: served(client.get("/melden", query_string=query), "GET /melden"))
    sweep(REPORT, lambda data: served(client.post("/melden", data=data, content_type="multipart/form-data"),
                                      "POST /melden"))
    for odd in ODD:
        served(client.post("/melden", data=_multipart(REPORT, [(JPEG, odd)]), content_type="multipart/form-data"),
               "POST /melden")
    search()
    submit()
    reached(("GET /melden", 200), ("POST /melden", 303), ("POST /melden", 422))


def test_the_feedback_page_never_fails(open_app, client, staff):
    SEEN.clear()
    valid = [links(close_melding(staff))[1].split("?")[0].rsplit("/", 1)[-1]]

    @SETTINGS
    @given(token=segment(valid), query=form({"tevreden": "nee", "lang": "nl"}))
    def show(token, query):
        served(client.get(f"/feedback/{token}", query_string=query), "GET /feedback")

    @SETTINGS
    @given(token=segment(valid), data=form({"tevreden": "nee", "antwoord_ja": "", "antwoord_nee": "andere",
                                            "opmerking": ""}))
    def answer(token, data):
        served(client.post(f"/feedback/{token}", data=data), "POST /feedback")

    base = {"tevreden": "nee", "antwoord_ja": "", "antwoord_nee": "andere", "opmerking": ""}
    sweep_segment(lambda token: served(client.get(f"/feedback/{token}"), "GET /feedback"))
    sweep_segment(lambda token: served(client.post(f"/feedback/{token}", data=base), "POST /feedback"))
    sweep({"tevreden": "nee", "lang": "nl"},
          lambda query: served(client.get(f"/feedback/{valid[0]}", query_string=query), "GET /feedback"))
    sweep(base, lambda data: served(client.post(f"/feedback/{valid[0]}", data=data), "POST /feedback"))
    show()
    answer()
    reached(("GET /feedback", 200), ("GET /feedback", 404), ("POST /feedback", 422))


def test_the_contractor_portal_never_fails(open_app, client, staff):
    SEEN.clear()
    valid = [portal_path(order_work(staff)).rsplit("/", 1)[-1]]

    @SETTINGS
    @given(token=segment(valid), query=form({"gemeld": "planned"}))
    def show(token, query):
        served(client.get(f"/opdracht/{token}", query_string=query), "GET /opdracht")

    @SETTINGS
    @given(token=segment(valid), data=form({"result": "planned", "planned_for": "31/12/2099", "note": "Morgen"}),
           photos=PHOTOS)
    def report(token, data, photos):
        served(client.post(f"/opdracht/{token}", data=_multipart(data, photos), content_type="multipart/form-data"),
               "POST /opdracht")

    base = {"result": "planned", "planned_for": "31/12/2099", "note": "Morgen"}
    sweep_segment(lambda token: served(client.get(f"/opdracht/{token}"), "GET /opdracht"))
    sweep_segment(lambda token: served(client.post(f"/opdracht/{token}", data=base), "POST /opdracht"))
    sweep({"gemeld": "planned"},
          lambda query: served(client.get(f"/opdracht/{valid[0]}", query_string=query), "GET /opdracht"))
    for result in ("planned", "done", "refused"):
        sweep({**base, "result": result}, lambda data: served(
            client.post(f"/opdracht/{valid[0]}", data=data, content_type="multipart/form-data"), "POST /opdracht"))
    for odd in ODD:
        served(client.post(f"/opdracht/{valid[0]}", data=_multipart({**base, "result": "done"}, [(JPEG, odd)]),
                           content_type="multipart/form-data"), "POST /opdracht")
    show()
    report()
    reached(("GET /opdracht", 200), ("GET /opdracht", 404), ("POST /opdracht", 422))


def test_the_tracking_page_never_fails(open_app, client, staff):
    SEEN.clear()
    valid = [staff.meldkamer.file_melding()["tracking_url"].rsplit("/", 1)[-1]]

    @SETTINGS
    @given(token=segment(valid), photo=segment(["1", "99999999999999999999"]), query=form({"lang": "nl"}))
    def track(token, photo, query):
        served(client.get(f"/volg/{token}", query_string=query), "GET /volg")
        served(client.get(f"/volg/{token}/foto/{photo}"), "GET /volg/foto")
        served(client.get(f"/melden/ontvangen/{token}"), "GET /melden/ontvangen")

    sweep_segment(lambda token: served(client.get(f"/volg/{token}"), "GET /volg"))
    sweep_segment(lambda token: served(client.get(f"/melden/ontvangen/{token}"), "GET /melden/ontvangen"))
    sweep_segment(lambda photo: served(client.get(f"/volg/{valid[0]}/foto/{photo}"), "GET /volg/foto"))
    sweep({"lang": "nl"}, lambda query: served(client.get(f"/volg/{valid[0]}", query_string=query), "GET /volg"))
    track()
    reached(("GET /volg", 200), ("GET /volg", 404), ("GET /melden/ontvangen", 200))


def test_the_answer_on_the_tracking_page_never_fails(open_app, client, staff):
    SEEN.clear()
    created = staff.meldkamer.file_melding()
    ref = created["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Aan welke paal?"})
    valid = [created["tracking_url"].rsplit("/", 1)[-1]]

    @SETTINGS
    @given(token=segment(valid), data=form({"antwoord": "Paal 1234"}, "form_token"), photos=PHOTOS)
    def answer(token, data, photos):
        served(client.post(f"/volg/{token}/antwoord", data=_multipart(data, photos),
                           content_type="multipart/form-data"), "POST /volg/antwoord")

    # The odd answers first, while the case waits (422); the first good one answers it, the rest find it answered.
    sweep({"antwoord": "Paal 1234"}, lambda data: served(client.post(f"/volg/{valid[0]}/antwoord", data=data),
                                                         "POST /volg/antwoord"))
    sweep_segment(lambda token: served(client.post(f"/volg/{token}/antwoord", data={"antwoord": "x"}),
                                       "POST /volg/antwoord"))
    for odd in ODD:
        served(client.post(f"/volg/{valid[0]}/antwoord", data=_multipart({"antwoord": "Paal"}, [(JPEG, odd)]),
                           content_type="multipart/form-data"), "POST /volg/antwoord")
    answer()
    reached(("POST /volg/antwoord", 422), ("POST /volg/antwoord", 200), ("POST /volg/antwoord", 409),
            ("POST /volg/antwoord", 404))


OPEN311_QUERY = ("service_request_id", "service_code", "start_date", "end_date", "lat", "long", "radius",
                 "page", "page_size", "jurisdiction_id", "api_key")
OPEN311_CREATE = {"service_code": "sluikstort", "lat": "51.03", "long": "4.48", "address_string": "Bruul 12",
                  "description": "Matras op het voetpad", "email": "els@voorbeeld.example", "first_name": "Els",
                  "last_name": "Peeters", "phone": "0470 12 34 56", "media_url": "https://foto.example/1.jpg",
                  "attribute[soort_afval]": "grofvuil"}
OPEN311_EXTRA = ("address_id", "device_id", "account_id", "jurisdiction_id", "attribute[paalnummer]",
                 "attribute[aantal_vuilbakken]", "attribute[x]", "attribute[soort_afval][]", "attribute")


def test_open311_never_fails(open_app, client, staff):
    SEEN.clear()
    _key, api_key = create_key("Open311-fuzz", created_by="test")  # an Open311 app's own key, not a staff token
    db.session.commit()
    reference = staff.meldkamer.file_melding()["reference"]
    fmt = st.sampled_from(["json", "xml", "html"])

    @SETTINGS
    @given(fmt=fmt, query=form({"status": "open"}, *OPEN311_QUERY), ref=segment([reference]),
           code=segment(["straatlamp-defect", "sluikstort"]), media=segment(["1", "99999999999999999999"]))
    def read(fmt, query, ref, code, media):
        served(client.get(f"/open311/v2/requests.{fmt}", query_string=query), "GET requests")
        served(client.get(f"/open311/v2/requests/{ref}.{fmt}", query_string=query), "GET request")
        served(client.get(f"/open311/v2/requests/{ref}/media/{media}"), "GET media")
        served(client.get(f"/open311/v2/services/{code}.{fmt}"), "GET service")
        served(client.get(f"/open311/v2/services.{fmt}", query_string=query), "GET services")
        served(client.get(f"/open311/v2/discovery.{fmt}"), "GET discovery")

    @SETTINGS
    @given(fmt=fmt, data=form({"api_key": api_key, **OPEN311_CREATE}, *OPEN311_EXTRA))
    def create(fmt, data):
        served(client.post(f"/open311/v2/requests.{fmt}", data=data), "POST requests")

    # the sweep in JSON (the format only changes how the same answer is written; the random part below mixes them)
    sweep({"status": "open", **{name: "" for name in OPEN311_QUERY}},
          lambda query: served(client.get("/open311/v2/requests.json", query_string=query), "GET requests"))
    sweep_segment(lambda ref: served(client.get(f"/open311/v2/requests/{ref}.xml"), "GET request"))
    sweep_segment(lambda code: served(client.get(f"/open311/v2/services/{code}.json"), "GET service"))
    sweep({"api_key": api_key, **OPEN311_CREATE, **{name: "" for name in OPEN311_EXTRA}},
          lambda data: served(client.post("/open311/v2/requests.json", data=data), "POST requests"))
    sweep_segment(lambda media: served(client.get(f"/open311/v2/requests/{reference}/media/{media}"), "GET media"))
    read()
    create()
    reached(("GET requests", 200), ("GET requests", 400), ("GET request", 200), ("GET request", 404),
            ("GET service", 404), ("POST requests", 200), ("POST requests", 400), ("POST requests", 403))


def test_the_staff_login_never_fails(open_app, client, staff):
    SEEN.clear()
    with_password(staff.meldkamer.user, "juist-wachtwoord")

    @settings(SETTINGS, max_examples=MAX_EXAMPLES // 3)
    @given(data=form({"username": "an", "password": "juist-wachtwoord"}), query=form({"next": "/werk/meldkamer"}))
    def login(data, query):
        served(client.post("/werk/aanmelden", query_string=query, data=data), "POST /werk/aanmelden")
        served(client.get("/werk/aanmelden", query_string=query), "GET /werk/aanmelden")
        client.post("/werk/afmelden")

    # every login costs a password hash (scrypt, on purpose slow): the odd values go in the name, and only those
    # that are no text a person types go in the password
    sweep({"username": "an"}, lambda data: served(
        client.post("/werk/aanmelden", data={**data, "password": "fout"}), "POST /werk/aanmelden"))
    for odd in ("", "\x00", "a\x00b", "a" * 5001, "\u202e"):
        served(client.post("/werk/aanmelden", data={"username": "an", "password": odd}), "POST /werk/aanmelden")
    sweep({"next": "/werk/meldkamer"}, lambda query: served(
        client.get("/werk/aanmelden", query_string=query), "GET /werk/aanmelden"))
    login()
    reached(("POST /werk/aanmelden", 302), ("POST /werk/aanmelden", 401), ("GET /werk/aanmelden", 200))
