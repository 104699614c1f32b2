"""The text of registered letters: the worker reads each scan after registration, in the background.

Registering a letter adds a `letter_texts` row in state pending (handlers/post_actions.py); registration never
waits for the reading and never fails because of it. The worker's job `read_due_letters` (web/scheduler.py,
every MELDPUNT_OCR_SECONDS) then, one letter at a time:

1. claims a row: pending, or running with its lease run out (a worker that died), or unavailable when this
   worker has Tesseract. One UPDATE takes it (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never
   read the same scan; SQLite has one writer and the UPDATE re-checks the state), counts the attempt and sets
   a lease of the time limit plus a margin. Commit: no transaction is held while reading.
2. reads the scan (through handlers/files.open_file) in a child process, handlers/ocr_pages.py: text layers
   where the pages have them, Tesseract for the others, bounded to MELDPUNT_OCR_MAX_PAGES pages and
   MELDPUNT_OCR_TIME_LIMIT seconds. A child that crashes is tried again, MAX_ATTEMPTS times in all.
3. stores the text with the letter and notes on the case's (internal) timeline what was read, where a bound
   cut it short, or that the scan could not be read (the case goes on as before). When the routing rules match
   words of the letter's text, their group is suggested on the case, with the words: "gebaseerd op de tekst
   van de brief: ...".

Without Tesseract (or its language data) a page without a text layer stays unread, the row is "unavailable"
and the case page says so; a worker that has Tesseract reads it again.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import utcnow
from engine.db import db
from engine.errors import NotFound
from engine.locking import lock_case
from engine.models import Case
from engine.settings import settings
from engine.timeline import add_event
from engine.ttl_cache import TtlCache
from notifications.stopping import stop_requested

from .files import open_file
from .ocr_pages import Options
from .post_models import LetterText, PostLetter
from .privacy import CaseScrub, on_anonymise_case, on_export_case
from .routing import RoutingSample, active_rules, evaluate_rules, keyword_matches
from .routing_words import split_keywords

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
GRACE_SECONDS = 60  # beyond the time limit, before the child is killed and the lease runs out
MAX_TEXT = 1_000_000  # characters kept of one letter's text
PAGE_BREAK = "\f"  # between the pages in the stored text (as Tesseract itself separates pages)
CHECK_SECONDS = 60.0  # how long the answer "is Tesseract there?" is kept
CLAIMABLE_WITH_TESSERACT = ("pending", "unavailable")


# ------------------------------------------------------------------------------------------- Tesseract

_checked: TtlCache[tuple[str, str], Optional[str]] = TtlCache(CHECK_SECONDS)


def tesseract_command() -> Optional[str]:
    """The path of the Tesseract command when it is installed with the language data MELDPUNT_OCR_LANGUAGE
    names, else None (asked again after a minute)."""
    configured = settings()
    return _checked.get((configured.tesseract, configured.ocr_language), lambda: _find_tesseract(configured))


def _find_tesseract(configured: Any) -> Optional[str]:
    found: Optional[str] = None
    path = shutil.which(configured.tesseract)
    if path:
        try:
            done = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
            languages = {line.strip() for line in (done.stdout or "").splitlines()[1:]}
            if all(part in languages for part in configured.ocr_language.split("+")):
                found = path
            else:
                log.warning("tesseract has no language data for %r (has %s)", configured.ocr_language,
                            ", ".join(sorted(languages)) or "none")
        except (OSError, subprocess.SubprocessError) as err:
            log.warning("tesseract cannot be run: %s", err)
    return found


def forget_tesseract() -> None:
    """Ask again whether Tesseract is there (after installing it, and between tests)."""
    _checked.forget()


def ocr_available() -> bool:
    """Whether this process can read scans without a text layer."""
    return tesseract_command() is not None


# ------------------------------------------------------------------------------------------ the letters

def text_of(case_id: int) -> Optional[LetterText]:
    """The text row of a post case's letter (None for other cases, and after anonymising)."""
    return db.session.scalar(select(LetterText).where(LetterText.case_id == case_id))


def text_pages(row: Optional[LetterText]) -> list[str]:
    """The text read from each page of the scan; empty when nothing was read."""
    if row is None or not (row.text or "").replace(PAGE_BREAK, "").strip():
        return []
    return [page.strip() for page in (row.text or "").split(PAGE_BREAK)]


# -------------------------------------------------------------------------------------------- claiming

@dataclass(frozen=True)
class Claim:
    """A row this worker holds: its id, case, letter and the attempt it counted."""

    id: int
    case_id: int
    letter_id: int
    attempts: int


def _claimable(table: Any, now: datetime, with_tesseract: bool) -> Any:
    states = [table.c.status == "pending", and_(table.c.status == "running", table.c.claimed_until < now)]
    if with_tesseract:
        states.append(table.c.status == "unavailable")
    return and_(or_(*states), table.c.attempts < MAX_ATTEMPTS)


def claim_next(now: datetime, with_tesseract: bool, lease: timedelta) -> Optional[Claim]:
    """Take the oldest letter waiting to be read for this worker (see the module's text); commit."""
    table = LetterText.__table__
    due = select(table.c.id).where(_claimable(table, now, with_tesseract)).order_by(table.c.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        picked = due.with_for_update(skip_locked=True).cte("picked")  # evaluated once, never waits on a row
        which = table.c.id == picked.c.id
    else:  # one writer at a time: the UPDATE re-checks that the row can still be taken
        which = table.c.id.in_(due.scalar_subquery())
    row = db.session.execute(
        update(table).where(which, _claimable(table, now, with_tesseract))
        .values(status="running", attempts=table.c.attempts + 1, claimed_until=now + lease)
        .returning(table.c.id, table.c.case_id, table.c.letter_id, table.c.attempts)).first()
    db.session.commit()
    return Claim(id=row.id, case_id=row.case_id, letter_id=row.letter_id, attempts=row.attempts) if row else None


# --------------------------------------------------------------------------------------------- reading

@dataclass
class Reading:
    """What the child process printed about one scan."""

    total: Optional[int] = None
    pages: list[dict[str, Any]] = field(default_factory=list)
    stopped: Optional[str] = None  # "pages" or "time"
    error: Optional[str] = None  # the scan could not be read (why, in English)
    crashed: Optional[str] = None  # the child ended without saying it was done (why)

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(page.get("text", "") for page in self.pages)[:MAX_TEXT]

    def count(self, *sources: str) -> int:
        return sum(1 for page in self.pages if page.get("source") in sources)


def parse_facts(output: bytes, reading: Reading) -> bool:
    """Add the child's JSON lines to `reading`; True when it said it was done (end, stopped or error)."""
    finished = False
    for line in output.decode("utf-8", errors="replace").splitlines():
        try:
            fact = json.loads(line)
        except ValueError:
            continue
        if not isinstance(fact, dict):
            continue
        if "pages" in fact:
            reading.total = int(fact["pages"])
        elif "page" in fact:
            reading.pages.append(fact)
        elif "stopped" in fact:
            reading.stopped, finished = str(fact["stopped"]), True
        elif "error" in fact:
            reading.error, finished = str(fact.get("detail") or fact["error"]), True
        elif fact.get("end"):
            finished = True
    return finished


def read_content(content: bytes, options: Options) -> Reading:
    """Read a PDF's text in a child process (handlers/ocr_pages.py), killed when it overruns its time."""
    reading = Reading()
    command = [sys.executable, "-m", "handlers.ocr_pages", options.to_json()]
    try:
        done = subprocess.run(command, input=content, capture_output=True, timeout=options.seconds + GRACE_SECONDS,
                              check=False)
    except subprocess.TimeoutExpired as err:
        parse_facts(err.stdout or b"", reading)
        reading.stopped = reading.stopped or "time"
        return reading
    except OSError as err:
        reading.crashed = f"cannot start the reader: {err}"
        return reading
    if not parse_facts(done.stdout, reading):
        reading.crashed = f"reader exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}"
    return reading


def read_scan(claim: Claim, options: Options) -> Reading:
    """Read the scan of the claimed letter; the database transaction is closed before the long part."""
    letter = db.session.get(PostLetter, claim.letter_id)
    stored = letter.scan_file if letter is not None else None
    if stored is None:
        db.session.rollback()
        return Reading(error="the letter has no scan (any more)")
    try:
        with open_file(stored) as handle:
            content = handle.read()
    except OSError as err:
        db.session.rollback()
        return Reading(error=f"the scan cannot be opened: {err}")
    db.session.rollback()  # no transaction (no SQLite read snapshot, no idle PostgreSQL one) while reading
    return read_content(content, options)


# ------------------------------------------------------------------------------------------- the result

def _pages(count: int) -> str:
    return "1 pagina" if count == 1 else f"{count} pagina's"


def result_note(row: LetterText, seconds: int) -> str:
    """What the reading found, in Dutch, for the case's timeline."""
    if row.status == "failed":
        return ("Tekstherkenning mislukt: de scan kon niet gelezen worden. Het dossier loopt gewoon verder; "
                "lees de brief op de scan zelf.")
    parts = []
    if row.text and row.text.replace(PAGE_BREAK, "").strip():
        read = f"Tekst van de brief gelezen: {_pages(row.pages_read)}"
        if row.text_layer_pages:
            read += f" (waarvan {row.text_layer_pages} met een tekstlaag)"
        parts.append(read + ".")
    elif not row.unread_pages:
        parts.append(f"Geen tekst gevonden op de scan ({_pages(row.pages_read)} bekeken).")
    if row.unread_pages:
        parts.append(f"Tekstherkenning niet beschikbaar: {_pages(row.unread_pages)} zonder tekstlaag niet gelezen "
                     "(Tesseract ontbreekt op de server); ze worden gelezen zodra het er is.")
    if row.stopped == "pages":
        parts.append(f"Tekstherkenning beperkt tot de eerste {_pages(row.page_limit or 0)} "
                     f"(de scan heeft {_pages(row.pages_total or 0)}).")
    elif row.stopped == "time":
        parts.append(f"Tekstherkenning gestopt na {seconds} seconden: {_pages(row.pages_read)} van de "
                     f"{row.pages_total or '?'} gelezen.")
    return " ".join(parts)


def letter_suggestion(subject: str, text: str) -> tuple[Optional[Any], Optional[str]]:
    """The group the routing rules give for the letter's subject with its text, and the reason naming the
    words of the text that matched; (None, None) when no rule matches words of the text."""
    decision = evaluate_rules(RoutingSample(description=f"{subject}\n{text}", channel="brief"), active_rules())
    if decision.group is None or decision.rule is None:
        return None, None
    keywords = split_keywords(decision.rule.keywords)
    in_text = list(dict.fromkeys(word for keyword in keywords for word in keyword_matches(keyword, text)))
    if not in_text:
        return None, None  # the subject alone made the match: nothing new from the letter's text
    in_subject = list(dict.fromkeys(word for keyword in keywords for word in keyword_matches(keyword, subject)))
    reason = f"{decision.reason} – gebaseerd op de tekst van de brief: " + ", ".join(f"'{w}'" for w in in_text)
    if in_subject:
        reason += " en het onderwerp: " + ", ".join(f"'{w}'" for w in in_subject)
    return decision.group, reason


def _suggest(case: Case, row: LetterText, letter: PostLetter) -> None:
    group, reason = letter_suggestion(letter.subject, (row.text or "").replace(PAGE_BREAK, "\n"))
    row.suggested_group_id, row.suggestion = (group.id, reason) if group is not None else (None, None)
    if group is None or case.completed:
        return
    if case.suggestion_reason is None or case.suggested_group_id is not None:  # keep a send-back's reason
        case.suggested_group_id, case.suggestion_reason = group.id, reason
    note = f"Voorstel op basis van de tekst van de brief: {group.name}. {reason}"
    if case.group is not None and case.group.id != group.id:
        note += f" De brief ligt nu bij {case.group.name}."
    add_event(case, "suggested", note=note, data={"group": group.key, "source": "letter_text"})


def _store(claim: Claim, reading: Reading, options: Options) -> str:
    try:
        case = lock_case(claim.case_id)
    except NotFound:
        db.session.rollback()
        return "gone"
    row = db.session.scalars(select(LetterText).where(LetterText.id == claim.id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if row is None or row.status != "running" or row.attempts != claim.attempts:
        db.session.rollback()  # anonymised meanwhile, or taken over after the lease ran out
        return "lost"
    if reading.crashed and row.attempts < MAX_ATTEMPTS:
        log.warning("reading the scan of case %s failed (attempt %d), tried again: %s", case.reference,
                    row.attempts, reading.crashed)
        row.status, row.claimed_until = "pending", None
        db.session.commit()
        return "pending"
    row.pages_total = reading.total
    row.pages_read = len(reading.pages)
    row.text_layer_pages = reading.count("text")
    row.unread_pages = reading.count("unread")
    row.stopped = reading.stopped
    row.page_limit = options.max_pages
    row.text = reading.text or None
    row.problem = (reading.error or reading.crashed or None) and str(reading.error or reading.crashed)[:400]
    row.status = "failed" if row.problem else ("unavailable" if row.unread_pages else "done")
    row.claimed_until, row.finished_at = None, utcnow()
    if row.problem:
        log.warning("the scan of case %s cannot be read: %s", case.reference, row.problem)
    add_event(case, "letter_read" if row.status != "failed" else "letter_unreadable",
              note=result_note(row, int(options.seconds)),
              data={"status": row.status, "pages_read": row.pages_read, "pages_total": row.pages_total,
                    "stopped": row.stopped})
    letter = db.session.get(PostLetter, claim.letter_id)
    if row.text and letter is not None:
        _suggest(case, row, letter)
    db.session.commit()
    return row.status


def store_reading(claim: Claim, reading: Reading, options: Options) -> str:
    """Keep what was read with the letter, note it on the case (locked) and suggest a group by its text;
    returns the row's new state. A concurrent change of the case is waited out (tried again)."""
    for attempt in range(5):
        try:
            return _store(claim, reading, options)
        except (StaleDataError, OperationalError) as err:  # the case changed meanwhile; SQLite was busy
            db.session.rollback()
            log.info("storing the text of case %s again (%s)", claim.case_id, err.__class__.__name__)
            time.sleep(0.2 * (attempt + 1))
    return _store(claim, reading, options)


def give_up_exhausted(now: datetime) -> int:
    """Rows whose every attempt crashed or overran its lease: failed, with the note on the case."""
    table = LetterText.__table__
    stuck = list(db.session.execute(
        select(table.c.id, table.c.case_id, table.c.letter_id, table.c.attempts)
        .where(table.c.attempts >= MAX_ATTEMPTS,
               or_(table.c.status == "pending", and_(table.c.status == "running", table.c.claimed_until < now)))))
    db.session.rollback()
    for row in stuck:
        db.session.execute(update(table).where(table.c.id == row.id).values(status="running"))
        db.session.commit()
        store_reading(Claim(id=row.id, case_id=row.case_id, letter_id=row.letter_id, attempts=row.attempts),
                      Reading(crashed=f"gave up after {row.attempts} attempts"), current_options())
    return len(stuck)


def current_options(tesseract: Optional[str] = None) -> Options:
    configured = settings()
    return Options(max_pages=configured.ocr_max_pages, seconds=float(configured.ocr_time_limit),
                   language=configured.ocr_language, tesseract=tesseract)


def read_due_letters(limit: int = 20) -> int:
    """The worker's job: read the scans waiting to be read, one at a time (at most `limit`, and none once
    the process is stopping); returns how many were read."""
    command = tesseract_command()
    options = current_options(command)
    lease = timedelta(seconds=options.seconds + 2 * GRACE_SECONDS)
    give_up_exhausted(utcnow())
    done = 0
    while done < limit and not stop_requested():
        claim = claim_next(utcnow(), command is not None, lease)
        if claim is None:
            break
        outcome = store_reading(claim, read_scan(claim, options), options)
        done += 1
        if outcome == "pending":  # the reader crashed: tried again in a later run, not at once
            break
    return done


# ----------------------------------------------------------------------------------------------- privacy

@on_anonymise_case
def forget_letter_text(scrub: CaseScrub) -> int:
    """The letter's text goes with the scan it was read from."""
    rows = list(db.session.scalars(select(LetterText).where(LetterText.case_id == scrub.case.id)))
    for row in rows:
        db.session.delete(row)
    return len(rows)


@on_export_case
def export_letter_text(case: Case) -> dict[str, Any]:
    """The text read from the letter's scan."""
    row = text_of(case.id)
    if row is None:
        return {}
    return {"letter_text": {"status": row.status, "text": row.text, "pages_read": row.pages_read,
                            "pages_total": row.pages_total}}
