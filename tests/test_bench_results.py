"""The benchmark's verdict: each side's fastest repetition, ratios against bare from those."""
from __future__ import annotations

from benchmarks.results import PhaseResult, best_of, judge, repetition_lines


def _run(bare_create: float, pg_create: float) -> list[PhaseResult]:
    return [PhaseResult("bare", "create", 1000, bare_create, 1.0), PhaseResult("bare", "complete", 1000, 3.0, 1.0),
            PhaseResult("postgresql", "create", 1000, pg_create, 1.0),
            PhaseResult("postgresql", "complete", 1000, 6.0, 1.0)]


def test_the_fastest_repetition_of_each_side_is_judged():
    repetitions = [_run(1.0, 3.5), _run(0.9, 2.5), _run(1.2, 2.6)]
    best = {(r.backend, r.phase): r.seconds for r in best_of(repetitions)}
    assert best[("bare", "create")] == 0.9 and best[("postgresql", "create")] == 2.5
    verdicts = {v.label: v for v in judge(best_of(repetitions))}
    case = verdicts["postgresql: engine time per case / bare"]
    assert case.measured == "2.78x" and case.passed
    rate = verdicts["postgresql: new meldingen per second"]
    assert rate.measured == "400/s" and rate.passed


def test_a_side_slow_in_every_repetition_still_fails():
    verdicts = {v.label: v for v in judge(best_of([_run(1.0, 3.5), _run(0.9, 3.1)]))}
    assert verdicts["postgresql: engine time per case / bare"].measured == "3.44x"
    assert not verdicts["postgresql: engine time per case / bare"].passed


def test_every_repetition_is_shown_with_its_own_ratio():
    lines = repetition_lines([_run(1.0, 3.5), _run(0.9, 2.5)])
    assert lines[0].startswith("repetition 1:") and "postgresql create 3.500 (3.50x)" in lines[0]
    assert "postgresql create 2.500 (2.78x)" in lines[1]


def test_mail_sending_is_judged_against_the_intake_target_and_said_in_words():
    from benchmarks.results import mail_lines

    results = _run(1.0, 2.5) + [PhaseResult("postgresql", "mail", 1000, 4.0, 0.0)]
    verdicts = {v.label: v for v in judge(results)}
    assert verdicts["postgresql: mails sent per second"].measured == "250/s"
    assert verdicts["postgresql: mails sent per second"].passed
    assert mail_lines(results) == ["postgresql: mail keeps up with intake: yes (250 mails/s, intake target 200/s; "
                                   "intake measured here 400/s, which mail does not reach)"]
    slow = _run(1.0, 2.5) + [PhaseResult("postgresql", "mail", 1000, 10.0, 0.0)]
    assert mail_lines(slow)[0].startswith("postgresql: mail keeps up with intake: no (100 mails/s")
