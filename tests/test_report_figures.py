"""Report figures (reports.figures): a hand-made data set with known answers, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from freezegun import freeze_time

from reports.figures import LeadTime, compare_with_previous, period_figures

from .report_data import END, START, at

# The active handler groups without a case in December: listed with 0, not left out.
IDLE_GROUPS = {key: (name, 0, 0.0) for key, name in (
    ("algemene-ondersteuning-stro", "Algemene ondersteuning en STRO"),
    ("beheer-openbaar-domein", "Beheer openbaar domein"),
    ("omgeving-economie-wonen", "Omgeving, economie en wonen"), ("projecten-en-planning", "Projecten en planning"),
    ("samen-leven", "Samen leven"), ("vrije-tijd", "Vrije tijd"))}


def _table(shares):
    return {s.key: (s.name, s.count, s.share) for s in shares}


def test_period_figures_for_all_groups(data):
    f = period_figures(START, END)
    assert (f.created, f.meldingen) == (12, 10)  # 10 meldingen, 1 mail, 1 letter
    assert [(s.key, s.count, s.share) for s in f.by_kind] == [
        ("melding", 10, 0.8333), ("mail", 1, 0.0833), ("post", 1, 0.0833)]
    assert _table(f.by_group) == {
        "onderhoud-openbaar-domein": ("Onderhoud openbaar domein", 5, 0.4167),
        "fietsteam": ("Fietsteam", 4, 0.3333),  # c5, c8, the mail and the letter
        "openbare-netheid": ("Openbare netheid", 3, 0.25),
        **IDLE_GROUPS,
    }
    assert [s.key for s in f.by_group][:3] == ["onderhoud-openbaar-domein", "fietsteam", "openbare-netheid"]
    # Categories count meldingen only: shares of the 10 meldingen, and no '(geen categorie)' for mail/letter.
    assert {k: v[1:] for k, v in _table(f.by_main_category).items()} == {
        "wegen": (5, 0.5), "netheid": (3, 0.3), "verlichting": (2, 0.2)}
    assert {k: v[1:] for k, v in _table(f.by_sub_category).items()} == {
        "wegdek-put": (3, 0.3), "vuilbak-vol": (3, 0.3), "fietspad": (2, 0.2), "straatlamp-defect": (2, 0.2)}
    assert {k: v[1:] for k, v in _table(f.by_channel).items()} == {
        "web": (5, 0.4167), "mail": (3, 0.25), "telefoon": (2, 0.1667), "balie": (1, 0.0833), "brief": (1, 0.0833)}

    assert f.closed == 6
    assert f.open_at_end == 7          # c7, c8, c9, c10 (closed exactly at the end), m1, p1 and the November case
    assert f.overdue_at_end == 3       # c7, c10, the November case
    assert f.closing == LeadTime(6, 84.0, 107.5)           # 24 48 72 96 96 119
    assert f.first_response == LeadTime(5, 3.0, 5.2)       # 1 2 3 4 6
    assert (f.closed_with_deadline, f.closed_on_time, f.on_time_share) == (5, 4, 0.8)
    assert (f.reopened, f.reopen_rate) == (1, 0.1667)
    assert (f.feedback_answers, f.feedback_satisfied, f.satisfied_share) == (3, 2, 0.6667)
    assert (f.contractor_orders, f.contractor_orders_done, f.contractor_turnaround_median_hours) == (2, 1, 20.0)


def test_period_figures_for_one_group(data):
    f = period_figures(START, END, "openbare-netheid")
    assert (f.created, f.meldingen) == (3, 3)
    assert [(s.key, s.count) for s in f.by_kind] == [("melding", 3), ("mail", 0), ("post", 0)]
    assert _table(f.by_group) == {"openbare-netheid": ("Openbare netheid", 3, 1.0)}
    assert {k: v[1:] for k, v in _table(f.by_channel).items()} == {
        "telefoon": (1, 0.3333), "web": (1, 0.3333), "balie": (1, 0.3333)}
    assert (f.closed, f.open_at_end, f.overdue_at_end) == (2, 1, 0)
    assert f.closing == LeadTime(2, 95.5, 114.3)           # 72 119
    assert f.first_response == LeadTime(2, 3.5, 5.5)       # 1 6
    assert (f.closed_with_deadline, f.closed_on_time, f.on_time_share) == (2, 1, 0.5)
    assert (f.reopened, f.reopen_rate) == (0, 0.0)
    assert (f.feedback_answers, f.feedback_satisfied, f.satisfied_share) == (1, 0, 0.0)
    assert (f.contractor_orders, f.contractor_orders_done, f.contractor_turnaround_median_hours) == (0, 0, None)


def test_category_shares_of_a_group_count_its_meldingen_only(data):
    f = period_figures(START, END, "fietsteam")
    assert (f.created, f.meldingen) == (4, 2)
    assert [(s.key, s.count, s.share) for s in f.by_kind] == [("melding", 2, 0.5), ("mail", 1, 0.25), ("post", 1, 0.25)]
    assert _table(f.by_sub_category) == {"fietspad": ("Fietspad beschadigd", 2, 1.0)}


def test_unknown_group_and_empty_period(data):
    with pytest.raises(LookupError):
        period_figures(START, END, "bestaat-niet")
    f = period_figures(at(6, 1), at(7, 1))
    assert (f.created, f.closed, f.open_at_end, f.by_main_category) == (0, 0, 0, [])
    # Every active handler group is still listed, with zero cases (no share of nothing).
    assert {s.key: (s.count, s.share) for s in f.by_group} == {
        key: (0, None) for key in ("onderhoud-openbaar-domein", "openbare-netheid", "fietsteam", *IDLE_GROUPS)}
    assert [(s.key, s.count, s.share) for s in f.by_kind] == [
        ("melding", 0, None), ("mail", 0, None), ("post", 0, None)]
    assert f.closing == LeadTime(0, None, None)
    assert (f.on_time_share, f.reopen_rate, f.satisfied_share) == (None, None, None)


def test_compare_with_previous_period_of_equal_length(data):
    comparison = compare_with_previous(START, END)
    assert comparison.current.created == 12
    previous = comparison.previous
    assert (previous.start, previous.end) == (START - (END - START), START)
    assert (previous.created, previous.closed, previous.open_at_end, previous.overdue_at_end) == (1, 0, 1, 1)
    assert (previous.reopened, previous.reopen_rate) == (1, None)
    assert (previous.contractor_orders, previous.contractor_turnaround_median_hours) == (1, 24.0)


def test_a_report_made_mid_period_counts_only_deadlines_that_have_passed(data):
    """Made on 16 December at noon: c7 (open, its deadline of 10 working days still ahead) is not late; the
    November case (deadline 25 November) is. Cases that do not exist yet at that moment are not open."""
    with freeze_time(at(12, 16, 12)):
        f = period_figures(START, END)
    assert f.state_at == at(12, 16, 12)
    assert f.open_at_end == 3      # c7, the mail m1 and the November case
    assert f.overdue_at_end == 1   # the November case only
    # Closed cases are judged by when they closed: c4 closed a day after its deadline, so 4 of 5 on time.
    assert (f.closed_with_deadline, f.closed_on_time) == (5, 4)


def test_a_report_made_after_the_period_describes_its_last_moment(data):
    with freeze_time(at(2, 1, year=2027)):
        f = period_figures(START, END)
    assert (f.state_at, f.open_at_end, f.overdue_at_end) == (END, 7, 3)
