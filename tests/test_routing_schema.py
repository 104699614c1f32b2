"""The rules of a routing rule (handlers/routing_schema.py): one Dutch message per field, every problem at
once, nothing saved; and on the administrator's page the message stands next to the field."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.errors import InvalidInput
from handlers.models import RoutingRule
from handlers.routing import save_rule

from .helpers import Browser, with_password

GOOD = {"name": "Lampen centrum", "group": "fietsteam"}


def errors_of(fields: dict) -> dict:
    with pytest.raises(InvalidInput) as caught:
        save_rule(None, fields)
    db.session.rollback()
    assert db.session.scalar(select(func.count(RoutingRule.id))) == 0
    return caught.value.fields


@pytest.mark.parametrize("changes, field, message", [
    ({"name": " "}, "name", "vul een naam in"),
    ({"name": "x" * 201}, "name", "hoogstens 200 tekens"),
    ({"position": "-1"}, "position", "een geheel getal van 0 of meer"),
    ({"position": "eerste"}, "position", "een geheel getal van 0 of meer"),
    ({"group": ""}, "group", "kies een behandelaarsgroep"),
    ({"group": "bestaat-niet"}, "group", "onbekende groep"),
    ({"group": "meldkamer"}, "group",
     "kies een actieve behandelaarsgroep (geen meldkamer, aannemer of inactieve groep)"),
    ({"category": "ufo"}, "category", "onbekende categorie"),
    ({"channel": "duif"}, "channel", "kies een kanaal uit de lijst"),
    ({"keywords": "lamp, *"}, "keywords", "een trefwoord moet meer zijn dan een sterretje"),
    ({"keywords": "lamp" * 501 + ", paal"}, "keywords", "hoogstens 2000 tekens"),
    ({"min_lat": "51", "max_lat": "52", "min_lon": "4"}, "max_lon",
     "vul alle vier de grenzen van het gebied in, of geen enkele"),
    ({"min_lat": "52", "max_lat": "51", "min_lon": "4", "max_lon": "5"}, "max_lat",
     "de maximale breedtegraad moet groter zijn dan de minimale"),
    ({"min_lat": "51", "max_lat": "52", "min_lon": "4", "max_lon": "181"}, "max_lon",
     "een lengtegraad ligt tussen -180 en 180"),
    ({"min_lat": "51", "max_lat": "52", "min_lon": "oost", "max_lon": "5"}, "min_lon",
     "geef een getal, bijvoorbeeld 51.0278"),
    ({"area_name": "Centrum"}, "area_name", "vul ook de grenzen van het gebied in"),
    ({"area_name": "x" * 201, "min_lat": "51", "max_lat": "52", "min_lon": "4", "max_lon": "5"}, "area_name",
     "hoogstens 200 tekens"),
])
def test_each_rule_has_its_dutch_message(app, changes, field, message):
    assert errors_of({**GOOD, **changes}) == {field: [message]}


def test_every_problem_is_reported_at_once(app):
    errors = errors_of({"name": "", "group": "", "channel": "duif", "position": "-3"})
    assert set(errors) == {"name", "group", "channel", "position"}


def test_the_admin_page_shows_the_message_next_to_the_field(app, staff):
    admin = Browser(app, staff.admin.user.username, with_password(staff.admin.user))
    response = admin.post("/werk/beheer/routering", {**GOOD, "keywords": "lamp", "channel": "duif"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "kies een kanaal uit de lijst" in page and 'value="lamp"' in page
    assert db.session.scalar(select(func.count(RoutingRule.id))) == 0
