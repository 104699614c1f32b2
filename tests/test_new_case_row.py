"""A new case is written with plain statements and then handed to the ORM: what that must not change."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, select

from engine.db import db
from engine.models import Case, CaseEvent, WorkItem
from handlers.models import ContractorOrder, HandlerGroup
from intake.meldingen import register_melding


def test_the_stored_row_holds_everything_the_start_of_the_process_set(app):
    case = register_melding(description="Straatlamp aan de Bruul brandt niet", channel="web",
                            category="straatlamp-defect", location={"address": "Bruul 12, Mechelen"},
                            reporter={"name": "Lies", "email": "lies@example.org"})
    case_id, reference = case.id, case.reference
    db.session.expire_all()
    stored = db.session.get(Case, case_id)
    assert stored.reference == reference and reference.startswith("M") and reference.endswith(f"{case_id:06d}")
    assert stored.category.key == "straatlamp-defect"
    assert stored.reporter.email == "lies@example.org"
    assert stored.address == "Bruul 12, Mechelen"
    assert stored.status == "ontvangen" and stored.state and stored.lock_version == 1
    assert stored.suggested_group is not None  # the routing suggestion made while the process started
    assert stored.created_at is not None and stored.updated_at is not None
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case_id)).all()
    assert [(i.task_name, i.status, i.group.key) for i in items] == [("triage", "open", "meldkamer")]
    kinds = set(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)))
    assert {"created", "mail_queued"} <= kinds


def test_the_returned_case_reads_without_going_back_to_the_database(app):
    case = register_melding(description="Losse tegel", channel="web", category="voetpad-losse-tegel",
                            reporter={"email": "tegel@example.org"})
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        seen = (case.reference, case.status, case.tracking_token, case.kind, case.channel, case.category_id,
                case.reporter_id, case.lock_version)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []
    assert seen[1] == "ontvangen" and all(v is not None for v in seen)


def test_a_new_case_changes_like_any_other_afterwards(app):
    case = register_melding(description="Sluikstort aan de Dijle", channel="web", category="sluikstort",
                            reporter={"email": "dijle@example.org"})
    case.description = "Sluikstort aan de Dijle, drie zakken"
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.description.endswith("drie zakken")
    assert stored.lock_version == 2  # the optimistic lock counts on from the row as written


def test_tying_an_orm_row_to_a_case_that_is_still_starting_is_refused_not_written_twice(app, monkeypatch):
    from engine import registry

    group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.kind == "external"))

    def order_by_relationship(ctx, **_kw):
        db.session.add(ContractorOrder(case=ctx.case, contractor=group, instructions="-"))
        return {}

    monkeypatch.setitem(registry._services, "routing.suggest", order_by_relationship)
    before = db.session.query(Case).count()
    with pytest.raises(RuntimeError, match="refer to a new case by id"):
        register_melding(description="Put in de weg", channel="web", category="wegdek-put")
    db.session.rollback()
    assert db.session.query(Case).count() == before


def test_cases_created_at_the_same_time_get_distinct_references(app):
    references: list[str] = []
    errors: list[BaseException] = []

    def create(n: int) -> None:
        with app.app_context():
            try:
                for i in range(5):
                    references.append(register_melding(description=f"Lamp {n}-{i} kapot", channel="web",
                                                       category="straatlamp-defect").reference)
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(references) == 20 and len(set(references)) == 20


def test_the_cached_category_gives_every_new_case_its_category_and_default_group(app):
    from handlers.categories import forget_categories
    from handlers.models import Category

    ids = []
    for n in range(3):  # the first loads the category, the others reuse the cached copy in a new session
        ids.append(register_melding(description=f"Lamp {n} kapot", channel="web", category="straatlamp-defect").id)
        db.session.remove()
    stored = [db.session.get(Case, i) for i in ids]
    assert {c.category.key for c in stored} == {"straatlamp-defect"}
    assert len({c.suggested_group.key for c in stored}) == 1 and stored[0].suggested_group is not None

    db.session.scalar(select(Category).where(Category.key == "straatlamp-defect")).active = False
    db.session.commit()
    forget_categories()  # what a change of categories does
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput):
        register_melding(description="Nog een lamp", channel="web", category="straatlamp-defect")
