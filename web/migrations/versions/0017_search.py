"""staff search: trigram indexes on the folded text of cases, reporters and letters' scans (handlers/case_search.py).

PostgreSQL: the extension pg_trgm (a trusted extension: the database's owner may create it; in the schema
public), an immutable SQL
function meldpunt_fold(text) (lower case, accents off) and GIN trigram indexes on the folded expressions of
cases (reference, address, description; and reference, address alone) and reporters (name, e-mail, phone).
SQLite: FTS5 tables with the trigram tokenizer, contentless (the text is in cases and reporters already),
kept by triggers that fold with meldpunt_fold(), which Meldpunt registers on every SQLite connection (web/app.py,
handlers/case_search.sqlite_fold): a program without it cannot write cases or reporters (a nested replace() in
plain SQL overflows SQLite's parser with this many letters). The letters folded on PostgreSQL are frozen here;
handlers/case_search.py folds what is typed with the same ones.

Revision ID: 0017g
Revises: 0017f
"""
import sqlalchemy as sa
from alembic import op

revision = "0017g"
down_revision = "0017f"
branch_labels = None
depends_on = None

EXTENSION_LOCK = 7_301_701  # pg_advisory_xact_lock key: one upgrade at a time creates pg_trgm in a database

ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüýÿçñÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ"
PLAIN = "aaaaaaeeeeiiiiooooouuuuyycnaaaaaaeeeeiiiiooooouuuuyycn"

PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION meldpunt_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT translate(lower(value), '{ACCENTED}', '{PLAIN}') $$"""

PG_INDEXES = {
    "ix_cases_search_all": ("cases", "meldpunt_fold(coalesce(reference, '') || ' ' || coalesce(address, '') || ' ' "
                                     "|| coalesce(description, ''))"),
    "ix_cases_search_public": ("cases", "meldpunt_fold(coalesce(reference, '') || ' ' || coalesce(address, ''))"),
    "ix_letter_texts_search": ("letter_texts", "meldpunt_fold(coalesce(text, ''))"),
    "ix_reporters_search": ("reporters", "meldpunt_fold(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || "
                                         "coalesce(phone, '') || ' ' || translate(coalesce(phone, ''), ' ./-()', ''))"),
}


def _strip(expression: str) -> str:
    for char in " ./-()":
        expression = f"replace({expression}, '{char}', '')"
    return expression


def _sqlite_texts(row: str) -> dict[str, dict[str, str]]:
    """The unfolded text of each FTS column, per FTS table, from the row `row` (new, old or the table)."""
    phone = f"coalesce({row}.phone, '')"
    return {
        "cases_search": {
            "all_text": f"coalesce({row}.reference, '') || ' ' || coalesce({row}.address, '') || ' ' || "
                        f"coalesce({row}.description, '')",
            "public_text": f"coalesce({row}.reference, '') || ' ' || coalesce({row}.address, '')",
        },
        "letter_texts_search": {"text": f"coalesce({row}.text, '')"},
        "reporters_search": {
            "text": f"coalesce({row}.name, '') || ' ' || coalesce({row}.email, '') || ' ' || {phone} || ' ' || "
                    f"{_strip(phone)}",
        },
    }


SQLITE_SOURCES = {"cases_search": ("cases", "reference, address, description"),
                  "letter_texts_search": ("letter_texts", "text"),
                  "reporters_search": ("reporters", "name, email, phone")}


def _folded(table: str, row: str) -> str:
    """The folded values of the FTS columns of `table`, from the row `row` (new, old or the source table)."""
    return ", ".join(f"meldpunt_fold({expression})" for expression in _sqlite_texts(row)[table].values())


def _insert(table: str, row: str, delete: bool = False) -> str:
    columns = ", ".join(_sqlite_texts(row)[table])
    if delete:  # a contentless FTS5 table forgets a row when told the values it was given
        return f"INSERT INTO {table}({table}, rowid, {columns}) VALUES ('delete', {row}.id, {_folded(table, row)});"
    return f"INSERT INTO {table}(rowid, {columns}) VALUES ({row}.id, {_folded(table, row)});"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # In the schema public, whatever the search_path: an extension belongs to one schema of the database,
        # and one made in a schema that is later dropped (a test's, a benchmark's) would go with it.
        # Two upgrades of one database at once (a schema per city, or per test worker) must not both create it:
        # IF NOT EXISTS does not hold against that (the second fails on pg_extension's unique name). The second
        # waits here until the first one's transaction has committed, and then finds the extension there.
        op.execute(f"SELECT pg_advisory_xact_lock({EXTENSION_LOCK})")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        schema = op.get_bind().execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")).scalar_one()  # where it was, if it was there before
        op.execute(PG_FUNCTION)
        for name, (table, expression) in PG_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON {table} USING gin (({expression}) "{schema}".gin_trgm_ops)')
        return
    for table, (source, watched) in SQLITE_SOURCES.items():
        columns = ", ".join(_sqlite_texts("new")[table])
        op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, content='', tokenize='trigram')")
        op.execute(f"CREATE TRIGGER {table}_insert AFTER INSERT ON {source} BEGIN {_insert(table, 'new')} END")
        op.execute(f"CREATE TRIGGER {table}_delete AFTER DELETE ON {source} BEGIN "
                   f"{_insert(table, 'old', delete=True)} END")
        op.execute(f"CREATE TRIGGER {table}_update AFTER UPDATE OF {watched} ON {source} BEGIN "
                   f"{_insert(table, 'old', delete=True)} {_insert(table, 'new')} END")
        op.execute(f"INSERT INTO {table}(rowid, {columns}) SELECT {source}.id, {_folded(table, source)} FROM {source}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS meldpunt_fold(text)")
        return
    for table in SQLITE_SOURCES:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {table}")
