"""Where the engine benchmark writes: a throw-away SQLite file and a dedicated PostgreSQL schema.

The PostgreSQL run never touches the `public` schema (the test suite's): it drops and recreates the
schema `meldpunt_bench` and connects with `search_path` set to it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from sqlalchemy import create_engine, text

from web.config import normalise_db_url

BENCH_SCHEMA = "meldpunt_bench"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sqlite_url(directory: Path) -> str:
    """A fresh SQLite database file in `directory`."""
    return f"sqlite:///{directory / 'bench.sqlite'}"


def postgres_base_url(explicit: Optional[str] = None) -> tuple[str, bool]:
    """The server to use and whether it was configured (explicitly or by environment) or is the default."""
    for url in (explicit, os.environ.get("MELDPUNT_BENCH_POSTGRES_URL"),
                os.environ.get("MELDPUNT_TEST_POSTGRES_URL")):
        if url:
            return normalise_db_url(url), True
    return DEFAULT_POSTGRES_URL, False


def with_search_path(url: str, schema: str = BENCH_SCHEMA) -> str:
    """The URL with `options=-csearch_path=<schema>` added, so every table lands in that schema."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}', safe='')}"


def reset_postgres_schema(url: str, schema: str = BENCH_SCHEMA) -> tuple[Optional[str], Optional[str]]:
    """Drop and recreate `schema`; returns (bench URL, None), or (None, why it is unreachable)."""
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as err:  # any driver or server error means: no PostgreSQL for this run
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"{type(err).__name__}: {first}"
    finally:
        engine.dispose()
    return with_search_path(url, schema), None


def drop_postgres_schema(url: str, schema: str = BENCH_SCHEMA) -> None:
    """Remove the benchmark schema again (best effort)."""
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    except Exception as err:  # leaving it behind is harmless: the next run drops it first
        print(f"note: could not drop the benchmark schema {schema}: {err}")
    finally:
        engine.dispose()


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def fresh_schema_or_skip(base_url: str, schema: str, label: str, configured: bool) -> Optional[str]:
    """A freshly created schema's URL, or None after printing why `label` is skipped (no PostgreSQL)."""
    url, why = reset_postgres_schema(base_url, schema)
    if url is None:
        note = " (the URL was configured explicitly!)" if configured else ""
        print(f"{label}: SKIPPED, PostgreSQL not reachable at {redact(base_url)}: {why}{note}", flush=True)
    return url


def loaded_cases(url: str) -> int:
    """How many cases the database or schema behind `url` holds (0 when it has no case table, or is unreachable)."""
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def reused_or_fresh_schema(base_url: str, schema: str, label: str, configured: bool, reuse: bool,
                           option: str) -> tuple[Optional[str], bool]:
    """(URL, reused): with `reuse`, `schema` as an earlier run left it when it holds cases (said with the
    `option` that keeps them); else a freshly created schema, or None when `label` is skipped (no PostgreSQL)."""
    url = with_search_path(base_url, schema)
    present = loaded_cases(url) if reuse else 0
    if present:
        print(f"  reusing the {present:,} cases already loaded in {schema} ({option})", flush=True)
        return url, True
    return fresh_schema_or_skip(base_url, schema, label, configured), False
