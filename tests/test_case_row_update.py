"""A changed case is written at commit by its prebuilt UPDATE (engine/case_row_update.py): what lands in the row,
and the optimistic version check that keeps two writers of one case from both succeeding."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine import case_row_update
from engine.db import db
from engine.errors import Conflict
from engine.models import Case, CaseEvent, Reporter, WorkItem
from engine.raw_rows import execute_on_driver
from engine.runtime import commit_or_explain
from engine.timeline import add_event
from handlers.models import HandlerGroup
from intake.meldingen import register_melding

from .helpers import statements_sent


def _new_case() -> int:
    case_id = register_melding(description="Paaltje omver", channel="web", category="sluikstort",
                               reporter={"email": "paal@example.org"}).id
    db.session.remove()
    return case_id


def _stored(case_id: int) -> dict:
    """The row as another connection sees it: only what was really committed."""
    with db.engine.connect() as other:
        return dict(other.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one())


def test_a_change_by_someone_else_in_between_is_refused_and_nothing_of_it_is_written(app):
    case_id = _new_case()
    case = db.session.get(Case, case_id)
    with db.engine.begin() as other:  # another worker changes the case and commits first
        other.execute(update(Case.__table__).where(Case.id == case_id)
                      .values(description="Door een collega aangepast", lock_version=Case.lock_version + 1))
    case.description = "Paaltje omver aan de school"
    add_event(case, "note", note="Dit mag niet bewaard worden")
    with pytest.raises(Conflict, match="changed by someone else"):
        commit_or_explain(case_id)
    # On PostgreSQL the UPDATE went in the pipeline with the new rows and the COMMIT, and stopped both; on SQLite it
    # went first, and stopped the commit before them.
    row = _stored(case_id)
    assert (row["description"], row["lock_version"]) == ("Door een collega aangepast", 2)
    notes = db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case_id, CaseEvent.kind == "note"))
    assert list(notes) == []


def test_changed_columns_and_a_new_group_land_in_one_update_with_the_version_counted_on(app, monkeypatch):
    case_id = _new_case()
    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == "onderhoud-openbaar-domein"))
    case = db.session.get(Case, case_id)
    case.group = group  # a relationship: its foreign key is written
    case.status = "toegewezen"
    case.description = case.description  # the same value: not written, as the ORM would not
    by_driver: list[str] = []

    def recorded(session, sql, params):
        by_driver.append(sql)
        return execute_on_driver(session, sql, params)

    monkeypatch.setattr(case_row_update, "execute_on_driver", recorded)  # the UPDATE goes through the driver
    with statements_sent() as sent:
        db.session.commit()
    assert not [s for s in sent if s.startswith("UPDATE")], sent
    assert len(by_driver) == 1 and by_driver[0].startswith("UPDATE cases") and "description" not in by_driver[0]
    row = _stored(case_id)
    assert (row["group_id"], row["status"], row["lock_version"]) == (group.id, "toegewezen", 2)
    assert db.session.get(Case, case_id).group.key == "onderhoud-openbaar-domein"


def test_setting_values_a_case_already_has_writes_nothing(app):
    case_id = _new_case()
    case = db.session.get(Case, case_id)
    case.status = case.status
    case.category = case.category  # the same related row again
    db.session.commit()
    assert _stored(case_id)["lock_version"] == 1


def test_a_case_pointing_at_a_row_made_in_the_same_transaction_is_still_written_whole(app):
    case_id = _new_case()
    case = db.session.get(Case, case_id)
    case.reporter = Reporter(email="nieuw@example.org", name="Nina Nieuw")  # inserted by the ORM first
    case.description = "Paaltje omver, gemeld door een buur"
    db.session.commit()
    row = _stored(case_id)
    reporter = db.session.get(Reporter, row["reporter_id"])
    assert (reporter.name, row["description"], row["lock_version"]) == \
        ("Nina Nieuw", "Paaltje omver, gemeld door een buur", 2)


def test_the_session_goes_on_with_the_new_version_after_the_update(app):
    case_id = _new_case()
    case = db.session.get(Case, case_id)
    case.description = "Eerste wijziging"
    db.session.commit()
    case.description = "Tweede wijziging"  # checked against version 2, the one the first commit wrote
    db.session.commit()
    row = _stored(case_id)
    assert (row["description"], row["lock_version"]) == ("Tweede wijziging", 3)


def _open_items(case_id: int) -> dict[str, str]:
    with db.engine.connect() as other:
        rows = other.execute(select(WorkItem.__table__.c.task_name, WorkItem.__table__.c.status)
                             .where(WorkItem.__table__.c.case_id == case_id))
        return dict(rows.all())


def test_work_whose_task_is_no_longer_ready_is_cancelled_whether_or_not_the_session_holds_it(app):
    """engine.workitems.sync_work_items reads the open items' ids with a Core query: an item the session does not
    hold is cancelled by an UPDATE of its own, one it holds through the object (and its unsaved changes count)."""
    from engine.workitems import sync_work_items

    held, not_held, completed = _new_case(), _new_case(), _new_case()
    for case_id in (held, not_held, completed):
        case = db.session.get(Case, case_id)
        item = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case_id)) if case_id != not_held else None
        if case_id == completed:
            item.status = "completed"  # changed in this transaction, not yet written
        sync_work_items(case, workflow=None, ready_tasks=[])
        db.session.commit()
    assert _open_items(held) == {"triage": "cancelled"}
    assert _open_items(not_held) == {"triage": "cancelled"}
    assert _open_items(completed) == {"triage": "completed"}  # not cancelled over the change that came first


def test_the_open_work_read_with_the_locked_case_is_what_its_save_syncs_without_asking_again(app):
    from engine.runtime import CaseRun

    case_id = _new_case()
    item = db.session.execute(select(WorkItem.id, WorkItem.task_id).where(WorkItem.case_id == case_id)).one()
    db.session.remove()
    run = CaseRun.open(case_id)
    assert run.open_items == [tuple(item)]
    run.workflow.cancel()  # no task is ready any more: its work item must go
    with statements_sent() as sent:
        run.save()
    assert not any("FROM work_items" in s for s in sent), sent
    commit_or_explain(case_id)
    assert _open_items(case_id) == {"triage": "cancelled"}
