"""The contact page's search (handlers/contact_search.py): one text finds the caller by name, e-mail, phone or
address and a case by its reference, scoped by role exactly as the case page is."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import db
from engine.models import Case
from handlers.contact_search import phone_digits, search_people_and_cases
from handlers.groups import group_by_key
from handlers.models import User

OOD, NETHEID = "onderhoud-openbaar-domein", "openbare-netheid"


def _melding(staff, description, category, email=None, name=None, phone=None, address=None, group=None) -> str:
    reporter = {k: v for k, v in (("email", email), ("name", name), ("phone", phone)) if v}
    body = {"description": description, "category": category, "channel": "telefoon", "reporter": reporter}
    if address:
        body["location"] = {"address": address}
    response = staff.meldkamer.post("/api/v1/meldingen", json=body)
    assert response.status_code == 201, response.get_json()
    reference = response.get_json()["reference"]
    if group:
        staff.meldkamer.complete(reference, "triage", {"decision": "dispatch", "group": group})
    return reference


def _user(username: str, role: str, group: str | None = None) -> User:
    user = User(username=username, display_name=username.title(), role=role, email=f"{username}@stad.example")
    if group:
        user.groups.append(group_by_key(group))
    db.session.add(user)
    db.session.commit()
    return user


def _names(result) -> list[str]:
    return [p.name for p in result.people]


def test_finds_the_caller_by_name_email_phone_and_address_with_their_earlier_cases(app, staff):
    lamp = _melding(staff, "Straatlamp aan paal 12 brandt niet", "straatlamp-defect", email="els@voorbeeld.example",
                    name="Els Peeters", phone="0471 12 34 56", address="Bruul 12, 2800 Mechelen", group=OOD)
    trash = _melding(staff, "Zakken afval naast de glasbol", "sluikstort", email="els@voorbeeld.example",
                     address="Veemarkt 3, 2800 Mechelen", group=NETHEID)
    _melding(staff, "Losse tegel", "voetpad-losse-tegel", email="jan@voorbeeld.example", name="Jan Claes",
             phone="+32 15 20 30 40")
    onthaal = _user("olga", "onthaal")

    for text in ("peeters", "ELS@voorbeeld", "0471/12.34.56", "+32 471 123456", "471123456", "bruul 12"):
        found = search_people_and_cases(text, onthaal)
        assert _names(found) == ["Els Peeters"], text
        assert [c.reference for c in found.people[0].cases] == [trash, lamp], text  # newest first
        assert found.people[0].email == "els@voorbeeld.example" and found.people[0].phone == "0471 12 34 56"
    case = search_people_and_cases("Veemarkt", onthaal).people[0].cases[0]
    assert (case.category, case.group, case.address) == ("Sluikstort", "Openbare netheid", "Veemarkt 3, 2800 Mechelen")
    assert case.status and case.description == "Zakken afval naast de glasbol"

    assert _names(search_people_and_cases("015 20 30 40", onthaal)) == ["Jan Claes"]
    assert _names(search_people_and_cases("claes", onthaal)) == ["Jan Claes"]
    assert search_people_and_cases("niemand-bekend", onthaal).empty


def test_a_reference_finds_the_case_and_its_reporter_in_any_case(app, staff):
    lamp = _melding(staff, "Straatlamp brandt niet", "straatlamp-defect", email="els@voorbeeld.example",
                    name="Els Peeters", group=OOD)
    anonymous = _melding(staff, "Zitbank aan de Dijle is kapot", "bank-kapot")
    desk = staff.meldkamer.user
    found = search_people_and_cases(lamp.lower(), desk)
    assert _names(found) == ["Els Peeters"] and found.people[0].cases[0].reference == lamp
    found = search_people_and_cases(f"  {anonymous} ", desk)
    assert found.people == [] and [c.reference for c in found.cases] == [anonymous]
    assert search_people_and_cases("M1999-000001", desk).empty


def test_too_short_a_text_finds_nothing(app, staff):
    _melding(staff, "Straatlamp brandt niet", "straatlamp-defect", email="el@voorbeeld.example", name="E")
    found = search_people_and_cases("e", staff.meldkamer.user)
    assert found.empty and found.too_short
    assert not search_people_and_cases("", staff.meldkamer.user).too_short


def test_a_user_who_may_not_see_a_cases_group_does_not_find_it(app, staff):
    lamp = _melding(staff, "Straatlamp brandt niet", "straatlamp-defect", email="els@voorbeeld.example",
                    name="Els Peeters", address="Bruul 12, 2800 Mechelen", group=OOD)
    trash = _melding(staff, "Sluikstort aan de glasbol", "sluikstort", email="els@voorbeeld.example",
                     name="Els Peeters", address="Veemarkt 3, 2800 Mechelen", group=NETHEID)
    other = _melding(staff, "Zwerfvuil op de stoep", "sluikstort", email="piet@voorbeeld.example", name="Piet Janssens",
                     address="Veemarkt 5, 2800 Mechelen", group=NETHEID)
    bart = staff.ood.user  # behandelaar of ood: sees lamp, never the netheid cases
    found = search_people_and_cases("Els", bart)
    assert _names(found) == ["Els Peeters"] and [c.reference for c in found.people[0].cases] == [lamp]
    assert search_people_and_cases("piet", bart).empty  # his only case is another group's: not even his name
    assert search_people_and_cases("Veemarkt", bart).empty
    assert search_people_and_cases(trash, bart).empty and search_people_and_cases(other, bart).empty
    assert [c.reference for p in search_people_and_cases(lamp, bart).people for c in p.cases] == [lamp]

    dina = staff.netheid.user
    found = search_people_and_cases("Veemarkt", dina)
    assert sorted(_names(found)) == ["Els Peeters", "Piet Janssens"]
    els = next(p for p in found.people if p.name == "Els Peeters")
    assert [c.reference for c in els.cases] == [trash]


def test_a_role_without_contact_data_finds_cases_but_no_people(app, staff):
    lamp = _melding(staff, "Straatlamp brandt niet", "straatlamp-defect", email="els@voorbeeld.example",
                    name="Els Peeters", address="Bruul 12, 2800 Mechelen", group=OOD)
    rita = _user("rita", "rapportage")
    assert search_people_and_cases("Els", rita).empty
    assert search_people_and_cases("els@voorbeeld.example", rita).empty
    found = search_people_and_cases("Bruul", rita)
    assert found.people == [] and [c.reference for c in found.cases] == [lamp]
    assert found.cases[0].description is None  # the reporter's text is not for this role
    inactive = _user("oud", "meldkamer")
    inactive.active = False
    db.session.commit()
    assert search_people_and_cases("Els", inactive).empty


def test_phone_digits_ignore_notation():
    assert phone_digits("0471 12 34 56") == phone_digits("+32 471 12 34 56") == phone_digits("0032471123456")
    assert phone_digits("015/20.30.40") == "15203040"


def test_search_never_reaches_a_case_outside_the_limit_unscoped(app, staff):
    # many meldingen at one address by other groups do not push the user's own case out of the results
    for n in range(30):
        _melding(staff, f"Sluikstort {n}", "sluikstort", address="Bruul 20, 2800 Mechelen", group=NETHEID)
    mine = _melding(staff, "Straatlamp brandt niet", "straatlamp-defect", address="Bruul 20, 2800 Mechelen",
                    group=OOD)
    _melding(staff, "Nog een sluikstort", "sluikstort", address="Bruul 20, 2800 Mechelen", group=NETHEID)
    found = search_people_and_cases("Bruul 20", staff.ood.user)
    assert [c.reference for c in found.cases] == [mine]
    assert db.session.scalar(select(Case).where(Case.reference == mine)).group.key == OOD
