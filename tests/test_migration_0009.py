"""Migration 0009 on a database that already holds files: every file gets its own unguessable public token,
photos the public form made public by default become not public, and downgrading works (SQLite, PostgreSQL)."""
from __future__ import annotations

import os
import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from engine import deploy
from engine.db import db
from engine.models import Case
from handlers.files import store_file
from handlers.seed import seed_reference_data
from intake.meldingen import register_melding
from web.app import create_app

from .conftest import BACKENDS, POSTGRES_URL, _postgres_schema, _schema_url
from .images import png
from .test_post_support import register


@pytest.fixture(params=BACKENDS)
def fresh_app(request, tmp_path):
    """An app on a database of its own (migrated here, not by the session fixture)."""
    schema = f"meldpunt_mig_{os.getpid()}"
    if request.param == "postgresql":
        _postgres_schema(POSTGRES_URL, schema, create=True)
        url = _schema_url(POSTGRES_URL, schema)
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "MELDPUNT_STORAGE_PATH": str(tmp_path / "files")})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
            deploy.forget_cached_specs()
            if request.param == "postgresql":
                _postgres_schema(POSTGRES_URL, schema, create=False)


def test_existing_files_get_tokens_and_form_photos_stop_being_public(fresh_app):
    upgrade()
    deploy.forget_cached_specs()
    seed_reference_data()
    deploy.deploy_builtin()
    db.session.commit()
    case = register_melding(description="Lamp kapot aan de Bruul", channel="web", category="straatlamp-defect",
                            location={"address": "Bruul 12"}, reporter={"email": "els@voorbeeld.example"})
    case = db.session.get(Case, case.id)
    for name, source in (("van-de-melder.png", "melder"), ("van-de-ploeg.png", "medewerker"),
                         ("ook-van-de-melder.png", "melder")):
        store_file(case, png(), name, source=source, uploaded_by="test")
    db.session.commit()
    register()  # a scan the letter's row refers to: the migration must not rebuild case_files
    db.session.remove()

    downgrade(revision="0008")  # the database as it was before: form photos public by default
    db.session.execute(text("UPDATE case_files SET public = (source IN ('melder', 'medewerker'))"))
    db.session.commit()
    upgrade()

    rows = db.session.execute(text("SELECT filename, public, public_token, stripped FROM case_files "
                                   "ORDER BY id")).all()
    assert [(r.filename, bool(r.public), bool(r.stripped)) for r in rows] == [
        ("van-de-melder.png", False, False), ("van-de-ploeg.png", True, False), ("ook-van-de-melder.png", False, False),
        ("brief.pdf", False, False)]
    tokens = [r.public_token for r in rows]
    assert len(set(tokens)) == 4 and all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", t) for t in tokens)
    assert db.session.execute(text("SELECT count(*) FROM post_letters WHERE scan_file_id IS NOT NULL")).scalar() == 1
    assert db.session.execute(text("SELECT public_description FROM cases")).scalar() is None
    db.session.remove()
    with pytest.raises(IntegrityError):  # the tokens are unique
        db.session.execute(text("UPDATE case_files SET public_token = 'dezelfde'"))
        db.session.commit()
    db.session.rollback()
    downgrade(revision="0008")
    upgrade()
