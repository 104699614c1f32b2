"""Measured phases, the targets they are judged by, and the printed table."""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Optional

# Engine time per operation against bare SpiffWorkflow storing the instance by reference ("bare-ref"), per database
# and phase (issue #17: create <= 2.5x and complete <= 3x on SQLite, <= 4x on PostgreSQL).
BASELINE = "bare-ref"
EMBEDDED = "bare"
MAX_OVERHEAD = {("sqlite", "create"): 2.5, ("sqlite", "complete"): 3.0,
                ("postgresql", "create"): 4.0, ("postgresql", "complete"): 4.0}
BARE_BACKENDS = (BASELINE, EMBEDDED)
MIN_CASES_PER_SECOND = {"sqlite": 300.0, "postgresql": 200.0}
ROWS = "-rows"  # "<database>-rows": the engine's rows written by the driver alone (benchmarks/floor.py)


@dataclass
class PhaseResult:
    """One timed loop: `count` operations of `phase` ("create" or "complete") on `backend`."""

    backend: str
    phase: str
    count: int
    seconds: float
    json_bytes: float  # mean size of the stored instance JSON after the operation
    cpu_seconds: float = 0.0  # CPU time of this process (wall >> CPU on bare means a busy machine)

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.count / self.seconds if self.seconds else float("inf")

    @property
    def ms_per_op(self) -> float:
        """Milliseconds per operation."""
        return 1000.0 * self.seconds / self.count if self.count else 0.0


@dataclass
class Verdict:
    """One target line: what was measured against what limit, and whether it passed."""

    label: str
    measured: str
    target: str
    passed: bool


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best_of(repetitions: list[list[PhaseResult]]) -> list[PhaseResult]:
    """The fastest repetition of every (backend, phase), in the order of the first repetition.

    As `timeit` advises: on a shared machine the other processes only ever add time, so the lowest of a
    few repetitions is the truest figure, for bare SpiffWorkflow and for the engine alike.
    """
    best: dict[tuple[str, str], PhaseResult] = {}
    for results in repetitions:
        for r in results:
            key = (r.backend, r.phase)
            if key not in best or r.seconds < best[key].seconds:
                best[key] = r
    return list(best.values())


def repetition_lines(repetitions: list[list[PhaseResult]]) -> list[str]:
    """Per repetition, each side's ms per operation and its ratio to bare-ref in that same repetition."""
    lines = []
    for number, results in enumerate(repetitions, 1):
        by_key = {(r.backend, r.phase): r for r in results}
        cells = []
        for (backend, phase), r in by_key.items():
            bare = by_key.get((BASELINE, phase))
            ratio = "" if backend == BASELINE or backend.endswith(ROWS) or bare is None \
                else f" ({r.ms_per_op / bare.ms_per_op:.2f}x)"
            cells.append(f"{backend} {phase} {r.ms_per_op:.3f}{ratio}")
        lines.append(f"repetition {number}: " + ", ".join(cells))
    return lines


def judge(results: list[PhaseResult]) -> list[Verdict]:
    """Compare every database backend's phases with the by-reference bare baseline and the absolute targets."""
    by_key = {(r.backend, r.phase): r for r in results}
    verdicts = []
    for backend in [b for b in MIN_CASES_PER_SECOND if (b, "create") in by_key]:
        for phase, noun in (("create", "case"), ("complete", "completion")):
            ours, bare = by_key.get((backend, phase)), by_key.get((BASELINE, phase))
            if ours is None or bare is None:
                continue
            ratio, limit = ours.ms_per_op / bare.ms_per_op, MAX_OVERHEAD[(backend, phase)]
            verdicts.append(Verdict(f"{backend}: engine time per {noun} / bare-ref", f"{ratio:.2f}x",
                                    f"<= {limit:g}x", ratio <= limit))
        create = by_key[(backend, "create")]
        floor = MIN_CASES_PER_SECOND[backend]
        verdicts.append(Verdict(f"{backend}: new meldingen per second", f"{create.rate:.0f}/s",
                                f">= {floor:.0f}/s", create.rate >= floor))
        mail = by_key.get((backend, "mail"))
        if mail is not None:  # "mail sending keeps up with intake": at least the intake target
            verdicts.append(Verdict(f"{backend}: mails sent per second", f"{mail.rate:.0f}/s", f">= {floor:.0f}/s",
                                    mail.rate >= floor))
    return verdicts


def mail_lines(results: list[PhaseResult]) -> list[str]:
    """Per backend: does mail sending keep up with intake (its target, and the intake measured here)?"""
    by_key = {(r.backend, r.phase): r for r in results}
    lines = []
    for backend, floor in MIN_CASES_PER_SECOND.items():
        mail, create = by_key.get((backend, "mail")), by_key.get((backend, "create"))
        if mail is None or create is None:
            continue
        keeps_up = mail.rate >= floor
        lines.append(f"{backend}: mail keeps up with intake: {'yes' if keeps_up else 'no'} ({mail.rate:.0f} mails/s, "
                     f"intake target {floor:.0f}/s; intake measured here {create.rate:.0f}/s, which mail "
                     f"{'also keeps up with' if mail.rate >= create.rate else 'does not reach'})")
    return lines


def baseline_lines(results: list[PhaseResult]) -> list[str]:
    """Both baselines side by side per phase, and each database's ratio to either: the judged ratio is the one
    against bare-ref; the one against the spec-embedding default is shown to say how much it would flatter."""
    by_key = {(r.backend, r.phase): r for r in results}
    lines = []
    for phase in ("create", "complete"):
        ref, embedded = by_key.get((BASELINE, phase)), by_key.get((EMBEDDED, phase))
        if ref is None or embedded is None:
            continue
        cells = [f"{backend} {ours.ms_per_op / ref.ms_per_op:.2f}x of bare-ref, "
                 f"{ours.ms_per_op / embedded.ms_per_op:.2f}x of bare"
                 for backend in MIN_CASES_PER_SECOND if (ours := by_key.get((backend, phase)))]
        lines.append(f"{phase}: bare-ref {ref.ms_per_op:.3f} ms, bare (spec embedded) {embedded.ms_per_op:.3f} ms"
                     + ("; " + "; ".join(cells) if cells else ""))
    return lines


def floor_lines(results: list[PhaseResult]) -> list[str]:
    """Per database and phase: the floor (bare-ref plus the driver writing the engine's rows) and the engine's
    ratio to bare-ref (judged) beside its ratio to the floor (how much of the overhead is ours, not the database's)."""
    by_key = {(r.backend, r.phase): r for r in results}
    lines = []
    for backend in MIN_CASES_PER_SECOND:
        for phase in ("create", "complete"):
            ref, rows, ours = (by_key.get((b, phase)) for b in (BASELINE, backend + ROWS, backend))
            if ref is None or rows is None or ours is None:
                continue
            floor = ref.ms_per_op + rows.ms_per_op
            lines.append(f"{backend} {phase}: floor {floor:.3f} ms (bare-ref {ref.ms_per_op:.3f} + its rows by the "
                         f"driver {rows.ms_per_op:.3f}) = {floor / ref.ms_per_op:.2f}x of bare-ref; engine "
                         f"{ours.ms_per_op / ref.ms_per_op:.2f}x of bare-ref, {ours.ms_per_op / floor:.2f}x of the "
                         f"floor ({ours.ms_per_op - floor:.3f} ms above it)")
    return lines


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def print_table(results: list[PhaseResult], verdicts: list[Verdict], rss: dict[str, float],
                skipped: Optional[str], loads: tuple[float, float], repetitions: Optional[list[str]] = None) -> None:
    """Print the rates, the targets with PASS/FAIL, memory, and the final summary line."""
    header = ["phase", "ops", "seconds", "ops/s", "ms/op", "cpu ms/op", "JSON bytes/case"]
    names = {"create": "create case (to triage)", "complete": "complete triage (dispatch)",
             "mail": "send its mail (SMTP)"}
    rows = [[f"{r.backend:<10} {names[r.phase]}{', its rows only' if r.backend.endswith(ROWS) else ''}",
             str(r.count), f"{r.seconds:.3f}", f"{r.rate:.1f}",
             f"{r.ms_per_op:.3f}", f"{1000.0 * r.cpu_seconds / r.count:.3f}", f"{r.json_bytes:,.0f}"]
            for r in results]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    line = "-" * (sum(widths) + 2 * (len(widths) - 1))
    print()
    print("Meldpunt engine benchmark (bare-ref = SpiffWorkflow without database, instance stored by reference to its")
    print("spec as the engine stores it: the judged baseline; bare = the same with the spec embedded in every JSON;")
    print("sqlite/postgresql = register_melding / complete_work_item, spec stored by reference;")
    print("<database>-rows = the rows they wrote, written again by the driver alone: the floor is bare-ref plus those,")
    print("benchmarks/floor.py)")
    if repetitions and len(repetitions) > 1:
        print(f"every side's fastest of {len(repetitions)} repetitions; ms per operation in each repetition:")
        for text in repetitions:
            print("  " + text)
    print(line)
    print(_row(header, widths))
    print(line)
    for row in rows:
        print(_row(row, widths))
    print(line)
    for text in baseline_lines(results) + floor_lines(results):
        print(text)
    if skipped:
        print(f"postgresql: SKIPPED ({skipped})")
    print()
    label_width = max([len(v.label) for v in verdicts] + [10])
    for v in verdicts:
        print(f"{'PASS' if v.passed else 'FAIL'}  {v.label.ljust(label_width)}  {v.measured:>9}  (target {v.target})")
    for text in mail_lines(results):
        print(text)
    print()
    print("peak RSS: " + ", ".join(f"after {k} {v:.0f} MB" for k, v in rss.items()))
    print(f"1-minute load average: {loads[0]:.2f} at start, {loads[1]:.2f} at end "
          f"({os.cpu_count()} CPUs; other processes make wall-time ratios noisy)")
    failed = [v.label for v in verdicts if not v.passed]
    summary = f"SUMMARY: {len(verdicts) - len(failed)}/{len(verdicts)} targets passed"
    if failed:
        summary += "; FAILED: " + "; ".join(failed)
    if skipped:
        summary += "; postgresql skipped"
    print(summary)
