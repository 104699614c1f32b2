"""The feedback window comes from the model (issue #14): the reporter's link works exactly as long as the
feedback timer of the case's own process definition, and the page and the 'afgesloten' mail name that length;
MELDPUNT_FEEDBACK_DAYS is only the fallback for a model without a feedback timer."""
from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from notifications.models import OutboxMessage
from notifications.render import render_mail

from .model_variants import MELDING, deploy_variant, with_feedback_window
from .test_feedback_page import REPORTER, Citizen, close_melding, closing_mails, feedback_events, links


def _without_feedback_timer() -> str:
    """melding.bpmn whose feedback wait has no timer (an old or a careless model)."""
    xml = MELDING.read_text(encoding="utf-8")
    start = xml.index('<bpmn:boundaryEvent id="feedback_window_over"')
    end = xml.index("</bpmn:boundaryEvent>", start) + len("</bpmn:boundaryEvent>")
    return xml[:start] + xml[end:]


def _mail_texts(reference: str) -> tuple[str, str]:
    mail: OutboxMessage = closing_mails(reference)[-1]
    rendered = render_mail(mail.template, mail.data, language=mail.language)
    return rendered.text, rendered.html


def test_a_seven_day_model_window_opens_the_link_for_seven_days(app, staff):
    app.config["MELDPUNT_FEEDBACK_DAYS"] = 30  # the model decides, not the setting
    deploy_variant(with_feedback_window("P7D"))
    with freeze_time(utcnow(), tick=True) as clock:
        ref = close_melding(staff)
        assert closing_mails(ref)[-1].data["feedback_days"] == 7
        text, html = _mail_texts(ref)
        assert "U kunt tot 7 dagen na het afsluiten laten weten of u tevreden bent." in text
        assert "tot 7 dagen" in html and "14 dagen" not in text + html
        yes, no = links(ref)

        clock.tick(timedelta(days=6))
        page = Citizen(app).open(yes)
        assert page.status_code == 200 and 'name="tevreden"' in page.get_data(as_text=True)

        clock.tick(timedelta(days=2))
        citizen = Citizen(app)
        page = citizen.open(no)
        html = page.get_data(as_text=True)
        assert page.status_code == 410
        assert "U kon tot 7 dagen na het afsluiten van uw melding laten weten of u tevreden bent." in html
        assert ref in html and "14 dagen" not in html
        response = citizen.send({"tevreden": "nee", "antwoord_nee": "te_lang"}, path=no)
        assert response.status_code == 410 and "U kon tot 7 dagen" in response.get_data(as_text=True)
    assert feedback_events(ref) == []


def test_the_window_is_the_one_of_the_cases_own_version(app, staff):
    """A case closed on the 14-day version keeps 14 days after a 7-day version is deployed."""
    with freeze_time(utcnow(), tick=True) as clock:
        old = close_melding(staff)
        deploy_variant(with_feedback_window("P7D"))
        new = close_melding(staff, reporter={**REPORTER, "email": "tweede@voorbeeld.example"})
        old_yes, _ = links(old)
        new_yes, _ = links(new)
        clock.tick(timedelta(days=8))
        assert Citizen(app).open(old_yes).status_code == 200
        page = Citizen(app).open(new_yes)
        assert page.status_code == 410 and "U kon tot 7 dagen" in page.get_data(as_text=True)
    cases = {c.reference: c.definition_id for c in db.session.scalars(select(Case))}
    assert cases[old] != cases[new]


def test_english_reporters_read_the_length_in_english(app, staff):
    deploy_variant(with_feedback_window("P7D"))
    with freeze_time(utcnow(), tick=True) as clock:
        ref = close_melding(staff, reporter={**REPORTER, "language": "en"})
        mail = closing_mails(ref)[-1]
        assert mail.language == "en"
        text, _html = _mail_texts(ref)
        assert "7 days" in text
        yes, _no = links(ref)
        clock.tick(timedelta(days=8))
        page = Citizen(app).open(yes)
        assert page.status_code == 410 and "7 days" in page.get_data(as_text=True)


def test_a_model_without_a_feedback_timer_falls_back_to_the_setting(app, staff):
    app.config["MELDPUNT_FEEDBACK_DAYS"] = 3
    deploy_variant(_without_feedback_timer())
    with freeze_time(utcnow(), tick=True) as clock:
        ref = close_melding(staff)
        assert closing_mails(ref)[-1].data["feedback_days"] == 3
        yes, _no = links(ref)
        clock.tick(timedelta(days=2))
        assert Citizen(app).open(yes).status_code == 200
        clock.tick(timedelta(days=2))
        page = Citizen(app).open(yes)
        assert page.status_code == 410 and "U kon tot 3 dagen" in page.get_data(as_text=True)
