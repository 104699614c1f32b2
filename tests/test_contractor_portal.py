"""The contractor portal as an aannemer uses it from the link in the order mail: see the order, plan it,
report it done with photos, or refuse it; and every way a link or a form can go wrong."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import g
from freezegun import freeze_time
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engine import timers
from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent, CaseFile
from handlers.calendar import CITY_TZ
from handlers.files import MAX_BYTES
from handlers.models import ContractorOrder
from notifications.models import OutboxMessage

from .helpers import CSRF, timeline_kinds
from .images import phone_jpeg, png

JPEG = phone_jpeg()  # real images: the portal decodes and re-encodes every photo
PNG = png()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
REPORTER = {"name": "Els Melder", "email": "melder@voorbeeld.example", "phone": "0470 12 34 56"}


def portal_path(reference: str, template: str = "aannemer_opdracht") -> str:
    """The path of the contractor's link, as mailed in the outbox."""
    mails = [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
             if m.data.get("reference") == reference]
    assert mails, f"no {template} mail for {reference}"
    url = mails[-1].data["portal_url"]
    assert url.startswith("https://meldpunt.stad.example/opdracht/")
    return urlsplit(url).path


def order_work(staff, description: str = "Straatlamp brandt niet", instructions: str = "Lamp vervangen aan paal 12"
               ) -> str:
    """A melding that the handler group ordered from the lighting contractor; returns its reference."""
    ref = staff.meldkamer.file_melding(description, reporter=REPORTER)["reference"]
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                       "instructions": instructions})
    assert staff.ood.case(ref)["status"] == "bij_aannemer"
    return ref


class ContractorPhone:
    """The contractor's browser: opens the link and sends its forms with the page's CSRF token."""

    def __init__(self, app, path: str) -> None:
        self.client = app.test_client()
        self.path = path
        self.csrf = None

    def open(self, path: str | None = None):
        response = self.client.get(path or self.path)
        match = CSRF.search(response.get_data(as_text=True))
        if match:
            self.csrf = match.group(1)
        return response

    def send(self, data: dict, path: str | None = None, csrf: bool = True, follow: bool = False):
        if csrf and self.csrf is None:
            self.open()
        body = {**data, **({"csrf_token": self.csrf} if csrf else {})}
        return self.client.post(path or self.path, data=body, content_type="multipart/form-data",
                                follow_redirects=follow)

    def plan(self, day: str, **kw):
        return self.send({"result": "planned", "planned_for": day}, **kw)

    def done(self, note: str = "", photos: list[tuple[bytes, str]] = (), **kw):
        return self.send({"result": "done", "note": note,
                          "photos": [(io.BytesIO(content), name) for content, name in photos]}, **kw)

    def refuse(self, reason: str = "", **kw):
        return self.send({"result": "refused", "note": reason}, **kw)


def local_today():
    return utcnow().astimezone(CITY_TZ).date()


def order_of(ref: str) -> ContractorOrder:
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    return db.session.scalars(select(ContractorOrder).where(ContractorOrder.case_id == case.id)
                              .order_by(ContractorOrder.id.desc()).execution_options(populate_existing=True)).first()


def stored_files(ref: str) -> list[CaseFile]:
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    return db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id)).all()


def files_on_disk(app) -> list[Path]:
    root = Path(app.config["MELDPUNT_STORAGE_PATH"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def report_count(staff, ref: str) -> int:
    return timeline_kinds(staff.ood.case(ref)).count("contractor_report")


@pytest.fixture
def ordered(app, staff):
    """A melding waiting on the contractor, and the contractor's phone with the mailed link."""
    ref = order_work(staff, description="Straatlamp brandt niet meer. Groeten, Els Melder "
                                        "(melder@voorbeeld.example, bel 0470 12 34 56)")
    return ref, ContractorPhone(app, portal_path(ref))


def test_the_link_shows_the_order_without_the_reporters_personal_data(ordered):
    ref, phone = ordered
    response = phone.open()
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ref in html and "Bruul 12, 2800 Mechelen" in html and "Straatlamp kapot" in html
    assert "Lamp vervangen aan paal 12" in html and "Straatlamp brandt niet meer." in html
    assert "Wacht op uw antwoord" in html
    for personal in ("Els", "Melder", "melder@voorbeeld.example", "0470", "12 34 56"):
        assert personal not in html
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert html.count('name="csrf_token"') == 3  # plan, done, refuse: every form carries the token


def test_the_reminder_mail_carries_a_link_to_the_same_order(app, staff):
    with freeze_time(utcnow(), tick=True) as clock:
        ref = order_work(staff)
        clock.tick(timedelta(days=3, minutes=1))
        assert timers.tick() == 1
        response = ContractorPhone(app, portal_path(ref, "aannemer_herinnering")).open()
    assert response.status_code == 200 and "Lamp vervangen aan paal 12" in response.get_data(as_text=True)


def test_accepting_with_a_date_plans_the_work_and_the_case_keeps_waiting(staff, ordered):
    ref, phone = ordered
    day = local_today() + timedelta(days=7)
    response = phone.plan(day.isoformat())
    assert response.status_code == 303
    page = phone.open(response.headers["Location"]).get_data(as_text=True)
    assert "Bedankt. De geplande datum is doorgegeven" in page
    assert f"Gepland op {day.strftime('%d/%m/%Y')}" in page

    case = staff.ood.case(ref)
    assert case["status"] == "bij_aannemer"
    report = [e for e in case["timeline"] if e["kind"] == "contractor_report"]
    assert report and report[0]["text"] == f"De werken zijn gepland op {day.isoformat()}."
    assert order_of(ref).status == "planned" and order_of(ref).planned_for == day.isoformat()


def test_today_is_a_valid_planned_date_and_the_plan_can_be_changed(staff, ordered):
    ref, phone = ordered
    assert phone.plan(local_today().isoformat()).status_code == 303
    later = local_today() + timedelta(days=14)
    assert phone.plan(later.strftime("%d/%m/%Y")).status_code == 303  # typed the Flemish way
    assert order_of(ref).planned_for == later.isoformat()
    assert staff.ood.case(ref)["status"] == "bij_aannemer"


@pytest.mark.parametrize("day, message", [
    ("", "Vul de datum in waarop de werken gepland zijn."),
    ("volgende week", "Dit is geen geldige datum."),
    ("past", "De datum mag niet in het verleden liggen."),
])
def test_a_missing_or_past_date_is_refused_and_nothing_is_saved(staff, ordered, day, message):
    ref, phone = ordered
    if day == "past":
        day = (local_today() - timedelta(days=1)).isoformat()
    response = phone.plan(day)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'value="{day}"' in html  # what was typed comes back
    assert order_of(ref).status == "open" and report_count(staff, ref) == 0


def test_reporting_done_with_a_photo_hands_the_case_back_to_the_handler(app, staff, ordered):
    ref, phone = ordered
    response = phone.done("Lamp vervangen", photos=[(JPEG, "paal12.jpg"), (PNG, "na.png")], follow=True)
    assert response.status_code == 200
    assert "De stad weet nu dat de werken uitgevoerd zijn." in response.get_data(as_text=True)

    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling"
    assert [w["task"] for w in case["work_items"]] == ["handle"]
    assert "De aannemer meldt dat de werken zijn uitgevoerd." in [e["text"] for e in case["timeline"]]
    files = stored_files(ref)
    assert sorted((f.filename, f.content_type, f.source) for f in files) == [
        ("na.png", "image/png", "aannemer"), ("paal12.jpg", "image/jpeg", "aannemer")]
    assert {f.uploaded_by for f in files} == {"Lichtwerk Rupel nv (aannemer)"}
    assert not any(f.public for f in files)
    assert len(files_on_disk(app)) == 2
    assert order_of(ref).status == "done" and order_of(ref).report == "Lamp vervangen"


def test_refusing_needs_a_reason(staff, ordered):
    ref, phone = ordered
    response = phone.refuse("   ")
    assert response.status_code == 422
    assert "Geef de reden waarom u de opdracht weigert." in response.get_data(as_text=True)
    assert staff.ood.case(ref)["status"] == "bij_aannemer" and order_of(ref).status == "open"

    assert phone.refuse("Geen hoogtewerker beschikbaar deze maand").status_code == 303
    case = staff.ood.case(ref)
    assert case["status"] == "in_behandeling"
    assert order_of(ref).status == "refused" and order_of(ref).report == "Geen hoogtewerker beschikbaar deze maand"
    assert "Geen hoogtewerker beschikbaar deze maand" in phone.open().get_data(as_text=True)


@pytest.mark.parametrize("content, name", [(PDF, "foto.jpg"), (b"dit is gewoon tekst", "lamp.jpg"),
                                           (PDF, "offerte.pdf")])
def test_an_upload_that_is_not_a_photo_is_refused_and_nothing_is_stored(app, staff, ordered, content, name):
    ref, phone = ordered
    response = phone.done("Lamp vervangen", photos=[(JPEG, "goed.jpg"), (content, name)])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"{name}: dit is geen foto. Alleen JPEG of PNG is toegelaten." in html
    assert "Lamp vervangen</textarea>" in html  # the note is kept, the files must be chosen again
    assert stored_files(ref) == [] and files_on_disk(app) == []
    assert staff.ood.case(ref)["status"] == "bij_aannemer" and order_of(ref).status == "open"


def test_a_photo_over_the_size_limit_is_refused_with_a_dutch_message(app, staff, ordered):
    ref, phone = ordered
    big = JPEG[:4] + b"\x00" * MAX_BYTES
    response = phone.done(photos=[(big, "groot.jpg")])
    assert response.status_code == 422
    assert "groot.jpg: de foto is te groot (maximaal 10 MB)." in response.get_data(as_text=True)
    assert stored_files(ref) == [] and files_on_disk(app) == []


def test_more_than_five_photos_are_refused(app, staff, ordered):
    ref, phone = ordered
    response = phone.done(photos=[(JPEG, f"foto{i}.jpg") for i in range(6)])
    assert response.status_code == 422
    assert "U kunt maximaal 5 foto&#39;s meesturen." in response.get_data(as_text=True)
    assert stored_files(ref) == [] and order_of(ref).status == "open"


def test_a_tampered_link_gets_a_dutch_not_found_page(app, staff, ordered):
    ref, phone = ordered
    phone.open()
    token = phone.path.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "Q") + token[-2:]  # the last char may be padding bits
    for bad in (flipped, "niet-een-echte-link", token[:20], "x" * 1000):
        response = phone.open(f"/opdracht/{bad}")
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Deze link is ongeldig" in html and "Traceback" not in html and "signature" not in html.lower()
        assert response.headers["X-Robots-Tag"] == "noindex"
    assert phone.plan(local_today().isoformat(), path=f"/opdracht/{flipped}").status_code == 404
    assert order_of(ref).status == "open"


def test_an_expired_link_says_so_and_accepts_nothing(app, staff, ordered):
    ref, phone = ordered
    phone.open()
    with freeze_time(utcnow() + timedelta(days=30, hours=1)):
        response = phone.open()
        assert response.status_code == 410
        assert "Deze link is verlopen" in response.get_data(as_text=True)
        assert phone.plan((local_today() + timedelta(days=1)).isoformat()).status_code == 410
    assert order_of(ref).status == "open" and report_count(staff, ref) == 0


def test_the_link_lifetime_follows_the_configuration(app, ordered):
    _ref, phone = ordered
    app.config["MELDPUNT_CONTRACTOR_LINK_DAYS"] = 60
    with freeze_time(utcnow() + timedelta(days=45)):
        assert phone.open().status_code == 200
    app.config["MELDPUNT_CONTRACTOR_LINK_DAYS"] = 1
    with freeze_time(utcnow() + timedelta(days=2)):
        assert phone.open().status_code == 410


def test_a_link_acts_on_its_own_order_only(app, staff, ordered):
    ref_a, phone_a = ordered
    ref_b = order_work(staff, instructions="Paal 7 rechtzetten")
    order_a, order_b = order_of(ref_a), order_of(ref_b)

    assert "Paal 7 rechtzetten" not in phone_a.open().get_data(as_text=True)
    assert phone_a.done("Klaar", photos=[(JPEG, "a.jpg")]).status_code == 303
    assert order_of(ref_a).status == "done" and staff.ood.case(ref_a)["status"] == "in_behandeling"
    assert order_of(ref_b).status == "open" and staff.ood.case(ref_b)["status"] == "bij_aannemer"
    assert stored_files(ref_b) == []

    # Without the secret key nobody can name another order; a genuine-looking mix of A and B is refused too.
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="contractor-order")
    mixed = signer.dumps({"order": order_b.id, "case": order_a.case_id})
    assert phone_a.open(f"/opdracht/{mixed}").status_code in (404, 410)
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="elders").dumps(
        {"order": order_b.id, "case": order_b.case_id})
    assert phone_a.open(f"/opdracht/{other_salt}").status_code == 404
    assert order_of(ref_b).status == "open"


def test_an_earlier_order_cannot_report_on_the_next_order_of_the_same_case(app, staff, ordered):
    ref, first = ordered
    assert first.refuse("Geen materiaal").status_code == 303
    staff.ood.complete(ref, "handle", {"action": "order_contractor", "contractor": "aannemer-verlichting",
                                       "instructions": "Tweede poging"})
    second_path = portal_path(ref)
    assert second_path != first.path

    response = first.done("Toch gedaan")
    assert response.status_code == 409 and "Deze opdracht werd geweigerd" in response.get_data(as_text=True)
    assert order_of(ref).status == "open" and staff.ood.case(ref)["status"] == "bij_aannemer"
    assert "Tweede poging" in ContractorPhone(app, second_path).open().get_data(as_text=True)


def test_reporting_twice_gets_a_friendly_conflict_page_and_changes_nothing(app, staff, ordered):
    ref, phone = ordered
    assert phone.done("Lamp vervangen").status_code == 303
    before = staff.ood.case(ref)
    version = db.session.scalar(select(Case.lock_version).where(Case.reference == ref))

    page = phone.open().get_data(as_text=True)
    assert "Uitgevoerd" in page and 'name="result"' not in page  # no form any more
    for again in (lambda: phone.done("Nog eens", photos=[(JPEG, "x.jpg")]),
                  lambda: phone.plan(local_today().isoformat()), lambda: phone.refuse("Toch niet")):
        response = again()
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "Deze opdracht is al gemeld als uitgevoerd" in html and 'name="result"' not in html
    after = staff.ood.case(ref)
    assert after["status"] == before["status"] == "in_behandeling"
    assert len(after["timeline"]) == len(before["timeline"])
    assert db.session.scalar(select(Case.lock_version).where(Case.reference == ref)) == version
    assert stored_files(ref) == [] and files_on_disk(app) == []


def test_a_post_without_a_valid_csrf_token_is_refused_and_the_form_comes_back(app, staff, ordered):
    ref, phone = ordered
    day = local_today().isoformat()
    phone.open()
    for response in (phone.plan(day, csrf=False),
                     phone.send({"result": "planned", "planned_for": day, "csrf_token": "vals"}, csrf=False),
                     ContractorPhone(app, phone.path).plan(day, csrf=False)):  # another browser, no session
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Het formulier was verlopen of onvolledig; er werd niets opgeslagen." in html
        assert f'value="{day}"' in html
    assert order_of(ref).status == "open" and report_count(staff, ref) == 0


def test_an_unknown_action_is_refused(staff, ordered):
    ref, phone = ordered
    response = phone.send({"result": "afgewerkt"})
    assert response.status_code == 422 and "Kies wat u wilt melden." in response.get_data(as_text=True)
    assert order_of(ref).status == "open"


def test_a_failure_while_delivering_the_report_leaves_no_photos_behind(app, staff, ordered, monkeypatch):
    ref, phone = ordered
    from engine.errors import Conflict
    from handlers import contractor_links

    def not_waiting(*_args, **_kwargs):
        raise Conflict("the case is not waiting")

    monkeypatch.setattr(contractor_links, "deliver_message", not_waiting)
    response = phone.done("Lamp vervangen", photos=[(JPEG, "paal12.jpg")])
    assert response.status_code == 409
    assert stored_files(ref) == [] and files_on_disk(app) == []
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)
                             .where(CaseEvent.kind == "contractor_photos")) == 0


def test_a_request_over_the_upload_limit_gets_the_order_page_back(app, staff, ordered, monkeypatch):
    ref, phone = ordered
    import web.portal

    monkeypatch.setattr(web.portal, "MAX_UPLOAD", 4096)
    response = phone.done(photos=[(JPEG + b"\x00" * 8192, "groot.jpg")])
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "De foto&#39;s zijn samen te groot" in html and ref in html
    assert stored_files(ref) == [] and order_of(ref).status == "open"


def test_a_page_left_open_for_hours_gives_the_form_back_instead_of_losing_the_text(staff, ordered):
    ref, phone = ordered
    phone.open()
    with freeze_time(utcnow() + timedelta(hours=3)):
        response = phone.refuse("Straat opgebroken, lamp onbereikbaar")
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Straat opgebroken, lamp onbereikbaar</textarea>" in html
        # A real request has its own app context; the test app keeps one open, so drop the token cached in g.
        g.pop("csrf_token", None)
        phone.open()
        assert phone.refuse("Straat opgebroken, lamp onbereikbaar").status_code == 303
    assert order_of(ref).status == "refused"
