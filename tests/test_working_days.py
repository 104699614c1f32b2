"""Deadlines in working days: weekends and Belgian public holidays do not count."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from handlers.calendar import add_working_days, is_working_day, working_days_between

UTC = UTC


@pytest.mark.parametrize("start, days, expected", [
    (datetime(2026, 12, 23, 9, tzinfo=UTC), 2, datetime(2026, 12, 28, 9, tzinfo=UTC)),   # Christmas
    (datetime(2026, 11, 10, 9, tzinfo=UTC), 1, datetime(2026, 11, 12, 9, tzinfo=UTC)),   # Wapenstilstand
    (datetime(2027, 3, 26, 9, tzinfo=UTC), 1, datetime(2027, 3, 30, 8, tzinfo=UTC)),     # Easter Monday, DST
    (datetime(2026, 11, 21, 9, tzinfo=UTC), 2, datetime(2026, 11, 24, 9, tzinfo=UTC)),   # from a Saturday
    (datetime(2026, 11, 23, 9, tzinfo=UTC), 0, datetime(2026, 11, 23, 9, tzinfo=UTC)),
])
def test_add_working_days_skips_weekends_and_public_holidays(start, days, expected):
    assert add_working_days(start, days) == expected


def test_belgian_holidays_are_not_working_days():
    assert not is_working_day(datetime(2026, 7, 21).date())   # Nationale feestdag
    assert not is_working_day(datetime(2026, 5, 1).date())    # Dag van de arbeid
    assert is_working_day(datetime(2026, 7, 22).date())


def test_working_days_between_counts_only_working_days():
    assert working_days_between(datetime(2026, 12, 23, tzinfo=UTC), datetime(2026, 12, 28, tzinfo=UTC)) == 2


def test_dispatch_sets_the_deadline_across_a_public_holiday(staff):
    with freeze_time(datetime(2026, 12, 23, 9, tzinfo=UTC), tick=True):
        ref = staff.meldkamer.file_melding(category="vuilbak-vol")["reference"]  # 2 working days
        staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    deadline = datetime.fromisoformat(staff.meldkamer.case(ref)["deadline_at"])
    assert deadline.date() == datetime(2026, 12, 28).date()
    item = [w for w in staff.meldkamer.case(ref)["work_items"] if w["task"] == "take_in_handling"][0]
    assert datetime.fromisoformat(item["due_at"]) == deadline
