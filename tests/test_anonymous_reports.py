"""Anonymous meldingen: without an e-mail address or phone number, where the category allows it (the default).

The form says plainly that the citizen will hear nothing and the confirmation page gives the reference and the
tracking link to keep; the process mails nobody and logs no failed mail; Open311 likewise; the reports count
them ("waarvan anonieme meldingen"); the admin and the API switch it per category.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.models import Category
from notifications.models import OutboxMessage
from reports.figures import period_figures
from reports.tables import KEY_FIGURES

from .helpers import Browser, with_password
from .test_open311 import api_key  # noqa: F401 (the fixture)
from .test_open311 import post as open311_post
from .test_public_form import VALID, post

ANONYMOUS = {**VALID, "name": "", "email": "", "phone": ""}


def only_case() -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case))


def events(case: Case, kind: str) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)))


def forbid_anonymous(key: str = "straatlamp-defect") -> None:
    db.session.scalar(select(Category).where(Category.key == key)).allow_anonymous = False
    db.session.commit()


def test_the_form_says_plainly_that_an_anonymous_reporter_hears_nothing(client):
    page = client.get("/melden?categorie=straatlamp-defect", follow_redirects=True).get_data(as_text=True)
    assert "U mag ook anoniem melden" in page and "hoort u niets meer van ons" in page
    forbid_anonymous()
    page = client.get("/melden?categorie=straatlamp-defect", follow_redirects=True).get_data(as_text=True)
    assert "anoniem" not in page and "Geef minstens een e-mailadres of een telefoonnummer" in page


def test_an_anonymous_melding_gets_its_reference_and_tracking_link_and_nobody_is_ever_mailed(app, client, staff):
    response = post(client, ANONYMOUS)
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    case = only_case()
    assert case.anonymous and case.reporter is None
    assert case.reference in confirmation and 'id="anonymous-notice"' in confirmation
    assert "U meldde anoniem: u krijgt van ons geen berichten over deze melding." in confirmation
    tracking = re.search(r'id="tracking-link" href="([^"]+)"', confirmation).group(1)
    assert tracking.endswith(f"/volg/{case.tracking_token}")

    # Through the whole process: dispatched, in handling, a question, closed. No mail, no failure logged.
    ref = case.reference
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    staff.ood.complete(ref, "take_in_handling")
    staff.ood.complete(ref, "handle", {"action": "request_info", "question": "Aan welke paal?"})
    tracking_page = client.get(tracking.replace("https://meldpunt.stad.example", "")).get_data(as_text=True)
    assert "Aan welke paal?" in tracking_page  # the tracking page is how an anonymous reporter can still answer
    case = only_case()
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                          OutboxMessage.recipient_kind == "melder")).all() == []
    assert events(case, "mail_skipped") == []
    [note] = events(case, "anonymous")
    assert not note.public and "Anonieme melding" in note.note
    assert "Anonieme melding" not in tracking_page  # an internal note

    bart = Browser(app, staff.ood.user.username, with_password(staff.ood.user))
    assert "Anonieme melding" in bart.get(f"/werk/dossier/{ref}").get_data(as_text=True)


def test_a_reporter_with_contact_data_is_not_anonymous(client):
    assert post(client, VALID).status_code == 303
    assert not only_case().anonymous
    assert post(client, {**ANONYMOUS, "phone": "0470 12 34 56"}).status_code == 303  # a phone number: not anonymous
    assert db.session.scalar(select(Case).where(Case.anonymous.is_(True))) is None


def test_a_category_that_does_not_allow_it_refuses_without_contact_data(client):
    forbid_anonymous()
    response = post(client, ANONYMOUS)
    assert response.status_code == 422
    assert "Geef een e-mailadres of een telefoonnummer" in response.get_data(as_text=True)
    assert only_case() is None


def test_open311_without_contact_data_is_anonymous_where_the_category_allows_it(client, api_key):  # noqa: F811
    response = open311_post(client, api_key, email=None, first_name=None, last_name=None, phone=None)
    assert response.status_code == 200, response.data
    case = only_case()
    assert case.anonymous and case.reporter is None and events(case, "mail_skipped") == []
    forbid_anonymous()
    refused = open311_post(client, api_key, email=None, first_name=None, last_name=None, phone=None)
    assert refused.status_code == 400
    assert "does not take anonymous requests" in refused.get_data(as_text=True)
    assert open311_post(client, api_key).status_code == 200  # with contact data it still works


def test_the_reports_count_anonymous_meldingen(app, client):
    assert post(client, ANONYMOUS).status_code == 303
    assert post(client, VALID).status_code == 303
    figures = period_figures(utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    assert (figures.meldingen, figures.anonymous) == (2, 1)
    assert "waarvan anonieme meldingen" in [k.label for k in KEY_FIGURES]


def test_the_admin_and_the_api_switch_anonymous_reporting_per_category(app, client, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    category = db.session.scalar(select(Category).where(Category.key == "straatlamp-defect"))
    page = admin.get(f"/werk/beheer/categorieen/{category.id}").get_data(as_text=True)
    assert re.search(r'name="allow_anonymous" checked', page) and "Anoniem melden toegelaten" in page
    form = {"name": category.name, "parent": "verlichting", "synonyms": category.synonyms or "",
            "default_group": category.default_group.key, "deadline_days": str(category.deadline_days),
            "duplicate_days": "", "public": "on", "active": "on"}  # the box left unticked
    assert admin.post(f"/werk/beheer/categorieen/{category.id}", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, category.id).allow_anonymous is False
    assert post(client, ANONYMOUS).status_code == 422

    listed = {c["key"]: c for c in staff.admin.get("/api/v1/categories").get_json()}
    assert listed["straatlamp-defect"]["allow_anonymous"] is False and listed["wegdek-put"]["allow_anonymous"] is True
    changed = client.patch("/api/v1/categories/straatlamp-defect", json={"allow_anonymous": True},
                           headers=staff.admin.headers)
    assert changed.status_code == 200 and changed.get_json()["allow_anonymous"] is True
    bad = client.patch("/api/v1/categories/straatlamp-defect", json={"allow_anonymous": "ja"},
                       headers=staff.admin.headers)
    assert bad.status_code == 422
    assert post(client, ANONYMOUS).status_code == 303
