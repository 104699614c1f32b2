"""What completing a work item asks of the database: the statements of the completion path, counted.

The engine benchmark (benchmarks/engine_rates.py) judges the completion against bare SpiffWorkflow; most of the
difference is SQL and SQLAlchemy's work around it, so a statement that sneaks back into the path (a lazy load,
a second load of the same row) shows here as a failing count, not as a slower figure nobody reads.
"""
from __future__ import annotations

from contextlib import nullcontext

import pytest
from sqlalchemy import select

from engine.db import db
from engine.models import Case, WorkItem
from engine.task_completion import complete_work_item
from engine.workitems import get_item
from handlers.models import User

from .helpers import sqlite_statements, statements_sent


def _open_triage(reference: str) -> int:
    case_id = db.session.scalar(select(Case.id).where(Case.reference == reference))
    return db.session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.task_name == "triage",
                                                       WorkItem.status == "open"))


def _loaded_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    user.id, user.role, user.active, user.display_name  # noqa: B018  # loaded before the count starts
    return user


def test_a_dispatch_from_the_meldkamer_reads_with_two_statements_and_never_loads_the_users_groups(app, staff):
    first, second = (staff.meldkamer.file_melding()["reference"] for _ in range(2))
    # The first completion fills the per-process caches (group ids, the model's declared facts).
    complete_work_item(_open_triage(first), _loaded_user("an"), {"decision": "dispatch"})
    db.session.remove()

    item_id, user = _open_triage(second), _loaded_user("an")
    sqlite = db.engine.dialect.name == "sqlite"
    with statements_sent() as sent, (sqlite_statements() if sqlite else nullcontext([])) as by_driver:
        case = complete_work_item(item_id, user, {"decision": "dispatch"})

    assert case.status == "toegewezen"
    # Through SQLAlchemy: the work item with its group's key, the case (locked, with its suggested group: the form's
    # check reads it there, and its open work items, which the save needs). The claim, the case's new state, the new
    # timeline events and work item go through the driver (engine/raw_rows.py): on PostgreSQL the claim and the new
    # state as guarded UPDATEs first in the commit's pipeline (engine/case_row_update.py, engine/task_completion.py).
    assert [s.split()[0] for s in sent] == ["SELECT", "SELECT"], "\n".join(sent)
    assert not any("memberships" in s for s in sent), sent  # the meldkamer acts for its desk
    if sqlite:  # what the connection ran, the driver's statements included: the claim before the case's new state
        assert [" ".join(s.split()[:3]) for s in by_driver if s.startswith(("UPDATE", "INSERT", "COMMIT"))] == [
            "UPDATE work_items SET", "UPDATE cases SET", "INSERT INTO case_events", "INSERT INTO work_items",
            "COMMIT"], by_driver
    db.session.remove()
    waiting = db.session.scalars(select(WorkItem.task_name).where(WorkItem.case_id == case.id,
                                                                  WorkItem.status == "open")).all()
    assert waiting == ["take_in_handling"]


def test_a_work_item_the_session_loaded_before_completing_it_is_not_read_again(app, staff):
    # The API (web/api/work_items.py) and the case page load the item to check the user's rights, then complete it.
    first, second = (staff.meldkamer.file_melding()["reference"] for _ in range(2))
    complete_work_item(_open_triage(first), _loaded_user("an"), {"decision": "dispatch"})
    db.session.remove()

    item_id, user = _open_triage(second), _loaded_user("an")
    item = get_item(item_id)
    with statements_sent() as sent:
        case = complete_work_item(item_id, user, {"decision": "dispatch"})

    assert case.status == "toegewezen"
    assert not any("FROM work_items" in s and "WHERE work_items.id =" in s for s in sent), sent
    # the case (locked); the claim and the case's new state go through the driver (on PostgreSQL in the commit's
    # pipeline)
    assert [s.split()[0] for s in sent] == ["SELECT"], sent
    assert item.status == "completed" and item.completed_by_id == user.id  # the session's object kept in step
    db.session.remove()
    assert db.session.get(WorkItem, item_id).status == "completed"


def test_a_handler_completing_work_of_their_group_is_still_checked_against_their_groups(app, staff):
    reference = staff.meldkamer.file_melding()["reference"]
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch", "group": "onderhoud-openbaar-domein"})
    item = staff.ood.open_item(reference, "take_in_handling")
    refused = staff.netheid.post(f"/api/v1/work-items/{item['id']}/complete", json={})
    assert refused.status_code == 403
    assert staff.ood.post(f"/api/v1/work-items/{item['id']}/complete", json={}).status_code == 200


def test_a_dispatch_to_a_suggested_group_switched_off_is_refused_on_the_form_and_the_case_stays_at_triage(app, staff):
    from handlers.models import HandlerGroup

    reference = staff.meldkamer.file_melding()["reference"]
    suggested = staff.meldkamer.case(reference)["suggested_group"]
    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == suggested))
    group.active = False
    db.session.commit()
    db.session.remove()

    refused = staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"}, expect=422)
    assert "group" in refused["fields"], refused
    case = staff.meldkamer.case(reference)
    assert [i["task"] for i in case["work_items"]] == ["triage"] and case.get("error") is None, case

    db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == suggested)).active = True
    db.session.commit()
    db.session.remove()
    staff.meldkamer.complete(reference, "triage", {"decision": "dispatch"})
    assert staff.meldkamer.case(reference)["group"] == suggested


def test_an_item_no_longer_open_at_the_commit_refuses_the_completion_and_writes_nothing(app, staff, monkeypatch):
    # The claim is checked however it is sent (at once, or on PostgreSQL in the commit's pipeline): here the item's
    # row is closed after the checks on the read item, as a writer that does not lock the case could do.
    from engine import task_completion
    from engine.errors import Conflict
    from engine.models import CaseEvent

    reference = staff.meldkamer.file_melding()["reference"]
    item_id = _open_triage(reference)
    case_id = db.session.scalar(select(Case.id).where(Case.reference == reference))
    version = db.session.scalar(select(Case.lock_version).where(Case.id == case_id))
    db.session.remove()
    checked = task_completion.validate_form

    def closed_meanwhile(*args, **kwargs):
        db.session.execute(WorkItem.__table__.update().where(WorkItem.id == item_id).values(status="cancelled"))
        return checked(*args, **kwargs)

    monkeypatch.setattr(task_completion, "validate_form", closed_meanwhile)
    with pytest.raises(Conflict):
        complete_work_item(item_id, _loaded_user("an"), {"decision": "dispatch"})
    db.session.remove()
    assert db.session.scalar(select(Case.lock_version).where(Case.id == case_id)) == version
    assert db.session.scalar(select(WorkItem.status).where(WorkItem.id == item_id)) == "open"
    assert not db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                          CaseEvent.kind == "task_completed")).all()
