"""The dashboard's figures and charts, cached in the database and shared by every web process.

What is cached:
- the gathered figures (reports/bundle.py `gather`) of a period, the period before it and a group (or all),
  under the key `figures:<version>:<period>:<previous>:<group>`;
- the chart images drawn from such figures (reports/quarterly.py `chart_images`), under the sha256 of what
  the charts show (`chart_inputs`) and their language: an exact key, so a chart entry never needs checking.

Why the database and not Redis: every view has to ask the database whether the figures can have changed
anyway (the fingerprint below), so the entry comes in the same round trips; the table works in the embedded
default (SQLite) and on PostgreSQL alike, needs no other service, and cannot be down while the figures can be
computed. An entry is a few tens of kilobytes and written only after a recomputation.

When an entry is used: only while the fingerprint of the data its figures were computed from is unchanged.
The one thing that changes without any write is time: a running period counts "open" and "over de termijn"
as of now (reports/figures.py `state_moment`). With the fingerprint unchanged no case was created or closed
since, so the open cases are the same ones, and the cases that became overdue are exactly the open ones whose
deadline lies between the moment of the entry and now: counted with ix_cases_open_deadline and added to the
cached "over de termijn" figures (of the period and of the first line's hand-overs), which then equal what a
fresh gather gives. (Invalidating at the next deadline instead would expire a running quarter's entry within
seconds at a million cases: some open case always has its deadline in the next minute.) The fingerprint:
- the highest id of cases, case_events, contractor_orders and contacts: a new melding, mail or letter, every
  timeline event (status, closing, reopen, feedback, contractor report, correction...), a new order or contact;
- the number and the latest `updated_at` of the cases changed since a moment ten minutes before the entry
  was made (every change of a case row goes through engine/runtime.py `save` or engine/locking.py `lock_case`,
  which set `updated_at`): a change without a timeline event (a deadline moved) and a change that commits late
  with an earlier `updated_at` (ten minutes of slack);
- a digest of the groups, categories and contact topics (names, parents, active): the lists the figures show.
All of it is read with MAX/COUNT over indexes (the primary keys, ix_cases_updated_at).
A period that ended long ago gets the same check: late events and reopenings change it too.

On PostgreSQL a transaction that took its ids before the fingerprint was read and commits after it would hide
behind a higher id; so the fingerprint of a new entry is read while holding SHARE locks on the counted tables,
taken only when pg_locks shows no uncommitted write on them and waited for at most LOCK_TIMEOUT_MS (a writer
arriving meanwhile waits for the fingerprint's few milliseconds). With a writer in flight the figures are
computed and shown, and stored with a fingerprint that never holds (UNSETTLED, see below); the refresh job
tries for up to a second to find a moment without one. On SQLite writers take turns, so ids are in commit order.

Bounded staleness (the page only; MELDPUNT_DASHBOARD_MAX_AGE, default 120 s, 0: always exact): under a city's steady
stream of writes the fingerprint rarely holds from one view to the next, and recomputing takes seconds at a million
cases. So the page (`cached_gather(..., max_age=...)`) also takes an entry whose fingerprint no longer holds if it
was computed less than the maximum age ago: its figures are shown as they were then, with "Cijfers van HH:MM" and a
note that newer ones are on their way; the page's figures are thus never older than the maximum age. The refresh job
(`refresh_viewed`, every REFRESH_SECONDS in the worker or `make run`'s scheduler) recomputes, outside any request,
the figures entries the page showed in the last VIEWED_WITHIN whose fingerprint changed, once they are older than
the maximum age less two runs of the job (`refresh_due`: 60 s at the default 120 s; a change in between waits for
that moment, so a steady stream of writes costs one recomputation a minute, not one per run, and the page still
finds every entry younger than the maximum age); `viewed_at` is written by a view at most once per VIEW_WRITE_EVERY.
A process claims an entry (`claimed_until`, a conditional UPDATE: one winner on SQLite and PostgreSQL alike) before
recomputing it, so two workers never compute the same entry at once. An entry older than the maximum age (nobody
looked at it, or no worker runs) is recomputed in the request as before. The exports and the quarterly document
never take a stale entry: always an exact hit or a fresh computation. Figures computed while a writer was in flight
(PostgreSQL) are stored with a fingerprint that never holds (UNSETTLED): good for the page's bounded staleness,
never for an exact hit.

The payload is a pickle signed with the app's secret key (HMAC-SHA256 over key, fingerprint and payload): a
row someone else wrote, or one copied to another key (another group's), is never unpickled.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import pickle
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, or_, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from engine.clock import as_utc, utcnow
from engine.db import db
from engine.models import Case, CaseEvent
from handlers.contact_models import Contact, ContactTopic
from handlers.models import Category, ContractorOrder, HandlerGroup
from notifications.stopping import stop_requested

from .bundle import ReportFigures, gather
from .contact_figures import ContactFigures
from .figures import _group_id, state_moment
from .models import ReportCacheEntry
from .periods import Period
from .quarterly import LANGUAGE, chart_images

log = logging.getLogger("meldpunt.reports.cache")

VERSION = "1"  # part of every key: a release that changes ReportFigures or the charts starts afresh
WINDOW = timedelta(minutes=10)  # how late a change of a case row may commit and still be seen
LOCK_TIMEOUT_MS = 20  # writers queue behind a waiting LOCK: keep their wait short
KEEP = timedelta(days=7)  # entries older than this are swept when a new one is stored
VIEWED_WITHIN = timedelta(minutes=30)  # the refresh job keeps the entries the page showed this recently fresh
VIEW_WRITE_EVERY = timedelta(minutes=1)  # a view records itself on the entry at most this often
REFRESH_SECONDS = 30  # how often the refresh job runs
CLAIM = timedelta(minutes=10)  # how long a refresh holds an entry (a crashed worker's claim then expires)
UNSETTLED = '["unsettled"]'  # the fingerprint of figures computed with a writer in flight: never an exact hit
COUNTED_TABLES = ("cases", "case_events", "contractor_orders", "contacts", "handler_groups", "categories",
                  "contact_topics")


@dataclass(frozen=True)
class Lookup:
    """What a cached call gave: the value and whether it came from the cache."""

    value: Any
    hit: bool
    as_of: Optional[datetime] = None  # set when the page gets figures computed before the latest changes


def figures_key(period: Period, previous: Period, group_key: Optional[str]) -> str:
    """The cache key of the figures of `period` compared with `previous`, for a group (None: all groups)."""
    return (f"figures:{VERSION}:{period.start:%Y-%m-%dT%H:%M}:{period.end:%Y-%m-%dT%H:%M}:"
            f"{previous.start:%Y-%m-%dT%H:%M}:{previous.end:%Y-%m-%dT%H:%M}:{group_key or '*'}")


def _lists_digest(execute) -> str:
    """A digest of what the figures name or select from the small lists: groups, categories, contact topics."""
    digest = hashlib.sha256()
    for query in (select(HandlerGroup.id, HandlerGroup.key, HandlerGroup.name, HandlerGroup.kind,
                         HandlerGroup.active).order_by(HandlerGroup.id),
                  select(Category.id, Category.key, Category.name, Category.parent_id).order_by(Category.id),
                  select(ContactTopic.id, ContactTopic.key, ContactTopic.name).order_by(ContactTopic.id)):
        digest.update(repr(execute(query).all()).encode())
        digest.update(b"|")
    return digest.hexdigest()[:32]


def _highest_ids():
    return (select(func.max(Case.id)).scalar_subquery(), select(func.max(CaseEvent.id)).scalar_subquery(),
            select(func.max(ContractorOrder.id)).scalar_subquery(), select(func.max(Contact.id)).scalar_subquery())


def _fingerprint_query(since: datetime):
    changed = Case.updated_at >= since
    return select(*_highest_ids(),
                  select(func.count()).select_from(Case).where(changed).scalar_subquery(),
                  select(func.max(Case.updated_at)).where(changed).scalar_subquery())


def _describe(row, lists: str) -> str:
    ids, changed, latest = row[:4], row[4], row[5]
    latest_text = latest.isoformat() if isinstance(latest, datetime) else (latest or "")
    return json.dumps([*(int(i or 0) for i in ids), int(changed or 0), latest_text, lists], separators=(",", ":"))


def fingerprint(since: datetime) -> str:
    """The fingerprint of the counted data now, with the cases changed since `since` (see the module docstring)."""
    return _describe(db.session.execute(_fingerprint_query(since)).one(), _lists_digest(db.session.execute))


# Sessions holding a write lock (an INSERT, UPDATE or DELETE not yet committed) on a counted table of this
# database: with one of them the SHARE lock would wait for it while every new writer queues behind the wait.
WRITERS_IN_FLIGHT = text("""SELECT EXISTS (SELECT 1 FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation = ANY(CAST(:tables AS regclass[])))""")


def settled_fingerprint(since: datetime) -> Optional[str]:
    """The fingerprint with no writer of the counted tables in flight (PostgreSQL: under SHARE locks), or None
    when the locks were not granted within LOCK_TIMEOUT_MS (the result must then not be stored)."""
    if db.engine.dialect.name != "postgresql":
        return fingerprint(since)
    try:
        with db.engine.connect() as conn, conn.begin():
            if conn.execute(WRITERS_IN_FLIGHT, {"tables": list(COUNTED_TABLES)}).scalar():
                log.debug("dashboard cache: writers in flight on the counted tables; figures not stored")
                return None
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))
            conn.execute(text(f"LOCK TABLE {', '.join(COUNTED_TABLES)} IN SHARE MODE"))
            return _describe(conn.execute(_fingerprint_query(since)).one(), _lists_digest(conn.execute))
    except DBAPIError as err:
        if getattr(err.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        log.debug("dashboard cache: a writer came first; figures not stored")
        return None


def _overdue_since(group_id: Optional[int], then: datetime, now: datetime) -> int:
    """Cases of the group (None: all) open now whose deadline passed in [then, now) (ix_cases_open_deadline)."""
    where = [Case.closed_at.is_(None), Case.deadline_at >= then, Case.deadline_at < now]
    if group_id is not None:
        where.append(Case.group_id == group_id)
    return db.session.scalar(select(func.count(Case.id)).where(*where)) or 0


def _handovers_overdue_since(contacts: ContactFigures, then: datetime, now: datetime) -> dict[str, int]:
    """Per group: the contacts of the period handed over to it whose open case's deadline passed in [then, now)."""
    rows = db.session.execute(
        select(HandlerGroup.key, func.count(Contact.id)).select_from(Contact)
        .join(HandlerGroup, HandlerGroup.id == Contact.group_id).join(Case, Case.id == Contact.case_id)
        .where(Contact.created_at >= contacts.start, Contact.created_at < contacts.end,
               Contact.outcome == "handover", Case.closed_at.is_(None), Case.deadline_at >= then,
               Case.deadline_at < now)
        .group_by(HandlerGroup.key))
    return {key: int(count) for key, count in rows}


def catch_up(report: ReportFigures) -> None:
    """Move the state figures of a cached `report` (unchanged data) from the moment they describe to now."""
    group_id = _group_id(report.group_key)
    for figures in (report.current, report.before):
        moment = state_moment(figures.end)
        if figures.state_at is not None and figures.state_at < moment:
            figures.overdue_at_end += _overdue_since(group_id, figures.state_at, moment)
        figures.state_at = moment
    contacts = report.contacts
    if contacts is not None:
        moment = state_moment(contacts.end)
        if contacts.state_at is not None and contacts.state_at < moment and contacts.per_group:
            more = _handovers_overdue_since(contacts, contacts.state_at, moment)
            contacts.per_group = [replace(row, overdue=row.overdue + more.get(row.key, 0))
                                  for row in contacts.per_group]
        contacts.state_at = moment


def _secret() -> bytes:
    key = current_app.secret_key
    return key.encode() if isinstance(key, str) else bytes(key or b"")


def _signature(key: str, fingerprint_text: str, payload: bytes) -> bytes:
    mac = hmac.new(_secret(), digestmod=hashlib.sha256)
    for part in (key.encode(), b"\0", fingerprint_text.encode(), b"\0", payload):
        mac.update(part)
    return mac.digest()


def _load(entry: ReportCacheEntry) -> Any:
    """The entry's value, or None when its signature does not hold."""
    blob = bytes(entry.payload)
    signature, payload = blob[:32], blob[32:]
    if not hmac.compare_digest(signature, _signature(entry.key, entry.fingerprint, payload)):
        log.warning("dashboard cache: entry %s has a wrong signature; ignored", entry.key)
        return None
    return pickle.loads(payload)  # noqa: S301 - signed by this installation's secret key, checked above


def _entry(key: str) -> Optional[ReportCacheEntry]:
    row = db.session.execute(select(ReportCacheEntry.key, ReportCacheEntry.fingerprint, ReportCacheEntry.window_from,
                                    ReportCacheEntry.payload, ReportCacheEntry.viewed_at)
                             .where(ReportCacheEntry.key == key)).first()
    if row is None:
        return None
    return ReportCacheEntry(key=row.key, fingerprint=row.fingerprint, window_from=as_utc(row.window_from),
                            payload=row.payload, viewed_at=as_utc(row.viewed_at))


def computed_at(entry: ReportCacheEntry) -> datetime:
    """The moment the entry's figures describe: when its fingerprint was read, just before they were gathered."""
    return as_utc(entry.window_from) + WINDOW


def _store(key: str, fingerprint_text: str, window_from: datetime, value: Any,
           viewed_at: Optional[datetime] = None) -> None:
    """Write the entry in a transaction of its own (a failure only costs the next view a recomputation); this
    ends any claim on it. `viewed_at`: the page stores it (else the entry keeps the time it was last viewed)."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    now = utcnow()
    values = {"key": key, "fingerprint": fingerprint_text, "window_from": window_from,
              "payload": _signature(key, fingerprint_text, payload) + payload, "created_at": now,
              "claimed_until": None}
    if viewed_at is not None:
        values["viewed_at"] = viewed_at
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReportCacheEntry).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["key"],
                                                set_={k: v for k, v in values.items() if k != "key"})
    try:
        with db.engine.begin() as conn:
            conn.execute(statement)
            conn.execute(ReportCacheEntry.__table__.delete().where(ReportCacheEntry.created_at < now - KEEP))
    except DBAPIError as err:
        log.warning("dashboard cache: entry %s not stored: %s", key, type(err.orig).__name__)


def _record_view(entry: ReportCacheEntry, now: datetime) -> None:
    """Note on the entry that the page showed it (for the refresh job), at most once per VIEW_WRITE_EVERY."""
    if entry.viewed_at is not None and entry.viewed_at > now - VIEW_WRITE_EVERY:
        return
    table = ReportCacheEntry.__table__
    try:
        with db.engine.begin() as conn:
            conn.execute(table.update().where(table.c.key == entry.key,
                                              or_(table.c.viewed_at.is_(None),
                                                  table.c.viewed_at <= now - VIEW_WRITE_EVERY))
                         .values(viewed_at=now))
    except DBAPIError as err:  # only the refresh job misses it
        log.warning("dashboard cache: view of %s not recorded: %s", entry.key, type(err.orig).__name__)


def _unchanged(entry: ReportCacheEntry) -> bool:
    """Whether the counted data is as it was when the entry was made: the highest ids first (one cheap
    statement that settles most changes), then the whole fingerprint."""
    ids = [int(i or 0) for i in db.session.execute(select(*_highest_ids())).one()]
    if ids != json.loads(entry.fingerprint)[:4]:
        return False
    return fingerprint(entry.window_from) == entry.fingerprint


def _compute(period: Period, previous: Period, group_key: Optional[str], viewed_at: Optional[datetime] = None,
             settle_tries: int = 1) -> ReportFigures:
    """Gather the figures and store them (with UNSETTLED when a writer kept the fingerprint from settling)."""
    window_from = utcnow() - WINDOW
    fingerprint_text = settled_fingerprint(window_from)  # before gathering: a change meanwhile makes it stale
    for _ in range(settle_tries - 1):
        if fingerprint_text is not None:
            break
        time.sleep(0.05)
        window_from = utcnow() - WINDOW
        fingerprint_text = settled_fingerprint(window_from)
    report = gather(period, previous, group_key)
    _store(figures_key(period, previous, group_key), fingerprint_text or UNSETTLED, window_from, report, viewed_at)
    return report


def cached_gather(period: Period, previous: Period, group_key: Optional[str] = None,
                  max_age: Optional[timedelta] = None) -> Lookup:
    """`gather(period, previous, group_key)`, from the cache while the counted data is unchanged.

    `max_age` (the page only): also an entry computed less than this long ago whose data changed since, with
    its moment in `as_of`; the view is recorded on the entry for the refresh job. Without it: always exact."""
    key = figures_key(period, previous, group_key)
    now = utcnow()
    page = bool(max_age)
    entry = _entry(key)
    if entry is not None:
        exact = _unchanged(entry)
        young = page and max_age is not None and computed_at(entry) > now - max_age
        if exact or young:
            value = _load(entry)
            if isinstance(value, ReportFigures):
                if page:
                    _record_view(entry, now)
                if exact:
                    catch_up(value)
                    return Lookup(value, True)
                return Lookup(value, True, as_of=computed_at(entry))
    return Lookup(_compute(period, previous, group_key, viewed_at=now if page else None), False)


def refresh_due(max_age: timedelta) -> timedelta:
    """How old an entry may get before the refresh job recomputes it: the page's maximum age less two runs of the
    job (the next run may come REFRESH_SECONDS later, and the computation takes up to as long), so the page
    finds it younger than the maximum age; 0 (every changed entry, every run) when the maximum age is that short.
    Recomputing only then, not on every run after any change, costs a third at the default 120 s: at a million
    cases one recomputation takes seconds of the database's CPU."""
    return max(timedelta(0), max_age - timedelta(seconds=2 * REFRESH_SECONDS))


def refresh_viewed(limit: int = 50, max_age: Optional[timedelta] = None) -> int:
    """Recompute the figures entries the page showed in the last VIEWED_WITHIN whose data changed and that are
    due (`refresh_due(max_age)`; without `max_age`: all of them), each claimed first so that only one process
    computes it (the refresh job). How many it recomputed."""
    now = utcnow()
    table = ReportCacheEntry.__table__
    free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    # computed_at(entry) is window_from + WINDOW
    due = table.c.window_from <= now - refresh_due(max_age) - WINDOW if max_age else true()
    keys = db.session.scalars(select(table.c.key).where(table.c.key.like("figures:%"),
                                                        table.c.viewed_at >= now - VIEWED_WITHIN, free, due)
                              .order_by(table.c.viewed_at.desc()).limit(limit)).all()
    db.session.rollback()
    done = 0
    for key in keys:
        if stop_requested():
            break
        entry = _entry(key)
        if entry is None or _unchanged(entry):
            db.session.rollback()
            continue
        value = _load(entry)
        db.session.rollback()  # end the read transaction: the claim and the gather see the newest data
        if not isinstance(value, ReportFigures):
            continue
        with db.engine.begin() as conn:  # the claim: one process wins, the others find it taken
            claimed = conn.execute(table.update().where(table.c.key == key, table.c.fingerprint == entry.fingerprint,
                                                        or_(table.c.claimed_until.is_(None),
                                                            table.c.claimed_until < utcnow()))
                                   .values(claimed_until=utcnow() + CLAIM)).rowcount
        if claimed != 1:
            continue
        try:
            report = _compute(value.period, value.previous_period, value.group_key, settle_tries=20)
            cached_charts(report)  # the page shows the charts too: draw them here, not in the next view
        except Exception:
            with db.engine.begin() as conn:  # let the next run (or a view) try again
                conn.execute(table.update().where(table.c.key == key).values(claimed_until=None))
            raise
        finally:
            db.session.rollback()
        done += 1
    return done


def chart_inputs(report: ReportFigures) -> tuple:
    """Everything reports/quarterly.py `chart_images` draws: the main categories' counts, the weeks, the
    lead time per group (names included)."""
    return ([(s.name, s.count) for s in report.current.by_main_category],
            [(w.label, w.count) for w in report.weeks],
            [(g.name, g.median_hours) for g in report.per_group])


def charts_key(report: ReportFigures, language: str = LANGUAGE) -> str:
    """The cache key of the charts of `report`: the digest of what they show (the same charts for equal inputs,
    however often the figures were gathered again)."""
    digest = hashlib.sha256(repr(chart_inputs(report)).encode()).hexdigest()
    return f"charts:{VERSION}:{language}:{digest}"


def cached_charts(report: ReportFigures) -> Lookup:
    """`chart_images(report)` (PNG bytes per chart), from the cache when these very figures were drawn before."""
    key = charts_key(report)
    entry = _entry(key)
    if entry is not None:
        value = _load(entry)
        if isinstance(value, dict):
            return Lookup(value, True)
    images = chart_images(report)
    _store(key, "content", utcnow(), images)
    return Lookup(images, False)
