"""The shared rate-limit store: a sliding window that holds across processes, in the database (SQLite and
PostgreSQL) and in the real Redis on 127.0.0.1:6379, with the database taking over while Redis is down."""
from __future__ import annotations

import io
import logging
import re
import threading
import uuid

import pytest
from sqlalchemy import select, text

from engine.db import db
from engine.setting_types import parse_rate
from intake.rate_limit import FallbackStore
from intake.rate_limit_db import DatabaseRateLimitStore, RateLimitCounter
from intake.rate_limit_redis import ERRORS, RedisRateLimitStore
from web.app import create_app
from web.secret_key import ConfigError

REDIS_URL = "redis://127.0.0.1:6379/0"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there
VALID = {"categorie": "straatlamp-defect", "address": "Bruul 12, 2800 Mechelen",
         "description": "De straatlamp aan paal 12 brandt al een week niet.", "email": "els@voorbeeld.example"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, removed afterwards."""
    import redis

    prefix = f"meldpunt-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


@pytest.fixture(params=["database", "redis"])
def make_store(request, app, redis_prefix):
    """A factory of stores of one kind; every store it makes shares the same counters (as processes do)."""

    def make(clock=None):
        kwargs = {"clock": clock} if clock else {}
        if request.param == "database":
            return DatabaseRateLimitStore(db.engine, "geheim", **kwargs)
        return RedisRateLimitStore(REDIS_URL, "geheim", prefix=redis_prefix, **kwargs)

    make.kind = request.param
    return make


def test_the_window_slides(make_store):
    clock = Clock()
    store = make_store(clock)
    first = store.hit("report:198.51.100.1", 2, 60)
    assert first.allowed and first.count == 1 and first.retry_after == 0
    clock.now += 10
    second = store.hit("report:198.51.100.1", 2, 60)
    assert second.allowed and second.count == 2 and second.retry_after == 50
    third = store.hit("report:198.51.100.1", 2, 60)
    assert not third.allowed and third.retry_after == 50
    assert store.hit("report:198.51.100.2", 2, 60).allowed  # another client has its own budget
    clock.now += 50  # the first event leaves the window
    assert store.retry_after("report:198.51.100.1", 2, 60) == 0
    assert store.hit("report:198.51.100.1", 2, 60).allowed
    assert not store.hit("report:198.51.100.1", 2, 60).allowed


def test_undo_and_reset_give_the_budget_back(make_store):
    store = make_store()
    hits = [store.hit("k", 2, 600) for _ in range(2)]
    assert store.retry_after("k", 2, 600) > 0
    store.undo("k", hits[1].token)
    assert store.retry_after("k", 2, 600) == 0
    assert store.hit("k", 2, 600).allowed and not store.hit("k", 2, 600).allowed
    store.reset("k")
    assert store.hit("k", 2, 600).count == 1


def test_two_processes_share_one_budget(make_store):
    """Two stores over the same database or Redis: what two gunicorn workers each have."""
    one, two = make_store(), make_store()
    assert one.hit("report:198.51.100.1", 3, 600).allowed
    assert two.hit("report:198.51.100.1", 3, 600).allowed
    assert one.hit("report:198.51.100.1", 3, 600).allowed
    assert not two.hit("report:198.51.100.1", 3, 600).allowed


def test_concurrent_counting_never_lets_more_through_than_the_limit(make_store):
    """Eight workers race for the same key on their own connections: exactly `limit` get through."""
    stores = [make_store() for _ in range(8)]
    allowed, errors = [], []
    start = threading.Barrier(len(stores))

    def work(store):
        try:
            start.wait()
            allowed.extend(1 for _ in range(10) if store.hit("race", 25, 600).allowed)
        except Exception as err:  # collected and reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(allowed) == 25


def test_no_address_or_username_is_kept_in_plain_text(app, make_store, redis_prefix):
    store = make_store()
    store.hit("login-account:bart.ood", 5, 900)
    store.hit("report:198.51.100.77", 5, 600)
    if make_store.kind == "database":
        kept = " ".join(db.session.scalars(select(RateLimitCounter.key)))
    else:
        kept = " ".join(k.decode() for k in store.client.scan_iter(match=redis_prefix + "*"))
    assert kept and "bart" not in kept and "198.51.100.77" not in kept


def test_expired_rows_are_cleaned_from_the_database(app):
    clock = Clock()
    store = DatabaseRateLimitStore(db.engine, "geheim", clock=clock)
    for i in range(5):
        store.hit(f"report:198.51.100.{i}", 5, 600)
    store.hit("login-lock:bart", 1, 900)
    clock.now += 601
    assert store.sweep() == 5
    remaining = db.session.execute(text("SELECT count(*) FROM rate_limits")).scalar()
    db.session.rollback()
    assert remaining == 1  # the lock of 900 seconds is still running
    store.undo("login-lock:bart", "not-a-token")
    clock.now += 300
    assert store.sweep() == 1


def form_post(client, peer: str = "198.51.100.9"):
    page = client.get("/melden?categorie=straatlamp-defect", environ_base={"REMOTE_ADDR": peer},
                      follow_redirects=True)  # the form page adds its one-time token to its URL
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/melden", data={**VALID, "csrf_token": token, "photos": [(io.BytesIO(b""), "")]},
                       environ_base={"REMOTE_ADDR": peer}, content_type="multipart/form-data")


def second_app(app, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                       "SECRET_KEY": app.config["SECRET_KEY"],
                       "MELDPUNT_STORAGE_PATH": app.config["MELDPUNT_STORAGE_PATH"], **config})


def dispose(other) -> None:
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("redis", [False, True], ids=["database", "redis"])
def test_the_public_form_limit_holds_across_two_app_instances(app, redis, redis_prefix):
    config = {"MELDPUNT_REPORT_RATE": "2/600"}
    if redis:
        config |= {"MELDPUNT_REDIS_URL": REDIS_URL, "MELDPUNT_REDIS_PREFIX": redis_prefix}
    one, two = second_app(app, **config), second_app(app, **config)
    try:
        assert form_post(one.test_client()).status_code == 303
        assert form_post(two.test_client()).status_code == 303
        refused = form_post(one.test_client())
        assert refused.status_code == 429 and "Te veel meldingen" in refused.get_data(as_text=True)
        assert form_post(two.test_client()).status_code == 429
    finally:
        dispose(one)
        dispose(two)


def test_with_redis_down_the_form_counts_in_the_database_and_says_so_in_the_log(app, caplog):
    one = second_app(app, MELDPUNT_REPORT_RATE="2/600", MELDPUNT_REDIS_URL=DEAD_REDIS)
    try:
        with caplog.at_level(logging.WARNING, logger="intake.rate_limit"):
            assert [form_post(one.test_client()).status_code for _ in range(3)] == [303, 303, 429]
        down = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(down) == 1, "one log line when Redis goes away, not one per request"
        with one.app_context():
            assert db.session.execute(text("SELECT count(*) FROM rate_limits")).scalar() == 1
    finally:
        dispose(one)


def test_the_fallback_goes_back_to_redis_when_it_is_reachable_again(app, redis_prefix, caplog):
    database = DatabaseRateLimitStore(db.engine, "geheim")
    live = RedisRateLimitStore(REDIS_URL, "geheim", prefix=redis_prefix)
    dead = RedisRateLimitStore(DEAD_REDIS, "geheim", prefix=redis_prefix)
    now = [0.0]
    store = FallbackStore(dead, database, ERRORS, retry_seconds=30, clock=lambda: now[0])
    hit = store.hit("k", 5, 600)
    assert hit.allowed and hit.token.startswith("d:")
    store.undo("k", hit.token)  # taken back where it was counted
    assert database.retry_after("k", 1, 600) == 0
    store.primary = live
    now[0] += 10
    assert store.hit("k", 5, 600).token.startswith("d:")  # not retried within 30 seconds
    now[0] += 30
    with caplog.at_level(logging.WARNING, logger="intake.rate_limit"):
        assert store.hit("k", 5, 600).token.startswith("r:")
    assert any("Redis reachable again" in r.getMessage() for r in caplog.records)


def test_report_rate_is_read_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("MELDPUNT_REPORT_RATE", "1/600")
    one = second_app(app)
    try:
        assert one.config["MELDPUNT_REPORT_RATE"] == "1/600"
        assert [form_post(one.test_client()).status_code for _ in range(2)] == [303, 429]
    finally:
        dispose(one)


@pytest.mark.parametrize("variable", ["MELDPUNT_REPORT_RATE", "MELDPUNT_LOGIN_ACCOUNT_RATE",
                                      "MELDPUNT_PUBLIC_POST_RATE"])
@pytest.mark.parametrize("value", ["5 per minuut", "0/600", "5/", "vijf/600"])
def test_a_bad_rate_stops_the_start_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"^{variable} must be 'count/seconds'"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("variable, value, message", [
    ("MELDPUNT_REDIS_URL", "127.0.0.1:6379", "^MELDPUNT_REDIS_URL must start with redis://"),
    ("MELDPUNT_ENV", "prod", "^MELDPUNT_ENV must be production, development or unset"),
])
def test_a_bad_redis_url_or_environment_stops_the_start(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("MELDPUNT_SECRET_KEY", "een-lange-willekeurige-sleutel")
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True})


def test_parse_rate_reads_count_per_seconds():
    assert parse_rate("5/600") == (5, 600) and parse_rate(" 20/900 ") == (20, 900)
    for bad in ("vijf", "5", "5/0", "-1/60", "1.5/60"):
        with pytest.raises(ValueError):
            parse_rate(bad)
