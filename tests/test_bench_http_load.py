"""The HTTP load benchmark's pure parts (benchmarks/http_load.py): what it reads from the pages it gets and how it
sums up the requests it timed. The benchmark itself runs in `make bench`, not in the test suite."""
from __future__ import annotations

import pytest

from benchmarks.http_load import (
    STAFF_KINDS,
    TRIAGE_PAGE,
    Sample,
    Shared,
    complete_triage,
    csrf_token,
    database_url,
    format_table,
    http_database,
    next_cursor,
    percentile,
    references,
    staff_names,
    summarise,
    task_form,
)

CASE_PAGE = """
<form method="post" action="/werk/dossier/M2026-000042/taak/77/opnemen"><input type="hidden" name="csrf_token"
 value="x"></form>
<form method="post" action="/werk/dossier/M2026-000042/taak/78" enctype="multipart/form-data">
  <input type="hidden" name="csrf_token" value="tok&amp;en">
  <input type="hidden" name="form_token" value="ft-1">
  <select name="decision"><option value="dispatch">Doorsturen</option></select>
</form>"""


def test_percentiles_are_nearest_rank():
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50.0 and percentile(samples, 95) == 95.0 and percentile(samples, 99) == 99.0
    assert percentile([7.0], 95) == 7.0 and percentile([], 95) == 0.0


def test_the_pages_tokens_cursor_references_and_task_form_are_found():
    assert csrf_token('<input type="hidden" name="csrf_token" value="abc&amp;d">') == "abc&d"
    assert csrf_token("<p>no form</p>") is None
    assert next_cursor('<a href="/werk/meldkamer?categorie=x&amp;na=1234">Volgende</a>') == "1234"
    assert next_cursor("<p>last page</p>") is None
    assert references('<tr data-reference="M2026-000001"><tr data-reference="P2025-000002">') == [
        "M2026-000001", "P2025-000002"]
    action, hidden = task_form(CASE_PAGE, "decision")
    assert action == "/werk/dossier/M2026-000042/taak/78"
    assert hidden == {"csrf_token": "tok&en", "form_token": "ft-1"}
    assert task_form(CASE_PAGE, "no such field") is None


def test_the_summary_has_a_row_per_kind_errors_and_the_verdict_against_the_target():
    samples = [Sample("queue page 1", 10.0, True), Sample("queue page 1", 30.0, True),
               Sample("dashboard", 900.0, True), Sample("API create", 20.0, False)]
    rows = summarise(samples, 2.0, {"queue page 1": 150.0, "dashboard": 500.0, "API create": 100.0})
    by_kind = {row.kind: row for row in rows}
    assert [row.kind for row in rows] == ["queue page 1", "dashboard", "API create", "all"]
    assert by_kind["queue page 1"].count == 2 and by_kind["queue page 1"].p95 == 30.0
    assert by_kind["queue page 1"].verdict.startswith("PASS")
    assert by_kind["dashboard"].verdict.startswith("FAIL")  # too slow
    assert by_kind["API create"].verdict.startswith("FAIL") and by_kind["API create"].errors == 1  # an error
    assert by_kind["all"].count == 4 and by_kind["all"].per_second == 2.0 and by_kind["all"].verdict == "info"
    table = format_table("title", rows)
    assert "queue page 1" in table and "FAIL (p95 < 500 ms)" in table


def test_the_benchmark_uses_a_database_of_its_own_and_mixes_desk_and_group_staff():
    url = database_url("postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dx", "bench_http")
    assert url == "postgresql+psycopg://postgres@127.0.0.1:5432/bench_http"
    roles = [role for _, _, role, _ in staff_names(30)]
    assert roles.count("meldkamer") == 10 and roles.count("behandelaar") == 20


def test_the_database_name_comes_from_the_environment_when_set():
    assert http_database({}) == "meldpunt_bench_http"
    assert http_database({"MELDPUNT_BENCH_HTTP_DATABASE": " hw_http "}) == "hw_http"
    with pytest.raises(ValueError):
        http_database({"MELDPUNT_BENCH_HTTP_DATABASE": 'x"; DROP DATABASE y; --'})


class TriageBrowser:
    """Stands in for the benchmark's HTTP client: answers the case page with CASE_PAGE, keeps what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None, str]] = []

    def get(self, kind, path):
        self.asked.append(("GET", kind, path))
        return 200, CASE_PAGE, {}

    def post_form(self, kind, path, fields):
        self.asked.append(("POST", kind, path))
        return 303, "", {}

    def record(self, sample):
        self.asked.append(("failed", sample.kind, ""))


def test_the_case_page_opened_to_triage_is_a_request_of_the_phase_timed_counted_and_judged():
    shared = Shared(budget=3)
    shared.fresh.append("M2026-000042")
    assert shared.take(2) and shared.budget == 1  # the case page and its triage form both come from the budget
    browser = TriageBrowser()
    complete_triage(browser, shared)
    assert browser.asked == [("GET", TRIAGE_PAGE, "/werk/dossier/M2026-000042"),
                             ("POST", "complete task (POST)", "/werk/dossier/M2026-000042/taak/78")]
    assert TRIAGE_PAGE in STAFF_KINDS  # a staff page: p95 < 150 ms with think time
    assert not shared.take(2) and shared.stop.is_set()  # one request left: no triage started half
