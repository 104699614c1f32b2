"""`--profile`: a separate, untimed pass under cProfile that shows where the engine spends its time."""
from __future__ import annotations

import cProfile
import io
import pstats
import tempfile
from pathlib import Path

from .databases import sqlite_url
from .engine_rates import run_engine


def profile_engine(url: str | None, backend: str, cases: int, warmup: int, top: int = 25) -> None:
    """Profile creation and completion on `url` (a fresh SQLite file if None) and print the hot spots."""
    profilers = {"create": cProfile.Profile(), "complete": cProfile.Profile()}
    with tempfile.TemporaryDirectory(prefix="meldpunt-bench-prof-") as tmp:
        run_engine(url or sqlite_url(Path(tmp)), backend, cases, warmup, profilers)
    for phase, profiler in profilers.items():
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
            stats.print_stats(top)
            print(f"\n=== profile {backend} {phase} ({cases} ops), top {top} by {order} ===")
            # Keep the table, drop pstats' preamble about ordering and totals except the first line.
            lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
            print("\n".join(lines[:1] + [ln for ln in lines[1:] if not ln.lstrip().startswith(("Ordered", "List"))]))
