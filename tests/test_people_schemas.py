"""Staff users and groups on the administrator's pages: the rules of handlers/people_schemas.py, with Dutch
messages next to the field, e-mail addresses of staff and contractors checked, nothing saved on an error."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from engine.db import db
from handlers.models import HandlerGroup, User

from .helpers import Browser, with_password
from .test_cli import invoke

BAD_EMAIL = "dit e-mailadres klopt niet; schrijf het als naam@voorbeeld.be"
USER = {"display_name": "Bart", "email": "bart@stad.example", "role": "behandelaar",
        "groups": "onderhoud-openbaar-domein", "active": "on", "password": ""}
CONTRACTOR = {"key": "groen-nv", "name": "Groen NV", "kind": "external", "email": "opdrachten@groen.example",
              "active": "on"}


def admin_of(app, staff) -> Browser:
    return Browser(app, staff.admin.user.username, with_password(staff.admin.user))


def shown(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("address", ["bart@", "bart stad.example", "bart@stad", "b" * 250 + "@stad.example"])
def test_a_bad_staff_address_is_refused_in_dutch_and_nothing_is_saved(app, staff, address):
    response = admin_of(app, staff).post(f"/werk/beheer/gebruikers/{staff.ood.user.id}",
                                         {**USER, "display_name": "Bart Nieuw", "email": address})
    assert response.status_code == 422 and BAD_EMAIL in shown(response)
    db.session.expire_all()
    assert db.session.get(User, staff.ood.user.id).display_name != "Bart Nieuw"


def test_a_good_staff_address_is_saved_normalised(app, staff):
    response = admin_of(app, staff).post(f"/werk/beheer/gebruikers/{staff.ood.user.id}",
                                         {**USER, "email": " bart@STAD.example "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, staff.ood.user.id).email == "bart@stad.example"


@pytest.mark.parametrize("address, message", [
    ("opdrachten(at)groen.example", BAD_EMAIL),
    ("", "een aannemer heeft een e-mailadres nodig voor zijn opdrachten")])
def test_a_contractor_needs_a_good_address(app, staff, address, message):
    response = admin_of(app, staff).post("/werk/beheer/groepen", {**CONTRACTOR, "email": address})
    assert response.status_code == 422 and message in shown(response)
    assert db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == "groen-nv")) is None


def test_a_contractor_with_a_good_address_is_saved(app, staff):
    assert admin_of(app, staff).post("/werk/beheer/groepen", CONTRACTOR).status_code == 302
    assert db.session.scalar(select(HandlerGroup.email).where(HandlerGroup.key == "groen-nv")) == \
        "opdrachten@groen.example"


@pytest.mark.parametrize("changes, field_message", [
    ({"username": "Ab"}, None),
    ({"username": "a"}, "2-80 kleine letters, cijfers, punt, streepje of underscore"),
    ({"username": "x" * 81}, "2-80 kleine letters, cijfers, punt, streepje of underscore"),
    ({"password": "negen-tek"}, "minstens 10 tekens"),
    ({"password": ""}, "kies een wachtwoord"),
    ({"display_name": "  "}, "vul een naam in"),
    ({"display_name": "x" * 201}, "hoogstens 200 tekens"),
    ({"role": "baas"}, "kies een rol"),
    ({"groups": "bestaat-niet"}, "onbekende groep"),
])
def test_rules_for_a_new_user(app, staff, changes, field_message):
    form = {**USER, "username": "nieuwe.collega", "password": "tien-tekens", **changes}
    before = db.session.scalar(select(func.count(User.id)))
    response = admin_of(app, staff).post("/werk/beheer/gebruikers", form)
    if field_message is None:
        assert response.status_code == 302
        assert db.session.scalar(select(User.id).where(User.username == "ab"))
    else:
        assert response.status_code == 422 and field_message in shown(response)
        assert db.session.scalar(select(func.count(User.id))) == before


@pytest.mark.parametrize("changes, message", [
    ({"key": "Groen NV"}, "2-60 kleine letters, cijfers of streepjes"),
    ({"key": "onderhoud-openbaar-domein"}, "deze sleutel bestaat al"),
    ({"name": ""}, "vul een naam in"),
    ({"kind": "vriend"}, "kies een soort"),
])
def test_rules_for_a_new_group(app, staff, changes, message):
    response = admin_of(app, staff).post("/werk/beheer/groepen", {**CONTRACTOR, **changes})
    assert response.status_code == 422 and message in shown(response)


def test_the_cli_refuses_a_bad_staff_address(app):
    result = invoke(app, "user", "add", "els", "--role", "meldkamer", "--email", "els@")
    assert result.exit_code != 0 and "not an e-mail address" in result.output
    assert db.session.scalar(select(User.id).where(User.username == "els")) is None
