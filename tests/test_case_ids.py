"""Case ids (and with them the references citizens are given) are reserved up front and never handed out twice."""
from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, text

from engine import deploy
from engine.db import db
from engine.models import Case, CaseEvent, Reporter, WorkItem
from handlers.seed import seed_reference_data
from intake.meldingen import register_melding
from notifications.models import OutboxMessage
from web.app import create_app


def _melding(text_: str = "Straatlamp brandt niet", email: str | None = None) -> Case:
    reporter = {"email": email, "name": "Els"} if email else None
    return register_melding(description=text_, channel="web", category="straatlamp-defect", reporter=reporter)


def _erase(case_id: int) -> None:
    for model in (WorkItem, CaseEvent, OutboxMessage):
        db.session.execute(delete(model).where(model.case_id == case_id))
    db.session.execute(delete(Case).where(Case.id == case_id))
    db.session.commit()


def test_the_reference_of_a_removed_newest_case_is_not_given_to_the_next(app):
    first = _melding()
    gone_id, gone_reference = first.id, first.reference
    _erase(gone_id)
    db.session.remove()
    nxt = _melding("Nog een straatlamp")
    assert nxt.id > gone_id and nxt.reference != gone_reference


def test_a_returning_reporter_is_found_with_the_new_id_and_their_address_confirmed_again(app):
    first = _melding(email="Terug@Example.org")
    reporter_id = first.reporter_id
    db.session.get(Reporter, reporter_id).email_failed_at = datetime(2026, 5, 1, tzinfo=UTC)  # a bounce since
    db.session.commit()
    db.session.remove()
    again = register_melding(description="Weer een lamp", channel="web", category="straatlamp-defect",
                             reporter={"email": "terug@example.org", "name": "Els Terug", "phone": "015 12 34 56"})
    db.session.remove()
    stored = db.session.get(Reporter, reporter_id)
    assert db.session.get(Case, again.id).reporter_id == reporter_id
    assert (stored.email, stored.name, stored.phone, stored.email_failed_at) == \
        ("terug@example.org", "Els Terug", "015 12 34 56", None)
    assert db.session.scalar(select(Reporter.id).where(Reporter.email == "terug@example.org")
                             .order_by(Reporter.id.desc())) == reporter_id  # no second reporter made


def test_a_reporter_the_session_holds_already_is_reused_with_its_changes(app):
    reporter_id = _melding(email="sessie@example.org").reporter_id
    held = db.session.get(Reporter, reporter_id)
    held.name = "Nog niet bewaard"
    again = _melding("Tweede lamp", email="sessie@example.org")
    assert again.reporter is held and held.name == "Els"  # the new melding's name wins, on the same object
    db.session.remove()
    assert db.session.get(Reporter, reporter_id).name == "Els"


def test_sqlite_counter_starts_after_the_cases_an_older_database_holds(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "MELDPUNT_STORAGE_PATH": str(tmp_path)})
    with app.app_context():
        try:
            upgrade()
            deploy.forget_cached_specs()
            seed_reference_data()
            deploy.deploy_builtin()
            db.session.commit()
            older = _melding("Uit de tijd voor de teller").id
            db.session.remove()
            downgrade(revision="0005")  # a database from before the counter, holding a case
            upgrade()
            assert _melding("Eerste na de upgrade").id == older + 1
            db.session.remove()
            # Rows written past the counter (an import with explicit ids) are stepped over, not collided with.
            db.session.execute(text("UPDATE case_id_counter SET value = 1"))
            db.session.commit()
            assert _melding("Na een import").id == older + 2
        finally:
            db.session.remove()
            db.engine.dispose()
            deploy.forget_cached_specs()
