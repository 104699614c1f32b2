"""What `GET /readyz` and `meldpunt check` ask: can this process work right now?

Each check answers None (fine) or one line saying what is wrong, in the language of the `meldpunt` command
(English: these lines are for the people who run the servers). The checks touch the database, the schema
version (alembic's head) and the storage folder; `meldpunt check` adds the mail servers (web/check.py).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from engine.db import db
from handlers.storage import storage_status


def _reason(err: BaseException) -> str:
    """The first line of an error, without the SQL statement SQLAlchemy appends."""
    message = str(getattr(err, "orig", None) or err).strip().splitlines()
    return f"{type(getattr(err, 'orig', None) or err).__name__}: {message[0] if message else ''}".rstrip(": ")


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code."""
    from .app import MIGRATIONS

    config = AlembicConfig()
    config.set_main_option("script_location", MIGRATIONS)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_problem() -> Optional[str]:
    """None when the database answers; else why not."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as err:  # any driver's way of saying no
        return f"database not reachable: {_reason(err)}"
    return None


def schema_problem() -> Optional[str]:
    """None when the database's schema is at this code's migration head; else what to do."""
    try:
        with db.engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except Exception as err:
        return f"database schema unknown: {_reason(err)}"
    wanted = migration_heads()
    if current == wanted:
        return None
    found = ", ".join(sorted(current)) or "none (an empty database)"
    return f"database schema is at revision {found}, this code needs {', '.join(sorted(wanted))}: " \
           f"run `meldpunt db upgrade`"


def storage_problem() -> Optional[str]:
    """None when a file can be written to (and removed from) the configured storage, the folder or the bucket
    (handlers/storage.py: storage_status); else why not, in one line."""
    ok, reason = storage_status(write=True)
    return None if ok else f"storage not writable: {reason}"


def readiness_problems() -> list[str]:
    """Every problem that keeps this process from serving, one line each (the database first: without it
    the schema cannot be read)."""
    problems = [p for p in (database_problem(), storage_problem()) if p]
    if not any(p.startswith("database") for p in problems):
        schema = schema_problem()
        if schema:
            problems.insert(0, schema)
    return problems


def check_everything() -> list[tuple[str, Optional[str]]]:
    """`meldpunt check`: (what was checked, None or the problem) for the database, its schema, the storage
    folder and the mail servers that are configured."""
    from engine.settings import settings
    from intake.mailbox import check_mailbox
    from notifications.sender import check_server

    configured = settings()
    database = database_problem()
    found = [("database", database)]
    if database is None:  # without one its schema cannot be read: one line is enough
        found.append(("database schema", schema_problem()))
    found.append(("storage", storage_problem()))
    if configured.smtp_host:
        found.append((f"SMTP server {configured.smtp_host}:{configured.smtp_port}", check_server()))
    if configured.imap_host:
        found.append((f"mailbox {configured.imap_host}", check_mailbox()))
    return found
