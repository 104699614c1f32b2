"""Backup and restore as docs/production.md describes it, on PostgreSQL: cases with files in a database of their
own, `pg_dump` of it, the database dropped and made again empty, the dump restored with `psql`; then every
case loads as it was, its files are there with their checksums, and a case is worked on further."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask_migrate import upgrade
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, select, text

from engine import deploy
from engine.db import db
from engine.models import Case, CaseFile
from engine.runtime import CaseRun
from handlers.categories import forget_categories
from handlers.groups import forget_group_ids
from handlers.routing import forget_rules
from handlers.seed import seed_reference_data
from handlers.storage import storage
from web.app import create_app
from web.config import normalise_db_url
from web.storage_move import verify_files

from .helpers import Actor, Staff
from .services import POSTGRES_URL, require
from .test_post_support import register
from .test_public_form import JPEG, VALID, post

pytestmark = pytest.mark.postgres


def forget_caches() -> None:
    deploy.forget_cached_specs()
    forget_group_ids()
    forget_rules()
    forget_categories()


def server_url(database: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


def recreate(database: str, drop_only: bool = False) -> None:
    engine = create_engine(normalise_db_url(server_url("postgres")), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        if not drop_only:
            conn.execute(text(f"CREATE DATABASE {database}"))
    engine.dispose()


def app_on(database: str, files: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_db_url(server_url(database)), "TESTING": True,
                       "MELDPUNT_BASE_URL": "https://meldpunt.stad.example", "MELDPUNT_STORAGE_PATH": str(files)})


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command[0]}: {done.stderr}"


@pytest.fixture
def scratch_database():
    require("postgres")
    for tool in ("pg_dump", "psql"):
        if shutil.which(tool) is None:
            missing = f"{tool} is not installed (apt-get install postgresql-client)"
            if os.environ.get("MELDPUNT_CI"):  # in CI nothing is skipped (tests/services.py)
                pytest.fail(missing)
            pytest.skip(missing)
    name = f"meldpunt_restore_{os.getpid()}"
    recreate(name)
    forget_caches()
    try:
        yield name
    finally:
        forget_caches()
        recreate(name, drop_only=True)


def state_of_every_case() -> dict[str, tuple]:
    """Per case: kind, status, group, and the open tasks as the process instance itself has them."""
    found = {}
    for case in db.session.scalars(select(Case).order_by(Case.id)):
        run_ = CaseRun.open(case.id)
        waiting = sorted(task.task_spec.name for task in run_.workflow.get_tasks(state=TaskState.READY))
        found[case.reference] = (case.kind, case.status, case.group.key if case.group else None, tuple(waiting))
        db.session.rollback()
    return found


def test_a_dump_restored_into_an_empty_database_gives_back_every_case_which_then_continues(scratch_database,
                                                                                           tmp_path):
    files = tmp_path / "files"
    app = app_on(scratch_database, files)
    with app.app_context():
        upgrade()
        seed_reference_data()
        deploy.deploy_builtin()
        db.session.commit()
        client = app.test_client()
        staff = Staff.create(client)
        assert post(client, VALID, photos=[(JPEG, "paal12.jpg")]).status_code == 303
        dispatched = db.session.scalar(select(Case.reference).order_by(Case.id))
        staff.meldkamer.complete(dispatched, "triage", {"decision": "dispatch"})
        waiting = staff.meldkamer.file_melding("Zwerfvuil aan de Dijle", category=None)["reference"]
        letter = register().reference
        before = state_of_every_case()
        checksums = dict(db.session.execute(select(CaseFile.storage_key, CaseFile.sha256)).all())
        db.session.remove()
        db.engine.dispose()
    assert len(before) == 3 and len(checksums) == 2  # the photo and the letter's scan

    dump = tmp_path / "meldpunt.sql"
    run("pg_dump", "--no-owner", "--no-privileges", "--file", str(dump), server_url(scratch_database))
    recreate(scratch_database)  # dropped, and made again empty
    forget_caches()
    run("psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--file", str(dump),
        server_url(scratch_database))

    restored = app_on(scratch_database, files)
    with restored.app_context():
        assert state_of_every_case() == before
        assert dict(db.session.execute(select(CaseFile.storage_key, CaseFile.sha256)).all()) == checksums
        report = verify_files(storage())
        assert report.ok and report.verified == 2

        client = restored.test_client()  # the same staff, with the API tokens they had before the restore
        staff = Staff(**{name: Actor(client, actor.user, actor.token) for name, actor in vars(staff).items()})
        photo = db.session.scalar(select(CaseFile).where(CaseFile.content_type == "image/jpeg"))
        assert staff.ood.get(f"/api/v1/cases/{dispatched}").status_code == 200
        staff.meldkamer.complete(waiting, "triage", {"decision": "dispatch", "group": "openbare-netheid"})
        assert staff.meldkamer.case(waiting)["status"] != before[waiting][1]
        staff.ood.complete(dispatched, "take_in_handling")
        assert staff.ood.case(dispatched)["status"] == "in_behandeling"
        assert letter in state_of_every_case()
        assert photo.sha256 == checksums[photo.storage_key]
        db.session.remove()
        db.engine.dispose()
