"""Answer deadlines of incoming post: the default per kind, calendar and working days, Belgian holidays."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.db import db
from handlers.post_deadlines import Term, answer_deadline, default_term, parse_terms
from handlers.post_models import PostLetter

from .test_post_support import register

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def test_default_terms_per_kind(app):
    assert default_term("vraag") == Term(30, "kalenderdagen")
    assert default_term("klacht") == Term(45, "kalenderdagen")
    assert default_term("bezwaar") == Term(30, "kalenderdagen")
    assert default_term("factuur") == Term(30, "kalenderdagen")
    assert default_term("ter_info") is None


def test_the_setting_changes_the_defaults_and_w_means_working_days(app):
    app.config["MELDPUNT_POST_DEADLINES"] = "klacht=20w, vraag=15"
    assert default_term("klacht") == Term(20, "werkdagen")
    assert default_term("vraag") == Term(15, "kalenderdagen")
    assert default_term("factuur") == Term(30, "kalenderdagen")  # not in the setting: the built-in default


@pytest.mark.parametrize("setting", ["klacht=veel", "kettingbrief=10", "vraag=0", "vraag=400", "vraag"])
def test_a_bad_setting_is_refused_with_a_message(setting):
    with pytest.raises(ValueError, match="MELDPUNT_POST_DEADLINES"):
        parse_terms(setting)


def test_calendar_days_end_at_the_end_of_the_office_day():
    due = local(answer_deadline(date(2026, 11, 2), Term(30, "kalenderdagen")))
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 2), 17, 0)


def test_calendar_days_ending_on_a_weekend_or_holiday_move_to_the_next_working_day():
    # 2 October + 30 days = Sunday 1 November (also All Saints' Day): Monday 2 November
    due = local(answer_deadline(date(2026, 10, 2), Term(30, "kalenderdagen")))
    assert due.date() == date(2026, 11, 2)
    # the last day is Saturday 26 December; Sunday 27 December, then Monday 28 December
    assert local(answer_deadline(date(2026, 11, 26), Term(30, "kalenderdagen"))).date() == date(2026, 12, 28)


def test_working_days_skip_weekends_and_belgian_public_holidays():
    # Tuesday 10 November 2026 + 1 working day: Wednesday 11 November is Armistice Day
    assert local(answer_deadline(date(2026, 11, 10), Term(1, "werkdagen"))).date() == date(2026, 11, 12)
    # Friday 18 December + 5 working days: 21-24 December, (25 Christmas, weekend) then Monday 28 December
    assert local(answer_deadline(date(2026, 12, 18), Term(5, "werkdagen"))).date() == date(2026, 12, 28)


def test_a_registered_letter_gets_the_deadline_of_its_kind(app):
    received = date(2026, 11, 10)
    # klacht: 45 days = Friday 25 December (Christmas), then the weekend; bezwaar: 1 working day over 11 November
    for kind, days, expected in (("klacht", "", date(2026, 12, 28)), ("vraag", "", date(2026, 12, 10)),
                                 ("bezwaar", "1", date(2026, 11, 12))):
        unit = "werkdagen" if days else ""
        case = register(kind=kind, received_on=received, deadline_days=days, deadline_unit=unit)
        assert local(case.deadline_at).date() == expected, kind
    letters = {letter.letter_kind: letter for letter in db.session.query(PostLetter)}
    assert (letters["klacht"].deadline_days, letters["klacht"].deadline_unit) == (45, "kalenderdagen")
    assert (letters["bezwaar"].deadline_days, letters["bezwaar"].deadline_unit) == (1, "werkdagen")
