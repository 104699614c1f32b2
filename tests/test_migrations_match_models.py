"""The migrations build exactly the schema the models describe: Alembic's autogenerate comparison (types and
server defaults included) of the migrated database, SQLite and PostgreSQL (when MELDPUNT_TEST_POSTGRES_URL is
set; always in CI), with the models finds nothing. So no model change ships without its migration, and no
migration drifts from the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import db

# SQLite only, on purpose and documented in the migrations: the counter a new case takes its id from (0006, not
# a model), and case_files.public_token's unique index (SQLite's unique constraint) with its unused '' default
# (0009: SQLite cannot drop a default in place).
SQLITE_ONLY = {("remove_table", "case_id_counter"), ("remove_index", "uq_case_files_public_token"),
               ("add_constraint", "case_files.public_token"), ("modify_default", "case_files.public_token")}
# The staff search's indexes (0017_search.py, handlers/case_search.py), which no model can describe: SQLite's
# FTS5 tables (with FTS5's own shadow tables), PostgreSQL's trigram indexes on expressions.
SQLITE_ONLY |= {("remove_table", f"{table}{suffix}")
                for table in ("cases_search", "reporters_search", "letter_texts_search")
                for suffix in ("", "_config", "_data", "_docsize", "_idx")}
POSTGRESQL_ONLY = {("remove_index", name) for name in ("ix_cases_search_all", "ix_cases_search_public",
                                                       "ix_reporters_search", "ix_letter_texts_search",
                                                       # 0018b: the open cases alone, partial
                                                       "ix_cases_search_public_open", "ix_cases_reporter_id_open",
                                                       # 0019s: on cases.search_text, the open cases alone
                                                       "ix_cases_search_open")}
# 0019s: all of a case's text, folded, kept by triggers on PostgreSQL alone (no model reads or writes it)
POSTGRESQL_ONLY |= {("remove_column", "cases.search_text")}


def _what(difference) -> tuple[str, str]:
    """A short name for one autogenerate difference: (operation, table or index or table.column)."""
    if isinstance(difference, list):  # column changes come as a list of one tuple
        (operation, _schema, table, column, *_rest), = difference
        return operation, f"{table}.{column}"
    operation, item = difference[0], difference[1]
    if operation in ("add_column", "remove_column"):  # (operation, schema, table, column)
        return operation, f"{difference[2]}.{difference[3].name}"
    if operation.endswith("_constraint"):
        return operation, f"{item.table.name}.{','.join(column.name for column in item.columns)}"
    return operation, item.name


def test_autogenerate_finds_no_difference_between_models_and_migrations(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, db.metadata)
    found = [_what(difference) for difference in differences]
    if db.engine.dialect.name == "sqlite":
        assert set(found) >= SQLITE_ONLY, "a deliberate SQLite difference went away: take it out of SQLITE_ONLY"
        found = [what for what in found if what not in SQLITE_ONLY]
    else:
        assert set(found) >= POSTGRESQL_ONLY, "a search index went away: take it out of POSTGRESQL_ONLY"
        found = [what for what in found if what not in POSTGRESQL_ONLY]
    assert found == [], differences
