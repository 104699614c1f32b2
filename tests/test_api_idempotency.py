"""POST /api/v1/meldingen with an Idempotency-Key: a retried request gets the first answer, never a second case."""
from __future__ import annotations

import threading
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import db
from engine.models import Case
from handlers import idempotency
from notifications.models import OutboxMessage

BODY = {"description": "Straatlamp brandt niet", "channel": "telefoon", "category": "straatlamp-defect",
        "location": {"address": "Bruul 12, 2800 Mechelen"}, "reporter": {"email": "els@voorbeeld.example"}}


def cases() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def post(actor, body=BODY, key: str | None = "7c0e2d5a-3f7e-4d3b-9f59-2f0c5a1e9b11", **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return actor.client.post("/api/v1/meldingen", json=body, headers={**actor.headers, **headers})


def test_the_same_key_and_body_give_the_same_201_without_a_second_case(staff):
    first = post(staff.meldkamer)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(staff.meldkamer, body=dict(reversed(list(BODY.items()))))  # same data, keys in another order
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"] == f"/api/v1/cases/{first.get_json()['reference']}"
    assert cases() == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.template == "ontvangen")) == 1  # one receipt mail


def test_the_same_key_with_another_body_is_refused_with_a_clear_message(staff):
    assert post(staff.meldkamer).status_code == 201
    other = post(staff.meldkamer, body={**BODY, "description": "Lamp aan paal 14 knippert"})
    assert other.status_code == 422
    error = other.get_json()
    assert error["error"] == "IdempotencyKeyReused" and "another body" in error["message"]
    assert cases() == 1


def test_keys_are_per_api_user(staff):
    mine = post(staff.meldkamer)
    theirs = post(staff.admin)  # the same value chosen by another client
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["reference"] != theirs.get_json()["reference"] and cases() == 2


def test_without_a_key_every_post_is_a_new_melding(staff):
    assert post(staff.meldkamer, key=None).status_code == 201
    assert post(staff.meldkamer, key=None).status_code == 201
    assert cases() == 2


def test_a_failed_request_keeps_no_key_so_the_corrected_one_may_use_it(staff):
    wrong = post(staff.meldkamer, body={**BODY, "category": "bestaat-niet"})
    assert wrong.status_code == 422 and cases() == 0
    right = post(staff.meldkamer)
    assert right.status_code == 201 and "Idempotent-Replayed" not in right.headers and cases() == 1


def test_a_key_that_is_empty_too_long_or_not_ascii_is_a_400(staff):
    for key in ("", "x" * 256, "sleutel met spaties", "sleutel-é"):
        response = post(staff.meldkamer, key=key)
        assert response.status_code == 400, key
        assert "Idempotency-Key" in response.get_json()["message"]
    assert post(staff.meldkamer, key="x" * 255).status_code == 201
    assert cases() == 1


def test_after_24_hours_the_key_counts_no_more(staff):
    assert post(staff.meldkamer).status_code == 201
    with freeze_time(utcnow() + idempotency.TTL + timedelta(minutes=5)):
        later = post(staff.meldkamer)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert cases() == 2


def test_two_requests_with_one_key_at_the_same_moment_make_one_case(app, staff, monkeypatch):
    """Both reach the claim before either has committed (a barrier makes sure): the unique constraint decides."""
    barrier = threading.Barrier(2, timeout=20)
    original = idempotency.claim

    def claim_together(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(idempotency, "claim", claim_together)
    answers: list = []

    def send():
        client = app.test_client()
        response = client.post("/api/v1/meldingen", json=BODY,
                               headers={**staff.meldkamer.headers, "Idempotency-Key": "gelijktijdig-1"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [code for code, _ in answers] == [201, 201], answers
    assert answers[0][1]["reference"] == answers[1][1]["reference"]
    assert cases() == 1


def test_the_header_is_in_the_openapi_document(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/meldingen"]["post"]
    header = [p for p in operation["parameters"] if p["in"] == "header"][0]
    assert header["name"] == "Idempotency-Key" and header["schema"]["maxLength"] == 255 and not header["required"]
    assert "24 hours" in header["description"]
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    assert "Idempotency-Key" in operation["responses"]["422"]["description"]
