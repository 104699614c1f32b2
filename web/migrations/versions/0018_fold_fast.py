"""staff search: meldpunt_fold() folds plain ASCII text with lower() alone and accented text with replace() per letter;
trigram indexes of the open cases alone.

The search indexes' expressions (0017g) and the row-by-row test of a queue's first items (handlers/queues.py) call
meldpunt_fold() on every row they recheck. Its translate() over 54 accented letters cost about 90 microseconds per
case text (80% of a search's time at 1,000,000 cases, measured with EXPLAIN ANALYZE); lower() alone costs 5. The
new body gives the same result for every text (translate() changes no ASCII letter, and replace() per accented
letter is what translate() does), so the indexes built with the old one stay valid and are not rebuilt. It is no
longer STRICT (a NULL still gives NULL): PostgreSQL inlines a SQL function's CASE only into non-strict functions,
and an inlined body is what the index expressions are matched against.

A queue shows open work only, so when a search's words are rare in the queue's first items (handlers/queues.py)
the matching cases are listed from partial GIN indexes that hold the open cases alone (about 15% of them): a word
common in three years of closed cases ("straatlamp": 110,000 of 1,000,000) no longer has every one of its cases
rechecked to find the few open ones.

SQLite folds in Python (handlers/case_search.sqlite_fold): nothing changes there.

Revision ID: 0018b
Revises: 0017g
"""
import sqlalchemy as sa
from alembic import op

revision = "0018b"
down_revision = "0017g"
branch_labels = None
depends_on = None

ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüýÿçñÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ"
PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnaaaaaaeeeeiiiiooooouuuuyycn"


def _replaced() -> str:
    expression = "lower(value)"
    for accented, plain in zip(ACCENTED, PLAIN, strict=True):
        expression = f"replace({expression}, '{accented}', '{plain}')"
    return expression


FAST = f"""CREATE OR REPLACE FUNCTION meldpunt_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS $$ SELECT CASE WHEN octet_length(value) = char_length(value) THEN lower(value) ELSE {_replaced()} END $$"""

OLD = f"""CREATE OR REPLACE FUNCTION meldpunt_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT translate(lower(value), '{ACCENTED}', '{PLAIN}') $$"""


OPEN_INDEXES = {
    "ix_cases_search_all_open": "meldpunt_fold(coalesce(reference, '') || ' ' || coalesce(address, '') || ' ' || "
                                "coalesce(description, ''))",
    "ix_cases_search_public_open": "meldpunt_fold(coalesce(reference, '') || ' ' || coalesce(address, ''))",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FAST)
    schema = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    for name, expression in OPEN_INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON cases USING gin (({expression}) "{schema}".gin_trgm_ops) '
                   f"WHERE NOT completed")
    # a reporter's open cases (a name found among the reporters: their open cases, not all three years of them)
    op.execute("CREATE INDEX ix_cases_reporter_id_open ON cases (reporter_id) WHERE NOT completed")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in (*OPEN_INDEXES, "ix_cases_reporter_id_open"):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(OLD)
