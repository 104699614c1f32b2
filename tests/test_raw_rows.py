"""Rows inserted through the driver (engine/raw_rows.py) must read back exactly as the ORM would have written them."""
from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import exc, func, select, text

from engine.db import db
from engine.deploy import latest_ref
from engine.models import Case, CaseEvent
from engine.raw_rows import insert_rows
from intake.meldingen import register_melding


def _case_row(**values) -> dict:
    return {"id": values.pop("id"), "kind": "melding", "definition_id": latest_ref("melding").id,
            "tracking_token": secrets.token_urlsafe(24), **values}


def test_json_timestamps_booleans_and_nulls_read_back_as_written(app):
    case = register_melding(description="Boom omgewaaid", channel="web", category="sluikstort")
    brussels = timezone(timedelta(hours=2))
    at = datetime(2026, 7, 21, 14, 30, 15, 123456, tzinfo=brussels)
    data = {"tekst": "Één straat verder, café 'De Zwaan'", "lijst": [1, 2.5, None, True], "genest": {"a": {"b": []}}}
    insert_rows(db.session, [(CaseEvent.__table__, [
        {"case_id": case.id, "at": at, "kind": "note", "actor": "An", "user_id": None, "public": True,
         "status": "ontvangen", "text": "Publiek", "note": None, "data": data},
        {"case_id": case.id, "at": at, "kind": "note", "actor": "Bart", "user_id": None, "public": False,
         "status": None, "text": None, "note": "Intern", "data": None}])])
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "note")
                              .order_by(CaseEvent.id)).all()
    assert [(r.actor, r.public, r.status, r.text, r.note) for r in rows] == [
        ("An", True, "ontvangen", "Publiek", None), ("Bart", False, None, None, "Intern")]
    assert rows[0].data == data and rows[1].data is None
    assert rows[0].at == at and rows[0].at.tzinfo == UTC  # the same instant, handed back in UTC


def test_columns_the_rows_leave_out_get_their_python_defaults(app):
    next_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1000
    insert_rows(db.session, [(Case.__table__, [_case_row(id=next_id, reference=f"M2026-{next_id:06d}")])])
    db.session.commit()
    stored = db.session.get(Case, next_id)
    assert (stored.channel, stored.status, stored.completed, stored.lock_version, stored.description) \
        == ("web", "ontvangen", False, 1, "")
    assert abs(stored.created_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_failing_row_raises_sqlalchemys_error_and_keeps_nothing_of_the_batch(app):
    before = db.session.scalar(select(func.count(CaseEvent.id)))
    next_id = (db.session.scalar(select(func.max(Case.id))) or 0) + 1000
    good_case = _case_row(id=next_id, reference=f"M2026-{next_id:06d}")
    orphan_event = {"case_id": next_id + 1, "at": datetime.now(UTC), "kind": "note", "actor": "x", "user_id": None,
                    "public": False, "status": None, "text": None, "note": "-", "data": None}
    with pytest.raises(exc.IntegrityError):
        insert_rows(db.session, [(Case.__table__, [good_case]), (CaseEvent.__table__, [orphan_event])])
        db.session.commit()  # SQLite reports the broken foreign key at once; PostgreSQL at the latest here
    db.session.rollback()
    assert db.session.get(Case, next_id) is None
    assert db.session.scalar(select(func.count(CaseEvent.id))) == before
    # The session is usable again, as after any failed statement.
    assert register_melding(description="Nog een lamp", channel="web", category="straatlamp-defect").id


def test_rows_of_one_table_must_share_their_columns(app):
    event = {"case_id": 1, "at": datetime.now(UTC), "kind": "note", "actor": "x"}
    with pytest.raises(ValueError, match="differ in their keys"):
        insert_rows(db.session, [(CaseEvent.__table__, [event, {**event, "note": "extra"}])])
    with pytest.raises(ValueError, match="no column"):
        insert_rows(db.session, [(CaseEvent.__table__, [{**event, "colour": "red"}])])
    db.session.rollback()


def _count_elsewhere(app, model, **where) -> int:
    """Rows as another connection sees them: only what was really committed."""
    with db.engine.connect() as other:
        query = select(func.count()).select_from(model.__table__)
        for column, value in where.items():
            query = query.where(model.__table__.c[column] == value)
        return other.scalar(query)


def test_a_new_case_is_committed_when_register_returns(app):
    case = register_melding(description="Put in het fietspad", channel="web", category="wegdek-put",
                            reporter={"email": "fiets@example.org"})
    assert _count_elsewhere(app, Case, id=case.id) == 1
    assert _count_elsewhere(app, CaseEvent, case_id=case.id) >= 1
    # The session carries on normally after a commit that travelled with the rows.
    case.description = "Put in het fietspad, 20 cm diep"
    db.session.commit()
    assert db.session.get(Case, case.id).lock_version == 2


def test_rows_and_orm_changes_of_one_commit_land_together(app):
    from engine.models import Reporter

    case = register_melding(description="Graffiti op de brug", channel="web", category="sluikstort",
                            reporter={"email": "brug@example.org"})
    case_id, reporter_id = case.id, case.reporter_id
    db.session.get(Reporter, reporter_id).name = "Bram Brug"  # an ORM change ...
    from engine.timeline import add_event

    add_event(case, "note", note="Telefonisch nagevraagd")  # ... and a row written through the driver
    db.session.commit()
    db.session.remove()
    assert db.session.get(Reporter, reporter_id).name == "Bram Brug"
    assert _count_elsewhere(app, CaseEvent, case_id=case_id, kind="note") == 1


def test_the_commit_travels_with_the_rows_only_when_nothing_else_is_left(app, monkeypatch):
    """The COMMIT joins the rows' round trip only at the real commit, after the ORM's own writes: never at
    a savepoint's release (which would commit the whole transaction)."""
    from engine import pending_rows
    from engine.models import Reporter
    from engine.timeline import add_event

    seen: list[bool] = []
    real = pending_rows.insert_rows
    monkeypatch.setattr(pending_rows, "insert_rows",
                        lambda session, batches, and_commit=False, **more: seen.append(and_commit)
                        or real(session, batches, and_commit, **more))
    case = register_melding(description="Zwerfvuil aan de Vaart", channel="web", category="sluikstort",
                            reporter={"email": "vaart@example.org"})
    assert seen == [True]  # a new case: its rows and the COMMIT in one go
    add_event(case, "note", note="Gewone notitie")
    db.session.commit()
    db.session.get(Reporter, case.reporter_id).name = "Vera Vaart"
    add_event(case, "note", note="Met een wijziging van de melder")
    db.session.commit()
    nested = db.session.begin_nested()
    add_event(case, "note", note="Binnen een savepoint")
    nested.commit()
    db.session.commit()
    assert seen == [True, True, True, False]  # the reporter's change was flushed first, then rows and COMMIT


@pytest.mark.postgres  # the pipeline is PostgreSQL's
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_new_melding_waits_for_the_server_once_for_its_rows_and_their_commit(app):
    from .helpers import postgres_round_trips

    register_melding(description="Put in de weg", channel="web", category="sluikstort",
                     reporter={"email": "put@example.org"})
    db.session.remove()
    with postgres_round_trips() as exchanges:
        case = register_melding(description="Nog een put", channel="web", category="sluikstort",
                                reporter={"email": "put@example.org"})
    # BEGIN; the case's id with the returning reporter; one pipeline of the rows and the COMMIT
    assert len(exchanges) == 3 and exchanges[0] == "Query", exchanges
    db.session.remove()
    assert db.session.get(Case, case.id).reporter.email == "put@example.org"


@pytest.mark.postgres  # TOAST compression is PostgreSQL's
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_postgresql_compresses_stored_instances_with_lz4_where_the_server_has_it(app):
    case = register_melding(description="Lamp kapot", channel="web", category="straatlamp-defect")
    has_lz4 = db.session.scalar(text("SELECT 'lz4' = ANY (enumvals) FROM pg_settings "
                                     "WHERE name = 'default_toast_compression'"))
    method = db.session.scalar(text("SELECT pg_column_compression(state) FROM cases WHERE id = :id"), {"id": case.id})
    assert method == ("lz4" if has_lz4 else "pglz")
    assert json.loads(db.session.get(Case, case.id).state)  # and it reads back whole


def test_many_rows_of_one_table_arrive_whole_and_in_order(app):
    from engine.raw_rows import MAX_ROWS_PER_STATEMENT

    case = register_melding(description="Veel notities", channel="web", category="sluikstort")
    count = 2 * MAX_ROWS_PER_STATEMENT + 7  # more than one statement's worth
    rows = [{"case_id": case.id, "at": datetime.now(UTC), "kind": "note", "actor": f"actor {n}", "user_id": None,
             "public": n % 2 == 0, "status": None, "text": None, "note": f"notitie {n}", "data": {"n": n}}
            for n in range(count)]
    insert_rows(db.session, [(CaseEvent.__table__, rows)])
    db.session.commit()
    stored = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "note")
                                .order_by(CaseEvent.id)).all()
    expected = [(f"notitie {n}", n % 2 == 0, {"n": n}) for n in range(count)]
    assert [(e.note, e.public, e.data) for e in stored] == expected
