"""staff search on PostgreSQL: one folded text per case (cases.search_text) with everything a search looks in,
kept by triggers, and one partial trigram index of the open cases on it.

A search's words may each occur in a different place (the case's reference, address or description, the reporter's
name, e-mail address or phone number, a letter's scan), and every word must occur. Looked up per place and word
(0017g, 0018b) and intersected, a search of words that are each common ("Lotte Peeters": 19,000 reporters named
Peeters, each looked up for its open cases) read every hit of every word, 300-800 ms at 1,000,000 cases. With all
the text in one column, the trigram index answers all the words in one bitmap scan (`search_text LIKE '%lotte%'
AND search_text LIKE '%peeters%'`), and the queue's first items are tested on the case's row alone, without
looking up its reporter and letters.

search_text = meldpunt_fold(reference ' ' address ' ' description ' ' reporter), where reporter is its name, e-mail
address, phone number and the phone number without spaces, dots, slashes, dashes and brackets (as 0017g's
reporters index), followed by ' ' and the folded text of each of the case's letter texts in id order. Triggers
keep it: on cases when those columns change, on reporters when their name, e-mail address or phone changes (an
anonymised reporter leaves no trace in it), on letter_texts when a scan's text is written, changed or deleted.
Only open cases hold it (NULL once completed, written again when a case is reopened): the queues show open work
only, so the index holds the open cases alone, and the migration writes the open 15% of the rows, not all of them. It replaces 0018b's ix_cases_search_all_open. The reference-and-address
index for roles that may not see reporters' data (ix_cases_search_public_open) stays.

The queue index ix_work_items_queue gets the case id as an INCLUDE column: a searched queue's window of 2,000
items then reads its cases from the index alone, not each work item's row first.

SQLite keeps its FTS5 tables (0017g) and its queue index: nothing changes there.

Revision ID: 0019s
Revises: 0018a
"""
import sqlalchemy as sa
from alembic import op

revision = "0019s"
down_revision = "0018a"
branch_labels = None
depends_on = None

REPORTER_TEXT = ("coalesce(r.name, '') || ' ' || coalesce(r.email, '') || ' ' || coalesce(r.phone, '') || ' ' || "
                 "translate(coalesce(r.phone, ''), ' ./-()', '')")
# The whole text of one open case row `c` (NULL when completed); benchmarks/bulk_load.py writes the same text
# without this function. PL/pgSQL, not SQL: PostgreSQL plans a SQL function that it cannot inline on every call
# (0.22 ms per new case in the trigger), a PL/pgSQL one once per connection.
CASE_TEXT_FUNCTION = f"""CREATE OR REPLACE FUNCTION meldpunt_case_search_text(c cases) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    IF c.completed THEN
        RETURN NULL;
    END IF;
    RETURN meldpunt_fold(coalesce(c.reference, '') || ' ' || coalesce(c.address, '') || ' ' ||
                         coalesce(c.description, '') || ' ' ||
                         coalesce((SELECT {REPORTER_TEXT} FROM reporters r WHERE r.id = c.reporter_id), ''))
           || coalesce((SELECT string_agg(' ' || meldpunt_fold(coalesce(t.text, '')), '' ORDER BY t.id)
                        FROM letter_texts t WHERE t.case_id = c.id), '');
END $$"""

TRIGGERS = [
    """CREATE OR REPLACE FUNCTION meldpunt_cases_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := meldpunt_case_search_text(NEW);
    RETURN NEW;
END $$""",
    """CREATE TRIGGER cases_search_text BEFORE INSERT OR UPDATE OF reference, address, description, reporter_id,
completed ON cases FOR EACH ROW EXECUTE FUNCTION meldpunt_cases_search_text()""",
    """CREATE OR REPLACE FUNCTION meldpunt_reporters_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases c SET search_text = meldpunt_case_search_text(c) WHERE c.reporter_id = NEW.id AND NOT c.completed;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER reporters_search_text AFTER UPDATE OF name, email, phone ON reporters FOR EACH ROW
WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email OR OLD.phone IS DISTINCT FROM NEW.phone)
EXECUTE FUNCTION meldpunt_reporters_search_text()""",
    """CREATE OR REPLACE FUNCTION meldpunt_letter_texts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE cases c SET search_text = meldpunt_case_search_text(c) WHERE c.id = OLD.case_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE cases c SET search_text = meldpunt_case_search_text(c)
        WHERE c.id = NEW.case_id AND (TG_OP = 'INSERT' OR NEW.case_id IS DISTINCT FROM OLD.case_id
                                      OR NEW.text IS DISTINCT FROM OLD.text);
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER letter_texts_search_text AFTER INSERT OR DELETE OR UPDATE OF text, case_id ON letter_texts
FOR EACH ROW EXECUTE FUNCTION meldpunt_letter_texts_search_text()""",
]

OLD_OPEN_INDEX = ("ix_cases_search_all_open", "meldpunt_fold(coalesce(reference, '') || ' ' || coalesce(address, '') "
                                              "|| ' ' || coalesce(description, ''))")


def _trgm_schema() -> str:
    return op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE cases ADD COLUMN search_text text")
    op.execute(CASE_TEXT_FUNCTION)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("UPDATE cases c SET search_text = meldpunt_case_search_text(c) WHERE NOT completed")
    op.execute(f"DROP INDEX IF EXISTS {OLD_OPEN_INDEX[0]}")
    op.execute(f'CREATE INDEX ix_cases_search_open ON cases USING gin (search_text "{_trgm_schema()}".gin_trgm_ops) '
               f"WHERE NOT completed")
    # the queue index with the case id: a searched queue's window of 2,000 items tests their cases from the index
    # alone (an index-only scan), without reading each work item's row first (half of the window's buffers)
    op.execute("DROP INDEX ix_work_items_queue")
    op.execute("CREATE INDEX ix_work_items_queue ON work_items (group_id, status, id) INCLUDE (case_id)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_work_items_queue")
    op.execute("CREATE INDEX ix_work_items_queue ON work_items (group_id, status, id)")
    op.execute("DROP INDEX IF EXISTS ix_cases_search_open")
    op.execute(f'CREATE INDEX {OLD_OPEN_INDEX[0]} ON cases USING gin (({OLD_OPEN_INDEX[1]}) '
               f'"{_trgm_schema()}".gin_trgm_ops) WHERE NOT completed')
    op.execute("DROP TRIGGER IF EXISTS letter_texts_search_text ON letter_texts")
    op.execute("DROP TRIGGER IF EXISTS reporters_search_text ON reporters")
    op.execute("DROP TRIGGER IF EXISTS cases_search_text ON cases")
    for function in ("meldpunt_letter_texts_search_text()", "meldpunt_reporters_search_text()",
                     "meldpunt_cases_search_text()", "meldpunt_case_search_text(cases)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("ALTER TABLE cases DROP COLUMN IF EXISTS search_text")
