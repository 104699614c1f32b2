"""Staff search (handlers/case_search.py): one box finds a case by its reporter's name, e-mail address or phone
number, its address or its text, by part of a word and without regard to capitals or accents; roles that may
not see reporters' data find nothing by those. On PostgreSQL the matching cases come from the trigram indexes."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from engine.db import db
from engine.models import Case
from handlers.case_search import fold, matching_case_ids, words
from handlers.groups import group_by_key
from handlers.queues import QueueFilter, queue_page
from intake.meldingen import register_melding

MELDINGEN = {
    "cafe": dict(description="Het terras van Café De Zwaan ligt vol glasscherven", category="sluikstort",
                 location={"address": "Grote Markt 1, 2800 Mechelen"},
                 reporter={"name": "Jozef Peeters", "email": "jozef.peeters@voorbeeld.example",
                           "phone": "0470 12 34 56"}),
    "lamp": dict(description="De straatlamp aan paal 12 brandt niet", category="straatlamp-defect",
                 location={"address": "Bruul 12, 2800 Mechelen"},
                 reporter={"name": "Anaïs Dubois", "email": "anais@voorbeeld.example"}),
    "belgie": dict(description="Put in het fietspad aan de Belgiëlaan", category="sluikstort",
                   location={"address": "Veemarkt 3, 2800 Mechelen"},
                   reporter={"name": "Els Janssens", "email": "els@voorbeeld.example", "phone": "+32 15 20 30 40"}),
}


@pytest.fixture
def cases(app):
    refs = {}
    for key, fields in MELDINGEN.items():
        refs[key] = register_melding(channel="web", **fields).reference
    db.session.remove()
    return refs


def found(typed: str, *, with_texts: bool = True) -> set[str]:
    group = group_by_key("meldkamer")
    page = queue_page(group.id, QueueFilter(search=typed, search_texts=with_texts), newest_first=True)
    return {item.case.reference for item in page.items}


SEARCHES = [
    ("peeters", {"cafe"}), ("PEET", {"cafe"}), ("jozef peeters", {"cafe"}),
    ("jozef.peeters@voorbeeld", {"cafe"}), ("voorbeeld.example", {"cafe", "lamp", "belgie"}),
    ("0470123456", {"cafe"}), ("0470 12", {"cafe"}), ("15 20 30", {"belgie"}),
    ("cafe", {"cafe"}), ("CAFÉ", {"cafe"}), ("café zwaan", {"cafe"}), ("belgie", {"belgie"}),
    ("Belgiëlaan", {"belgie"}), ("anais", {"lamp"}), ("anaïs", {"lamp"}),
    ("lamp", {"lamp"}), ("straatlamp paal", {"lamp"}), ("bruul 12", {"lamp"}), ("paal 12", {"lamp"}),
    ("mechelen", {"cafe", "lamp", "belgie"}), ("peeters bruul", set()), ("glasscherven brandt", set()),
    ("peeters glasscherven", {"cafe"}), ("0470123456 grote markt", {"cafe"}), ("janssens belgiëlaan 40", {"belgie"}),
    ("onbekendwoord", set()), ("12", {"lamp", "cafe"}), ("%", set()), ("_", set()), ('"', set()), ("jozef \"x", set()),
]


def expected_references(typed: str, keys: set[str], cases: dict[str, str]) -> set[str]:
    """The references a search should find: those of `keys`, and, for a number typed alone, every case whose
    reference holds it (the reference is searched too, and the test's cases get whatever numbers come next:
    M2026-000120 holds "12")."""
    found = {cases[key] for key in keys}
    if typed.isdigit():
        found |= {reference for reference in cases.values() if typed in reference}
    return found


def test_one_box_finds_the_case_by_any_part_of_its_reporter_place_or_text(cases):
    names = {reference: key for key, reference in cases.items()}
    wrong = [(typed, sorted(names[r] for r in found(typed)), sorted(expected)) for typed, expected in SEARCHES
             if found(typed) != expected_references(typed, expected, cases)]
    assert wrong == [], "typed, found, expected"


def test_a_role_without_reporter_data_finds_by_reference_and_address_only(cases):
    assert found("peeters", with_texts=False) == set()
    assert found("glasscherven", with_texts=False) == set()
    assert found("0470123456", with_texts=False) == set()
    assert found("grote markt", with_texts=False) == {cases["cafe"]}
    assert found(cases["lamp"][:7], with_texts=False) >= {cases["lamp"]}


def test_a_corrected_description_and_a_new_address_are_found_and_the_old_ones_no_longer(cases):
    case = db.session.scalar(select(Case).where(Case.reference == cases["lamp"]))
    case.description = "De lantaarn aan paal 12 is stuk"
    case.address = "Ijzerenleen 5, 2800 Mechelen"
    db.session.commit()
    assert found("lantaarn") == {cases["lamp"]} and found("ijzerenleen") == {cases["lamp"]}
    assert found("straatlamp") == set() and found("bruul") == set()


def test_the_reporters_new_name_is_found_and_a_deleted_case_is_gone(cases):
    case = db.session.scalar(select(Case).where(Case.reference == cases["belgie"]))
    case.reporter.name = "Els Vermeulen-Janssens"
    db.session.commit()
    assert found("vermeulen") == {cases["belgie"]}


def test_the_words_are_folded_as_the_index_holds_them():
    assert fold("CAFÉ Anaïs Ñandú Çà") == "cafe anais nandu ca"
    assert words("  Café   café  de ZWAAN ") == ["zwaan", "cafe", "de"]
    assert len(words("a b c d e f g h")) == 6
    assert words("   ") == []


def test_the_matching_cases_come_from_the_search_indexes(app, cases):
    query = matching_case_ids("peeters glasscherven")
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: show the indexes can answer it
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
        assert "ix_cases_search_all" in plan and "ix_reporters_search" in plan, plan
    else:
        plan = "\n".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "SCAN cases_search VIRTUAL TABLE INDEX" in plan, plan
        assert "SCAN reporters_search VIRTUAL TABLE INDEX" in plan, plan
    db.session.rollback()


@pytest.mark.parametrize("window", [1, 2, 2000])
def test_row_by_row_and_index_first_find_the_same_pages(cases, monkeypatch, window):
    """A search tests the queue's next SEARCH_WINDOW items row by row and falls back to the search index when they
    hold less than a page: both ways find the same cases, page after page."""
    import handlers.queues as queues

    monkeypatch.setattr(queues, "SEARCH_WINDOW", window)
    names = {reference: key for key, reference in cases.items()}
    wrong = [(typed, sorted(names[r] for r in found(typed)), sorted(expected)) for typed, expected in SEARCHES
             if found(typed) != expected_references(typed, expected, cases)]
    assert wrong == [], "typed, found, expected"
    group = group_by_key("meldkamer")
    for typed, expected in (("voorbeeld.example", {"cafe", "lamp", "belgie"}), ("12", {"lamp", "cafe"})):
        seen, cursor = [], None
        while True:
            page = queue_page(group.id, QueueFilter(search=typed), cursor, newest_first=True, limit=1)
            seen += [item.case.reference for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(expected_references(typed, expected, cases)), typed


def test_the_database_folds_as_python_does(app):
    """meldpunt_fold() in SQL (PostgreSQL: migration 0018b's fast path for plain ASCII; SQLite: sqlite_fold) gives
    what fold() gives, for plain, accented and missing text."""
    for value in ("Bruul 12, 2800 Mechelen", "CAFÉ Anaïs Ñandú Çà reünie ideeën", "ÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ", ""):
        assert db.session.scalar(text("SELECT meldpunt_fold(:v)"), {"v": value}) == fold(value), value
    assert db.session.scalar(text("SELECT meldpunt_fold(NULL)")) is None


def test_a_whole_reference_finds_its_case_and_an_unknown_one_nothing(cases):
    assert found(cases["lamp"]) == {cases["lamp"]} and found(cases["lamp"].lower()) == {cases["lamp"]}
    assert found("M1999-000001") == set()


# PostgreSQL's cases.search_text (migration 0019s): these run on PostgreSQL alone (SQLite searches its FTS5 tables)
postgresql_only = pytest.mark.parametrize("app", ["postgresql"], indirect=True)


@postgresql_only
def test_a_queue_search_looks_up_all_its_words_in_one_index_of_open_cases(app, cases):
    """PostgreSQL: the words of a search, each in another place of the case (reporter, description, address), are
    looked up together in one partial index on cases.search_text, not word by word in each place's own index."""
    query = matching_case_ids("peeters glasscherven markt", long_only=True, open_only=True)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: show the index can answer it
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    db.session.rollback()
    # one scan of cases (at three cases the planner may take any partial index of the open ones; at 1,000,000 it is
    # ix_cases_search_open, as `make bench` shows) and none of reporters or letters
    assert len(re.findall(r"Scan on cases\b", plan)) == 1, plan
    assert "reporters" not in plan and "letter_texts" not in plan, plan
    for word in ("peeters", "glasscherven", "markt"):
        assert f"search_text ~~ '%%{word}%%'" in plan, plan
    assert set(db.session.scalars(query)) == {db.session.scalar(select(Case.id).where(Case.reference == cases["cafe"]))}
    # a word without a trigram ("12") is tested on the rows the same scan found, not on every hit's work items later
    query = matching_case_ids("bruul 12", long_only=True, open_only=True)
    compiled = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert compiled.count("FROM cases") == 1 and "'%%12%%'" in compiled, compiled
    assert set(db.session.scalars(query)) == {db.session.scalar(select(Case.id).where(Case.reference == cases["lamp"]))}


def _search_text(reference: str) -> str:
    return db.session.scalar(text("SELECT search_text FROM cases WHERE reference = :r"), {"r": reference})


def _add_letter_text(case_id: int, scanned: str) -> int:
    letter = db.session.scalar(text(
        "INSERT INTO post_letters (case_id, sender_name, sender_address, received_on, subject, letter_kind, "
        "registered_mail, deadline_days, deadline_unit, registered_by, created_at) VALUES (:case, 'Afzender', "
        "'Bruul 1', current_date, 'Brief', 'vraag', false, 30, 'kalenderdagen', 'Postkamer', now()) RETURNING id"),
        {"case": case_id})
    return db.session.scalar(text(
        "INSERT INTO letter_texts (letter_id, case_id, status, attempts, text, pages_read, text_layer_pages, "
        "unread_pages, created_at) VALUES (:letter, :case, 'done', 1, :text, 1, 1, 0, now()) RETURNING id"),
        {"letter": letter, "case": case_id, "text": scanned})


@postgresql_only
def test_the_search_text_follows_the_reporter_the_letters_and_anonymisation(app, cases):
    """PostgreSQL: triggers keep cases.search_text: a letter's scan read later is found, a changed or removed one
    no longer; an anonymised reporter's name, e-mail address and phone number are gone from it."""
    case = db.session.scalar(select(Case).where(Case.reference == cases["cafe"]))
    text_id = _add_letter_text(case.id, "Attest van de NOTARIS Dupré")
    db.session.commit()
    assert found("notaris dupre") == {cases["cafe"]} and found("notaris glasscherven peeters") == {cases["cafe"]}
    db.session.execute(text("UPDATE letter_texts SET text = 'Aanslagjaar 2025' WHERE id = :id"), {"id": text_id})
    db.session.commit()
    assert found("notaris") == set() and found("aanslagja") == {cases["cafe"]}
    db.session.execute(text("DELETE FROM letter_texts WHERE id = :id"), {"id": text_id})
    db.session.commit()
    assert found("aanslagja") == set()

    case = db.session.scalar(select(Case).where(Case.reference == cases["cafe"]))
    case.reporter.name = case.reporter.email = case.reporter.phone = None  # what handlers/privacy.py does
    db.session.commit()
    assert found("jozef") == set() and found("0470123456") == set() and found("voorbeeld.example") == {
        cases["lamp"], cases["belgie"]}
    held = _search_text(cases["cafe"])
    assert "jozef" not in held and "0470" not in held and "glasscherven" in held, held
    # a completed case keeps none of it (the queues search open work); reopened, it is found again
    db.session.execute(text("UPDATE cases SET completed = true WHERE reference = :r"), {"r": cases["lamp"]})
    db.session.commit()
    assert _search_text(cases["lamp"]) is None
    db.session.execute(text("UPDATE reporters SET name = 'Anaïs Dubois-Maes' WHERE id = (SELECT reporter_id FROM "
                            "cases WHERE reference = :r)"), {"r": cases["lamp"]})
    db.session.execute(text("UPDATE cases SET completed = false WHERE reference = :r"), {"r": cases["lamp"]})
    db.session.commit()
    assert "anais dubois-maes" in _search_text(cases["lamp"])
    stale = db.session.scalar(text("SELECT count(*) FROM cases c WHERE c.search_text IS DISTINCT FROM "
                                   "meldpunt_case_search_text(c)"))
    assert stale == 0


def test_a_queue_shorter_than_the_window_is_searched_through_the_window_too(app, cases):
    """The row-by-row test reads the queue's items from the queue index in a derived table of their own (ordered,
    limited) also when the queue holds fewer than SEARCH_WINDOW items: filtered and ordered by id alone, PostgreSQL
    read the onthaal's 1,962 items in a parallel bitmap heap scan and sorted them (`make bench`, plans with
    max_parallel_workers_per_gather 2 and 0)."""
    from sqlalchemy import event

    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert found("glasscherven") == {cases["cafe"]}
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    searched = [s for s in seen if "FROM work_items" in s and "LIKE" in s]
    assert searched and all("search_window" in s for s in searched), searched


@postgresql_only
def test_bulk_loaded_cases_hold_the_search_text_the_triggers_would_write(app):
    """PostgreSQL: benchmarks/bulk_load.py writes cases.search_text itself (it loads with the triggers off): the
    same text meldpunt_case_search_text() gives, for meldingen, mails and letters with their scans, open or closed;
    afterwards the triggers are on again."""
    from benchmarks.bulk_load import bulk_load

    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    bulk_load(url, 400, mail_share=0.2, post_share=0.2, log=lambda _line: None)
    kinds = dict(db.session.execute(text(
        "SELECT kind || CASE WHEN completed THEN ' closed' ELSE ' open' END, count(*) FROM cases GROUP BY 1")).all())
    assert {"melding open", "melding closed", "post open", "mail open"} <= set(kinds), kinds
    stale = db.session.scalar(text("SELECT count(*) FROM cases c WHERE c.search_text IS DISTINCT FROM "
                                   "meldpunt_case_search_text(c)"))
    assert stale == 0
    disabled = db.session.scalar(text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'"))
    assert disabled == 0


def test_a_window_that_fills_the_page_asks_nothing_about_the_queues_length(app, cases):
    """The queue's length beyond the window (an OFFSET look-up) matters only when the window held less than a page."""
    from .helpers import statements_sent

    group = group_by_key("meldkamer")
    with statements_sent() as full:
        page = queue_page(group.id, QueueFilter(search="voorbeeld.example"), newest_first=True, limit=1)
    assert len(page.items) == 1 and page.next_cursor is not None
    assert not [s for s in full if _asks_the_length(s)], "\n".join(full)
    with statements_sent() as short:
        page = queue_page(group.id, QueueFilter(search="glasscherven"), newest_first=True, limit=1)
    assert [item.case.reference for item in page.items] == [cases["cafe"]]
    assert [s for s in short if _asks_the_length(s)], "\n".join(short)


def _asks_the_length(statement: str) -> bool:
    """The look-up of the queue's item just past the window (SQLite writes OFFSET after every LIMIT)."""
    return statement.startswith("SELECT work_items.id FROM work_items WHERE") and "OFFSET" in statement


@postgresql_only
def test_the_queues_items_among_many_hits_come_from_the_queues_index_in_an_unprepared_statement(app, cases,
                                                                                                 monkeypatch):
    """PostgreSQL: past the window, the queue's items among the hits are asked for with the hits as one array whose
    values the planner sees. Thousands of hits (a word common in the city, rare in this queue: "straatlamp" in
    openbare-netheid, 5,377 open cases) are then tested against a hash while the queue's own index is read once,
    instead of each hit's work items being looked up (87 ms against 7 ms at 1,000,000 cases, `make bench`). That
    needs a plan made for the values: the statement is never prepared, where psycopg prepares every other one on
    its sixth use and PostgreSQL may then plan it for any ten ids."""
    import handlers.queues as queues
    from engine.models import WorkItem
    from handlers.queue_hits import OF_HITS, items_query

    group = group_by_key("meldkamer")
    query = items_query(OF_HITS, [WorkItem.group_id == group.id, WorkItem.status == "open"], [])
    compiled = query.compile(db.engine)
    parameters = {**compiled.params, "hit_ids": "{" + ",".join(str(n) for n in range(1, 5001)) + "}"}
    driver = db.session.connection().connection.driver_connection
    driver.execute("SET LOCAL enable_seqscan = off")  # three cases: show which index answers thousands of ids
    plan = "\n".join(row[0] for row in driver.execute(f"EXPLAIN {compiled}", parameters, prepare=False))
    # the queue's index (an index-only or a bitmap scan: a table not yet vacuumed has no visibility map), not the
    # items of each case looked up one by one
    assert "ix_work_items_queue" in plan and "uq_work_items_case_id" not in plan, plan
    assert "Filter: (case_id = ANY ('{1,2,3," in plan, plan  # the values themselves, tested by hash
    db.session.rollback()

    monkeypatch.setattr(queues, "SEARCH_WINDOW", 1)  # past the window at once
    for _ in range(8):  # in one transaction, so on one connection: psycopg prepares on the sixth use
        page = queue_page(group.id, QueueFilter(search="glasscherven"), newest_first=True)
        assert [item.case.reference for item in page.items] == [cases["cafe"]]
    prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("search_window" in statement for statement in prepared), prepared  # the others are prepared
    assert not [statement for statement in prepared if "ANY" in statement], prepared
    db.session.rollback()
