"""Our engine with its database: register_melding and complete_work_item, timed in one process."""
from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from engine import deploy
from engine.db import db
from engine.models import Case, WorkItem
from engine.task_completion import complete_work_item
from handlers.models import User
from handlers.seed import seed_demo_users, seed_reference_data
from intake.meldingen import register_melding
from web.api.auth import user_of_token
from web.app import create_app, freeze_long_lived

from .floor import run_floor, snapshot
from .mail_rates import time_mail
from .results import PhaseResult

CATEGORY = "straatlamp-defect"
MELDKAMER_USER = "an.meldkamer"
DECISION = {"decision": "dispatch"}


@contextmanager
def prepared_app(url: str) -> Iterator[Flask]:
    """An app on `url`, migrated with Alembic, seeded and with the built-in models deployed."""
    with tempfile.TemporaryDirectory(prefix="meldpunt-bench-files-") as files:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                          "MELDPUNT_BASE_URL": "https://meldpunt.stad.example",
                          "MELDPUNT_STORAGE_PATH": files})
        with app.app_context():
            logging.disable(logging.INFO)  # migrations/env.py re-enables Alembic's INFO log on every run
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
            deploy.forget_cached_specs()  # definition ids restart in every fresh database
            seed_reference_data()
            seed_demo_users()
            deploy.deploy_builtin()
            db.session.commit()
            freeze_long_lived()  # as `meldpunt serve`, `meldpunt worker` and web/wsgi.py do after start-up
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
                deploy.forget_cached_specs()


def register(number: int) -> int:
    """Register one web melding with a reporter e-mail address; returns the case id.

    Each operation gets its own session, as each web request does (Flask-SQLAlchemy removes the
    session at the end of a request); one session for the whole run would grow its identity map.
    """
    try:
        case = register_melding(description=f"Straatlamp {number} brandt niet meer", channel="web",
                                category=CATEGORY, location={"address": f"Bruul {number % 140 + 1}, Mechelen"},
                                reporter={"email": "x@example.org"})
        return case.id
    finally:
        db.session.remove()


def open_triage_items(case_ids: list[int]) -> list[int]:
    """Ids of the open triage work items of these cases, in case order."""
    query = (select(WorkItem.id).where(WorkItem.case_id.in_(case_ids), WorkItem.status == "open",
                                       WorkItem.task_name == "triage").order_by(WorkItem.case_id))
    return list(db.session.scalars(query))


def mean_state_bytes(case_ids: list[int]) -> float:
    """Mean size in bytes of the stored instance JSON of these cases."""
    states = db.session.scalars(select(Case.state).where(Case.id.in_(case_ids)))
    sizes = [len(s.encode("utf-8")) for s in states]
    return sum(sizes) / len(sizes) if sizes else 0.0


def timed(fn: Callable[[Any], Any], args: list[Any],
          profiler: Optional[Any] = None) -> tuple[list[Any], float, float]:
    """Call fn on every argument (under `profiler` if given); returns results, wall and CPU seconds."""
    if profiler is not None:
        profiler.enable()
    start, cpu = time.perf_counter(), time.process_time()
    out = [fn(a) for a in args]
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
    return out, seconds, cpu_seconds


def verify(case_ids: list[int]) -> None:
    """Every completed case must sit at take_in_handling with the group's work item open."""
    waiting = db.session.scalar(select(func.count(WorkItem.id)).where(
        WorkItem.case_id.in_(case_ids), WorkItem.status == "open", WorkItem.task_name == "take_in_handling"))
    statuses = set(db.session.scalars(select(Case.status).where(Case.id.in_(case_ids)).distinct()))
    if waiting != len(case_ids) or statuses != {"toegewezen"}:
        raise RuntimeError(f"engine run ended wrong: {waiting}/{len(case_ids)} at take_in_handling, "
                           f"statuses {sorted(statuses)}")


def run_engine(url: str, backend: str, cases: int, warmup: int,
               profilers: Optional[dict[str, Any]] = None, mail: bool = False,
               floor: bool = False) -> tuple[PhaseResult, ...]:
    """Time `cases` registrations and `cases` triage completions on `url` (after `warmup` untimed);
    with `mail`, then the sending of the receipt mails they queued (benchmarks/mail_rates.py); with `floor`,
    then the driver writing the same rows again (benchmarks/floor.py).

    `profilers` may map "create" / "complete" to a cProfile.Profile that records that phase.
    """
    profilers = profilers or {}
    with prepared_app(url) as app:
        user = db.session.scalar(select(User).where(User.username == MELDKAMER_USER))
        token = user.issue_api_token()
        db.session.commit()

        def complete(item_id: int) -> None:
            """One completion as one API request: the user from the token as the API finds it, then the action."""
            try:
                complete_work_item(item_id, user_of_token(token), DECISION)
            finally:
                db.session.remove()

        warm_ids = [register(-1 - i) for i in range(warmup)]
        for item_id in open_triage_items(warm_ids):
            complete(item_id)

        case_ids, create_seconds, create_cpu = timed(register, list(range(cases)), profilers.get("create"))
        create_bytes = mean_state_bytes(case_ids)
        items = open_triage_items(case_ids)
        created = snapshot(case_ids) if floor else {}
        db.session.remove()
        if len(items) != cases:
            raise RuntimeError(f"expected {cases} open triage work items, found {len(items)}")

        _, complete_seconds, complete_cpu = timed(complete, items, profilers.get("complete"))
        done_bytes = mean_state_bytes(case_ids)
        verify(case_ids)
        completed = snapshot(case_ids) if floor else {}
        db.session.remove()
        mailed = (time_mail(app, backend),) if mail else ()
        rows = run_floor(backend, case_ids, created, completed) if floor else ()
    return (PhaseResult(backend, "create", cases, create_seconds, create_bytes, create_cpu),
            PhaseResult(backend, "complete", cases, complete_seconds, done_bytes, complete_cpu)) + mailed + rows
