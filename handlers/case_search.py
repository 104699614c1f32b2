"""Staff search: which cases match what was typed, answered from an index on both databases.

What is searched: the case's reference, address and description (a mail case's description holds the mail's
text, a letter's its subject), the text read from a letter's scan (handlers/letter_ocr.py), and the reporter's
name, e-mail address and phone number (also without spaces,
dots or dashes, so "0470123456" finds "0470 12 34 56"). Roles that may not see reporters' data search the
reference and address only. Every word typed must occur somewhere (in the case or its reporter), as part of a
word ("lamp" finds "straatlamp"), without regard to capitals or accents ("cafe" finds "Café", "belgië" finds
"Belgie").

How it stays fast at a million cases: the text is folded once (lower case, accents taken off) and indexed by
trigrams -- PostgreSQL: pg_trgm GIN indexes, with `meldpunt_fold()` an immutable SQL function; SQLite: FTS5 tables
with the trigram tokenizer, filled by triggers with the same folding. On PostgreSQL an open case's whole text (its
own, its reporter's, its letters' scans) is one folded column, cases.search_text, kept by triggers, with one partial
trigram index of the open cases: all the words of a search are looked up in one index scan, however common each is
alone ("Lotte Peeters"), and a queue's window tests each case's row alone. The matching case ids are computed first
(a MATERIALIZED common table expression), so the queue then only joins its group's open work to them: the planner
cannot instead walk the whole queue in id order and test every row (what a plain ILIKE made PostgreSQL do in the
big groups). Words shorter than three letters have no trigram: they only narrow what the longer words found, or
are looked for without the index when nothing else was typed. See web/migrations/versions/0017_search.py for the
FTS5 tables and the folding, 0019_search_text.py for cases.search_text.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, text
from sqlalchemy.sql import Select

from engine.db import db
from engine.models import Case, Reporter

from .post_models import LetterText

# The letters folded to plain ASCII (lower and upper case), the same in the migration's SQL function and
# triggers: a word folded here must be the word the index holds.
ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüýÿçñÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ"
PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnaaaaaaeeeeiiiiooooouuuuyycn"
FOLD = str.maketrans(ACCENTED, PLAIN)
MIN_TRIGRAM = 3
MAX_WORDS = 6

# The folded text per row, as the PostgreSQL indexes are built on it (the expressions must match exactly).
PG_CASE_ALL = ("meldpunt_fold(coalesce(cases.reference, '') || ' ' || coalesce(cases.address, '') || ' ' || "
               "coalesce(cases.description, ''))")
PG_CASE_PUBLIC = "meldpunt_fold(coalesce(cases.reference, '') || ' ' || coalesce(cases.address, ''))"
PG_LETTER = "meldpunt_fold(coalesce(letter_texts.text, ''))"
# PostgreSQL: all of a case's text in one folded column, kept by triggers (migration 0019s), with a trigram index
# of the open cases: every word of a search in one index scan, and one row to test in the queue's window.
PG_SEARCH_TEXT = "cases.search_text"
PG_REPORTER = ("meldpunt_fold(coalesce(reporters.name, '') || ' ' || coalesce(reporters.email, '') || ' ' || "
               "coalesce(reporters.phone, '') || ' ' || translate(coalesce(reporters.phone, ''), ' ./-()', ''))")


def fold(value: str) -> str:
    """Lower case without accents, as the indexes hold the text."""
    return value.lower().translate(FOLD)


def sqlite_fold(value: object) -> object:
    """`meldpunt_fold()` in SQL on SQLite (registered on every connection by web/app.py), for the short words
    that have no trigram; the triggers fold without it, so other programs may still write to the database."""
    return fold(value) if isinstance(value, str) else value


def words(typed: str) -> list[str]:
    """The folded words of a search, at most MAX_WORDS, the longest first (they narrow most)."""
    found = [w for w in re.split(r"\s+", fold(typed).strip()) if w]
    return sorted(dict.fromkeys(found), key=len, reverse=True)[:MAX_WORDS]


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _pg_word(number: int, word: str, with_texts: bool, open_only: bool = False) -> tuple[str, dict[str, Any]]:
    name = f"w{number}"
    case_expr = PG_CASE_ALL if with_texts else PG_CASE_PUBLIC
    # open cases only: the partial indexes of migration 0018b hold just those (a queue's work is open)
    still_open = " AND NOT cases.completed" if open_only else ""
    sql = f"SELECT cases.id FROM cases WHERE {case_expr} LIKE :{name}{still_open}"
    if with_texts:
        letters = (f"SELECT letter_texts.case_id FROM letter_texts JOIN cases ON cases.id = letter_texts.case_id "
                   f"WHERE {PG_LETTER} LIKE :{name}{still_open}" if open_only else
                   f"SELECT letter_texts.case_id FROM letter_texts WHERE {PG_LETTER} LIKE :{name}")
        sql += (f" UNION SELECT cases.id FROM cases WHERE cases.reporter_id IN "
                f"(SELECT reporters.id FROM reporters WHERE {PG_REPORTER} LIKE :{name}){still_open}"
                f" UNION {letters}")
    return sql, {name: _like(word)}


def _pg_open(long_words: list[str], with_texts: bool) -> tuple[str, dict[str, Any]]:
    """The open cases whose text holds every word, all the words in one scan of one partial trigram index (the
    bitmaps of the words' trigrams ANDed): ix_cases_search_open on cases.search_text, or the reference and address
    alone (ix_cases_search_public_open) for roles that may not see reporters' data."""
    column = PG_SEARCH_TEXT if with_texts else PG_CASE_PUBLIC
    params = {f"w{number}": _like(word) for number, word in enumerate(long_words)}
    held = " AND ".join(f"{column} LIKE :{name}" for name in params)
    return f"SELECT cases.id FROM cases WHERE {held} AND NOT cases.completed", params


def _sqlite_word(number: int, word: str, with_texts: bool, open_only: bool = False) -> tuple[str, dict[str, Any]]:
    # open_only: SQLite's FTS tables hold every case; the caller's own filter (open work) narrows them
    name = f"w{number}"
    if len(word) < MIN_TRIGRAM:  # no trigram to look up: the folded text, without the index
        texts = ["coalesce(cases.reference, '')", "coalesce(cases.address, '')"]
        texts += ["coalesce(cases.description, '')"] if with_texts else []
        joined = " || ' ' || ".join(texts)
        sql = f"SELECT cases.id AS id FROM cases WHERE meldpunt_fold({joined}) LIKE :{name} ESCAPE '\\'"
        if with_texts:
            reporter = ("coalesce(reporters.name, '') || ' ' || coalesce(reporters.email, '') || ' ' || "
                        "coalesce(reporters.phone, '')")
            sql += (f" UNION SELECT cases.id FROM cases WHERE cases.reporter_id IN (SELECT reporters.id FROM "
                    f"reporters WHERE meldpunt_fold({reporter}) LIKE :{name} ESCAPE '\\')"
                    f" UNION SELECT letter_texts.case_id FROM letter_texts WHERE "
                    f"meldpunt_fold(coalesce(letter_texts.text, '')) LIKE :{name} ESCAPE '\\'")
        return sql, {name: _like(word)}
    column = "all_text" if with_texts else "public_text"
    sql = f"SELECT rowid AS id FROM cases_search WHERE {column} MATCH :{name}"
    if with_texts:
        sql += (f" UNION SELECT cases.id FROM cases WHERE cases.reporter_id IN "
                f"(SELECT rowid FROM reporters_search WHERE text MATCH :{name})"
                f" UNION SELECT letter_texts.case_id FROM letter_texts WHERE letter_texts.id IN "
                f"(SELECT rowid FROM letter_texts_search WHERE text MATCH :{name})")
    return sql, {name: _fts_phrase(word)}


def matching_case_ids(typed: str, *, with_texts: bool = True, long_only: bool = False,
                      open_only: bool = False) -> Select[Any] | None:
    """A SELECT of the ids of the cases that match every word typed (None when nothing searchable was typed),
    to be used as `Case.id.in_(...)`; computed once, before any join (MATERIALIZED).

    `long_only`: only the words the index can look up (the caller tests the short ones on its own rows with
    `row_matches`, so they are not tested on every hit of the long ones first; on PostgreSQL with `open_only` they
    are tested in the same scan anyway, on the case rows the index found). `open_only`: the caller wants cases that
    are not completed (a queue's open work) and PostgreSQL looks in the partial indexes of those."""
    found = words(typed)
    if not found:
        return None
    if long_only and any(len(w) >= MIN_TRIGRAM for w in found):
        found = [w for w in found if len(w) >= MIN_TRIGRAM]
    dialect = db.engine.dialect.name
    long_words = [w for w in found if len(w) >= MIN_TRIGRAM] or found[:1]
    if dialect == "postgresql" and open_only:
        # the short words too, when a long one is there: the index scan reads the long words' trigrams alone (a
        # pattern without a trigram matches every entry) and the short ones are tested on the rows it found
        if len(long_words[0]) >= MIN_TRIGRAM:
            long_words += [w for w in words(typed) if w not in long_words]
        sql, params = _pg_open(long_words, with_texts)
    else:
        parts, params = [], {}
        for number, word in enumerate(long_words):
            part, bound = (_pg_word if dialect == "postgresql" else _sqlite_word)(number, word, with_texts, open_only)
            parts.append(part)
            params.update(bound)
        # each word's own UNION in brackets: compound SELECTs bind left to right, INTERSECT no tighter than UNION
        sql = " INTERSECT ".join(f"SELECT id FROM ({part}) AS found{n}" for n, part in enumerate(parts))
    hits = text(sql).bindparams(**params).columns(literal_column("id"))
    cte = hits.cte("search_hits").prefix_with("MATERIALIZED")
    short = [w for w in found if w not in long_words]
    if not short:
        return select(cte.c.id)
    # the short words narrow the hits (few by then) without an index: only the hits' rows are read
    query = select(cte.c.id).join(Case, Case.id == cte.c.id)
    if with_texts:
        query = query.outerjoin(Reporter, Reporter.id == Case.reporter_id)
    return query.where(and_(*(_holds(word, with_texts) for word in short)))


def short_words(typed: str) -> list[str]:
    """The words typed that have no trigram (tested row by row after the index found the others)."""
    found = words(typed)
    if not any(len(w) >= MIN_TRIGRAM for w in found):
        return []  # matching_case_ids looks the first of them up without the index
    return [w for w in found if len(w) < MIN_TRIGRAM]


def row_matches(typed: str, *, with_texts: bool = True, only: list[str] | None = None) -> Any:
    """A condition on the enclosing query's `cases` row: it holds every word typed (or the words in `only`),
    tested on that row without an index: for the first rows of a queue, where a common word fills a page long
    before the index would have listed all its cases (handlers/queues.py). None when nothing was typed."""
    found = words(typed) if only is None else only
    if not found:
        return None
    return and_(*(_row_holds(word, with_texts) for word in found))


def _row_holds(word: str, with_texts: bool) -> Any:
    pattern = _like(word)
    texts = [func.coalesce(Case.reference, ""), func.coalesce(Case.address, "")]
    if not with_texts:
        return _folded(*texts).like(pattern, escape="\\")
    if db.engine.dialect.name == "postgresql":  # the case's row holds its reporter's and letters' text too
        return literal_column(PG_SEARCH_TEXT).like(pattern, escape="\\")
    texts.append(func.coalesce(Case.description, ""))
    phone = func.coalesce(Reporter.phone, "")
    stripped: Any = phone
    for char in " ./-()":  # as the index holds the number: also without spaces, dots and dashes
        stripped = func.replace(stripped, char, "")
    reporter = select(Reporter.id).where(
        Reporter.id == Case.reporter_id,
        _folded(func.coalesce(Reporter.name, ""), func.coalesce(Reporter.email, ""), phone, stripped)
        .like(pattern, escape="\\"))
    letters = select(LetterText.id).where(LetterText.case_id == Case.id,
                                          _folded(func.coalesce(LetterText.text, "")).like(pattern, escape="\\"))
    return or_(_folded(*texts).like(pattern, escape="\\"), reporter.exists(), letters.exists())


def _folded(*columns: Any) -> Any:
    joined = columns[0]
    for column in columns[1:]:
        joined = joined + " " + column
    return func.meldpunt_fold(joined)  # PostgreSQL: the migration's SQL function; SQLite: sqlite_fold


def _holds(word: str, with_texts: bool) -> Any:
    """The joined case (and reporter) row holds this word, in its folded text."""
    pattern = _like(word)
    texts = [func.coalesce(Case.reference, ""), func.coalesce(Case.address, "")]
    if not with_texts:
        return _folded(*texts).like(pattern, escape="\\")
    if db.engine.dialect.name == "postgresql":
        return literal_column(PG_SEARCH_TEXT).like(pattern, escape="\\")
    texts.append(func.coalesce(Case.description, ""))
    reporter = _folded(func.coalesce(Reporter.name, ""), func.coalesce(Reporter.email, ""),
                       func.coalesce(Reporter.phone, ""))
    letters = select(LetterText.id).where(LetterText.case_id == Case.id,
                                          _folded(func.coalesce(LetterText.text, "")).like(pattern, escape="\\"))
    return or_(_folded(*texts).like(pattern, escape="\\"), reporter.like(pattern, escape="\\"), letters.exists())
