"""The benchmark's floor (benchmarks/floor.py): the engine's own rows, written again by the driver alone, must be
exactly the rows the engine wrote (else the floor measures other work), and are printed beside, never judged."""
from __future__ import annotations

from sqlalchemy import select, text

from benchmarks import floor
from benchmarks.results import PhaseResult, floor_lines, judge
from engine.db import db
from engine.models import Case, WorkItem
from engine.task_completion import complete_work_item
from handlers.models import User


def _rows(table: str, case_id: int) -> list[dict]:
    key = "id" if table == "cases" else "case_id"
    rows = db.session.execute(text(f"SELECT * FROM {table} WHERE {key} = :c ORDER BY id"), {"c": case_id})
    drop = {"id", "case_id", "reference", "tracking_token", "search_text"}  # the search text holds the reference
    return [{k: v for k, v in row._mapping.items() if k not in drop} for row in rows]


def test_the_floor_writes_the_very_rows_the_engine_wrote_at_create_and_complete(app, staff):
    references = [staff.meldkamer.file_melding()["reference"] for _ in range(2)]
    case_ids = list(db.session.scalars(select(Case.id).where(Case.reference.in_(references)).order_by(Case.id)))
    created = floor.snapshot(case_ids)
    for item_id in db.session.scalars(select(WorkItem.id).where(WorkItem.case_id.in_(case_ids),
                                                                WorkItem.task_name == "triage")).all():
        complete_work_item(item_id, db.session.scalar(select(User).where(User.username == "an")),
                           {"decision": "dispatch"})
        db.session.remove()
    completed = floor.snapshot(case_ids)
    db.session.remove()

    create, complete = floor.run_floor(db.engine.dialect.name, case_ids, created, completed)

    assert (create.backend, create.count, complete.phase) == (f"{db.engine.dialect.name}-rows", 2, "complete")
    for case_id in case_ids:
        for table in floor.TABLES:
            assert _rows(table, case_id + floor.ID_OFFSET) == _rows(table, case_id), table
    copy = db.session.get(Case, case_ids[0] + floor.ID_OFFSET)
    assert copy.reference == db.session.get(Case, case_ids[0]).reference + "f" and copy.status == "toegewezen"


def test_the_floor_is_printed_beside_the_judged_ratio_and_not_judged():
    results = [PhaseResult(backend, phase, 1000, seconds, 1.0) for backend, phase, seconds in (
        ("bare-ref", "create", 1.0), ("bare-ref", "complete", 2.0), ("sqlite", "create", 3.0),
        ("sqlite", "complete", 4.0), ("sqlite-rows", "create", 0.5), ("sqlite-rows", "complete", 0.5))]
    assert floor_lines(results) == [
        "sqlite create: floor 1.500 ms (bare-ref 1.000 + its rows by the driver 0.500) = 1.50x of bare-ref; "
        "engine 3.00x of bare-ref, 2.00x of the floor (1.500 ms above it)",
        "sqlite complete: floor 2.500 ms (bare-ref 2.000 + its rows by the driver 0.500) = 1.25x of bare-ref; "
        "engine 2.00x of bare-ref, 1.60x of the floor (1.500 ms above it)"]
    assert not any("rows" in v.label for v in judge(results))
