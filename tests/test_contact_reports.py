"""The first line's figures (issue #16) against a hand-built data set with known answers: contacts per channel,
topic and outcome, first-contact resolution (a colleague's second registration of the same call not counted twice),
and hand-overs per group with their answer times; on the dashboard as the staff read them."""
from __future__ import annotations

import io
import secrets
from datetime import UTC, date, datetime

import pytest
from docx import Document
from freezegun import freeze_time
from sqlalchemy import select

from engine import deploy
from engine.db import db
from engine.models import Case
from handlers.contact_models import Contact, ContactTopic
from handlers.groups import group_by_key
from handlers.models import Category, HandlerGroup, User
from notifications.render import render_mail
from reports.contact_figures import contact_figures
from reports.fortnightly import figures_for, mail_data
from reports.periods import days_period, parse_quarter
from reports.quarterly import quarterly_report

from .helpers import Browser
from .test_post_support import with_password

START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
REPORT_MADE = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def contacts(app):
    """8 contacts in December 2026 (5 by phone, 3 at the counter; topics afval 4, parkeren 3, a street light 1):
    3 answered at once (one of them a colleague's second registration of the first call), 1 melding, 3
    hand-overs (2 to Onderhoud openbaar domein answered after 4 and 24 hours, 1 to Openbare netheid still open
    past its deadline), 1 added to an existing case; plus one contact just before and one just after December."""
    eva = User(username="eva", display_name="Eva Wouters", role="onthaal")
    an = User(username="an", display_name="An Peeters", role="meldkamer")
    db.session.add_all([eva, an])
    groups = {g.key: g for g in db.session.scalars(select(HandlerGroup))}
    topics = {t.key: t for t in db.session.scalars(select(ContactTopic))}
    lamp = db.session.scalar(select(Category).where(Category.key == "straatlamp-defect"))
    definition = deploy.latest_definition("contact").id

    def case(created, group, closed=None, deadline=None, kind="contact"):
        row = Case(definition_id=definition, kind=kind, tracking_token=secrets.token_urlsafe(24),
                   reference=f"C2026-{secrets.randbelow(10**6):06d}", status="afgesloten" if closed else "toegewezen",
                   completed=bool(closed), group_id=groups[group].id, channel="telefoon", created_at=created,
                   updated_at=created, closed_at=closed, deadline_at=deadline)
        db.session.add(row)
        db.session.flush()
        return row

    def contact(created, channel, topic, outcome, by=eva, group=None, made=None, related=None):
        row = Contact(channel=channel, question="Vraag", outcome=outcome, created_at=created, taken_by=by,
                      taken_by_name=by.display_name, topic_id=topics[topic].id if topic in topics else None,
                      category_id=lamp.id if topic == "straatlamp-defect" else None,
                      group_id=groups[group].id if group else None, case_id=made.id if made else None,
                      related_contact_id=related.id if related else None)
        db.session.add(row)
        db.session.flush()
        return row

    first = contact(at(1, 9), "telefoon", "afval", "answered")
    contact(at(1, 9), "telefoon", "afval", "answered", by=an, related=first)
    contact(at(2, 10), "balie", "parkeren", "answered")
    contact(at(2, 11), "telefoon", "straatlamp-defect", "melding", made=case(at(2, 11), "meldkamer", kind="melding"))
    contact(at(2, 9), "telefoon", "parkeren", "handover", group="onderhoud-openbaar-domein",
            made=case(at(2, 9), "onderhoud-openbaar-domein", closed=at(2, 13), deadline=at(5, 9)))
    contact(at(3, 10), "balie", "afval", "handover", group="onderhoud-openbaar-domein",
            made=case(at(3, 10), "onderhoud-openbaar-domein", closed=at(4, 10), deadline=at(8, 10)))
    contact(at(10, 8), "telefoon", "afval", "handover", group="openbare-netheid",
            made=case(at(10, 8), "openbare-netheid", deadline=at(12, 8)))
    contact(at(15, 14), "balie", "parkeren", "existing_case",
            made=case(at(1, 8), "onderhoud-openbaar-domein", kind="melding"))
    contact(at(30, 22, month=11), "telefoon", "afval", "answered")  # November (23:00 in Mechelen)
    contact(at(1, 0, month=1, year=2027), "telefoon", "afval", "handover", group="openbare-netheid",
            made=case(at(1, 0, month=1, year=2027), "openbare-netheid"))  # January
    db.session.commit()


def shares(rows) -> dict:
    return {s.key: (s.count, s.share) for s in rows}


@freeze_time(REPORT_MADE)
def test_the_contact_figures_of_december_match_the_known_answers(contacts):
    f = contact_figures(START, END)
    assert (f.contacts, f.calls, f.answered_at_once, f.handovers) == (8, 7, 2, 3)
    assert f.first_contact_resolution == round(2 / 7, 4)
    assert shares(f.by_channel) == {"telefoon": (5, 0.625), "balie": (3, 0.375)}
    assert shares(f.by_topic) == {"afval": (4, 0.5), "parkeren": (3, 0.375), "straatlamp-defect": (1, 0.125)}
    assert shares(f.by_outcome) == {"answered": (3, 0.375), "handover": (3, 0.375), "melding": (1, 0.125),
                                    "existing_case": (1, 0.125)}
    ood, netheid = f.per_group
    assert (ood.key, ood.handed_over, ood.answered, ood.overdue) == ("onderhoud-openbaar-domein", 2, 2, 0)
    assert (ood.answer_time.count, ood.answer_time.median_hours, ood.answer_time.p90_hours) == (2, 14.0, 22.0)
    assert (netheid.key, netheid.handed_over, netheid.answered, netheid.overdue) == ("openbare-netheid", 1, 0, 1)
    assert netheid.answer_time.median_hours is None


@freeze_time(REPORT_MADE)
def test_one_groups_figures_are_its_hand_overs(contacts):
    f = contact_figures(START, END, "onderhoud-openbaar-domein")
    assert (f.contacts, f.handovers, f.first_contact_resolution) == (2, 2, None)
    assert [r.key for r in f.per_group] == ["onderhoud-openbaar-domein"]


@freeze_time(at(11, 12))
def test_a_report_made_mid_period_describes_the_hand_overs_as_they_are_now(contacts):
    f = contact_figures(START, END)
    netheid = [r for r in f.per_group if r.key == "openbare-netheid"][0]
    assert netheid.overdue == 0  # its deadline (12 December) is still ahead


def test_an_empty_period_has_no_shares(app):
    f = contact_figures(START, END)
    assert (f.contacts, f.first_contact_resolution, f.per_group) == (0, None, [])


@freeze_time(REPORT_MADE)
def test_the_dashboard_shows_the_first_line_figures(app, contacts):
    user = User(username="rapport", display_name="Rita", role="rapportage", email="rita@stad.example")
    db.session.add(user)
    db.session.commit()
    page = Browser(app, "rapport", with_password(user)).get("/werk/rapporten?van=2026-12-01&tot=2026-12-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    section = html.split('id="contacts"')[1].split("</section>")[0]
    for shown in ("Geregistreerde contacten</td><td>8", "Gesprekken (zonder dubbele registraties)</td><td>7",
                  "Eerstelijnsoplossing (meteen beantwoord)</td><td>29%", "Telefoon</td><td>5</td>",
                  "Afval en containerpark</td><td>4</td><td>50%",
                  "Onderhoud openbaar domein</td><td>2</td><td>2</td><td>0</td><td>14,0 uur</td><td>22,0 uur",
                  "Openbare netheid</td><td>1</td><td>0</td><td>1</td>"):
        assert shown in section, shown


@freeze_time(REPORT_MADE)
def test_the_fortnightly_mails_show_the_first_line_and_each_groups_hand_overs(contacts):
    period = days_period(date(2026, 12, 1), date(2026, 12, 14))
    desk, ood = group_by_key("meldkamer"), group_by_key("onderhoud-openbaar-domein")
    text = render_mail("rapport_meldkamer", mail_data(figures_for(desk, period), desk, "nl"), "nl", "medewerker").text
    assert "Eerste lijn: telefoon en balie:" in text
    assert "- Geregistreerde contacten: 7" in text  # not the visit of 15 December
    assert "- Eerstelijnsoplossing (meteen beantwoord): 33%" in text  # 2 of 6 calls
    assert "- Onderhoud openbaar domein: 2 / 2 / 0 / 14,0 uur" in text
    english = render_mail("rapport_meldkamer", mail_data(figures_for(desk, period), desk, "en"), "en", "medewerker")
    assert "- First-contact resolution (answered at once): 33%" in english.text
    group_text = render_mail("rapport_groep", mail_data(figures_for(ood, period), ood, "nl"), "nl", "medewerker").text
    assert "- Onderhoud openbaar domein: 2 / 2 / 0 / 14,0 uur" in group_text
    assert "Geregistreerde contacten" not in group_text  # the desk's figures are the meldkamer's


@freeze_time(REPORT_MADE)
def test_the_quarterly_document_has_the_first_line_section(contacts):
    content, report = quarterly_report(parse_quarter("2026Q4"))
    document = Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Eerste lijn: telefoon en balie" in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Eerstelijnsoplossing (meteen beantwoord)", "Afval en containerpark", "Onderhoud openbaar domein",
            "14,0 uur"} <= cells
    assert report.contacts.first_contact_resolution == 0.375  # the quarter holds the November call too: 3 of 8
