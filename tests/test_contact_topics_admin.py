"""General contact topics managed by the admin at /werk/beheer/onderwerpen (issue #16): add one and register a
contact with it, rename (the key stays), reorder, deactivate (no longer offered nor accepted, old contacts still in
the reports), Dutch messages tied to the fields with nothing typed lost, the administration log, admin only."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from handlers.admin_changes import AdminChange
from handlers.contact_models import Contact, ContactTopic
from handlers.groups import group_by_key
from handlers.models import User
from intake.contacts import register_contact
from reports.contact_figures import contact_figures

from .helpers import Actor, Browser, with_password

PAGE = "/werk/beheer/onderwerpen"


def admin_browser(app, staff) -> Browser:
    return Browser(app, staff.admin.user.username, with_password(staff.admin.user))


@pytest.fixture
def onthaal(app, client) -> Actor:
    user = User(username="eva", display_name="Eva Wouters", role="onthaal", email="eva@stad.example")
    user.groups.append(group_by_key("onthaal"))
    db.session.add(user)
    token = user.issue_api_token()
    db.session.commit()
    return Actor(client, user, token)


def topic(key: str) -> ContactTopic | None:
    db.session.expire_all()
    return db.session.scalar(select(ContactTopic).where(ContactTopic.key == key))


def offered(browser: Browser) -> list[str]:
    """The general topic keys the contact page offers, in their order."""
    page = browser.get("/werk/contact").get_data(as_text=True)
    general = re.search(r'<optgroup label="Algemene onderwerpen">(.*?)</optgroup>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', general)


def api_contact(actor: Actor, topic_key: str, expect: int) -> dict:
    body = {"channel": "telefoon", "question": "Wanneer worden de graven geruimd?", "topic": topic_key,
            "outcome": "answered", "answer": "In het voorjaar.", "reporter": {"name": "Els Peeters"}}
    response = actor.client.post("/api/v1/contacts", json=body, headers=actor.headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def log(key: str) -> list[AdminChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(AdminChange).where(AdminChange.area == "contact_topic",
                                                             AdminChange.subject == key).order_by(AdminChange.id)))


def test_a_new_topic_is_offered_and_accepted_then_renamed_reordered_and_deactivated(app, staff, onthaal):
    admin = admin_browser(app, staff)
    assert "begraafplaatsen" not in offered(admin)
    response = admin.post(PAGE, {"name": "Begraafplaatsen", "key": "", "position": "5", "active": "on"})
    assert response.status_code == 302
    created = topic("begraafplaatsen")  # the key is made from the name
    assert created.name == "Begraafplaatsen" and created.position == 5 and created.active
    assert offered(admin)[0] == "begraafplaatsen"  # position 5: before afval (10)
    listing = admin.get(PAGE).get_data(as_text=True)
    assert "Begraafplaatsen" in listing and "begraafplaatsen" in listing
    assert 'href="/werk/beheer/onderwerpen"' in listing  # the link in the admin nav
    [change] = log("begraafplaatsen")
    assert change.action == "create" and change.actor == staff.admin.user.username

    # a contact registered with it, through the API and through intake/contacts.register_contact
    first = api_contact(onthaal, "begraafplaatsen", 201)
    assert first["contact"]["topic"]["key"] == "begraafplaatsen"
    register_contact(channel="balie", question="Waar is het columbarium?", topic="begraafplaatsen",
                     outcome="answered", answer="Achteraan links.", taken_by=db.session.get(User, onthaal.user.id))
    db.session.commit()

    # renamed and moved to the end: the key stays, even when another one is typed
    topic_id = created.id
    response = admin.post(f"{PAGE}/{topic_id}", {"name": "Begraafplaatsen en rouwzorg", "position": "500",
                                                  "active": "on", "key": "iets-anders"})
    assert response.status_code == 302
    renamed = topic("begraafplaatsen")
    assert renamed.id == topic_id and renamed.name == "Begraafplaatsen en rouwzorg" and topic("iets-anders") is None
    assert offered(admin)[-1] == "begraafplaatsen"
    assert "Begraafplaatsen en rouwzorg" in admin.get("/werk/contact").get_data(as_text=True)
    update = log("begraafplaatsen")[-1]
    assert update.action == "update" and update.data["changed"]["name"] == ["Begraafplaatsen",
                                                                              "Begraafplaatsen en rouwzorg"]
    assert update.data["changed"]["position"] == [5, 500]

    # deactivated: no longer offered nor accepted, the old contacts stay and are still counted
    response = admin.post(f"{PAGE}/{topic_id}", {"name": "Begraafplaatsen en rouwzorg", "position": "500"})
    assert response.status_code == 302
    assert topic("begraafplaatsen").active is False
    assert "begraafplaatsen" not in offered(admin)
    refused = api_contact(onthaal, "begraafplaatsen", 422)
    assert refused["fields"]["topic"] == ["Onbekend onderwerp 'begraafplaatsen'. Kies een categorie of een "
                                          "algemeen onderwerp."]
    assert log("begraafplaatsen")[-1].action == "deactivate"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Contact.id)).where(Contact.topic_id == topic_id)) == 2
    figures = contact_figures(utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1))
    by_topic = {share.key: (share.name, share.count) for share in figures.by_topic}
    assert by_topic["begraafplaatsen"] == ("Begraafplaatsen en rouwzorg", 2) and figures.contacts == 2

    # the page still lists it, as not active, and the log page shows every change
    listing = admin.get(PAGE).get_data(as_text=True)
    assert re.search(r"Begraafplaatsen en rouwzorg</a></td><td>begraafplaatsen</td><td>nee</td>", listing)
    changes = html.unescape(admin.get("/werk/beheer/wijzigingen").get_data(as_text=True))
    assert "Onderwerpen van contacten" in changes and "Nieuw onderwerp Begraafplaatsen" in changes
    assert "actief van ja naar nee" in changes

    # active again: offered again
    assert admin.post(f"{PAGE}/{topic_id}", {"name": "Begraafplaatsen en rouwzorg", "position": "500",
                                              "active": "on"}).status_code == 302
    assert "begraafplaatsen" in offered(admin)


def test_a_typed_key_is_kept_and_a_seeded_topic_can_be_renamed(app, staff):
    admin = admin_browser(app, staff)
    assert admin.post(PAGE, {"name": "Markten en foren", "key": "markten-2", "position": "", "active": "on"}
                      ).status_code == 302
    made = topic("markten-2")
    assert made.name == "Markten en foren" and made.position > max(
        t.position for t in db.session.scalars(select(ContactTopic).where(ContactTopic.key != "markten-2")))
    parkeren = topic("parkeren")
    assert admin.post(f"{PAGE}/{parkeren.id}", {"name": "Parkeren en bewonerskaarten", "position": "20",
                                                 "active": "on"}).status_code == 302
    assert topic("parkeren").name == "Parkeren en bewonerskaarten"


@pytest.mark.parametrize("form, field_id, message", [
    ({"name": "", "key": "", "position": "7"}, "topic-name", "Geef het onderwerp een naam."),
    ({"name": "Afval", "key": "", "position": "7"}, "topic-name", "Er bestaat al een onderwerp met sleutel 'afval'."),
    ({"name": "Ophaling", "key": "afval", "position": "7"}, "topic-key",
     "Er bestaat al een onderwerp met sleutel 'afval'."),
    ({"name": "Ophaling", "key": "Ophaling Plus!", "position": "7"}, "topic-key",
     "Een sleutel bestaat uit kleine letters, cijfers en koppeltekens."),
    ({"name": "Ophaling", "key": "-ophaling", "position": "7"}, "topic-key",
     "Een sleutel bestaat uit kleine letters, cijfers en koppeltekens."),
    ({"name": "Sluikstort", "key": "", "position": "7"}, "topic-name",
     "Er bestaat al een categorie met sleutel 'sluikstort'."),
    ({"name": "Ophaling", "key": "ophaling", "position": "zeven"}, "topic-position",
     "Geef een geheel getal van 0 tot 9999."),
])
def test_bad_input_is_refused_in_dutch_next_to_the_field_keeping_what_was_typed(app, staff, form, field_id,
                                                                                 message):
    admin = admin_browser(app, staff)
    before = db.session.scalar(select(func.count(ContactTopic.id)))
    response = admin.post(PAGE, dict(form, active="on"))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    # the message follows its own field
    assert re.search(rf'id="{field_id}"[^>]*>.{{0,400}}?{re.escape(message)}', page, re.S), page[:3000]
    for name, value in form.items():  # nothing typed is lost
        if value:
            assert re.search(rf'name="{name}" value="{re.escape(value)}"', page)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ContactTopic.id))) == before
    assert db.session.scalar(select(func.count(AdminChange.id)).where(AdminChange.area == "contact_topic")) == 0


def test_a_rename_to_nothing_is_refused_and_the_topic_keeps_its_name(app, staff):
    admin = admin_browser(app, staff)
    afval = topic("afval")
    response = admin.post(f"{PAGE}/{afval.id}", {"name": "  ", "position": "3", "active": "on"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Geef het onderwerp een naam." in page and 'name="position" value="3"' in page
    assert topic("afval").name == "Afval en containerpark" and topic("afval").position == 10


def test_only_the_admin_may_manage_topics(app, staff, onthaal):
    desk = Browser(app, staff.meldkamer.user.username, with_password(staff.meldkamer.user))
    assert desk.get(PAGE).status_code == 403
    desk_post = desk._call(desk.client.post, PAGE, data={"name": "Kermis", "active": "on"})
    assert desk_post.status_code in (400, 403)
    counter = Browser(app, onthaal.user.username, with_password(db.session.get(User, onthaal.user.id)))
    token = Browser.token(counter.get("/werk/contact"))
    response = counter._call(counter.client.post, PAGE, data={"name": "Kermis", "active": "on", "csrf_token": token})
    assert response.status_code == 403
    assert topic("kermis") is None
    assert "/werk/beheer/onderwerpen" not in counter.get("/werk/contact").get_data(as_text=True)
