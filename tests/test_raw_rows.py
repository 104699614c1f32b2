"""Rows inserted through the driver (engine/raw_rows.py) must read back exactly as the ORM would have written them."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import exc, func, select

from engine.db import db
from engine.deploy import latest_ref
from engine.models import Case, CaseEvent
from engine.raw_rows import insert_rows
from intake.meldingen import register_melding


def _case_row(**values) -> dict:
    return {"id": values.pop("id"), "definition_id": latest_ref("melding").id,
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
    assert (stored.kind, stored.channel, stored.status, stored.completed, stored.lock_version, stored.description) \
        == ("melding", "web", "ontvangen", False, 1, "")
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
