"""`meldpunt seed --demo` adds staff with a known password: it refuses a database that holds real users or
cases (unless --force), and stays repeatable on its own demo database, as `make run` needs."""
from __future__ import annotations

from flask.cli import ScriptInfo
from sqlalchemy import func, select

from engine.db import db
from engine.models import Case
from handlers.models import User
from web.cli import main

from .helpers import with_password


def seed_demo(app, *extra: str):
    result = app.test_cli_runner().invoke(main, ["seed", "--demo", *extra], obj=ScriptInfo(create_app=lambda: app))
    db.session.rollback()
    return result


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Case)))


def test_on_a_fresh_database_the_demo_is_made_and_a_second_run_changes_nothing(app):
    first = seed_demo(app)
    assert first.exit_code == 0, first.output
    assert "demo cases: 7" in first.output
    users, cases = counts()
    assert users == 6 and cases == 11
    second = seed_demo(app)  # `make run` again on its own demo database
    assert second.exit_code == 0, second.output
    assert "demo cases: 0" in second.output and counts() == (users, cases)


def test_a_demo_database_someone_played_with_is_still_a_demo_database(app, client):
    assert seed_demo(app).exit_code == 0
    desk = db.session.scalar(select(User).where(User.username == "an.meldkamer"))
    token = desk.issue_api_token()
    db.session.commit()
    response = client.post("/api/v1/meldingen", headers={"Authorization": f"Bearer {token}"}, json={
        "description": "Zelf geprobeerd", "channel": "telefoon", "category": "straatlamp-defect",
        "location": {"address": "Bruul 1, 2800 Mechelen"}, "reporter": {"email": "ik@voorbeeld.example"}})
    assert response.status_code == 201, response.get_json()
    again = seed_demo(app)
    assert again.exit_code == 0, again.output


def test_a_database_with_real_staff_is_refused_and_left_alone(app, staff):
    with_password(staff.ood.user, "het-echte-wachtwoord")
    before = counts()
    result = seed_demo(app)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: this database holds data that is not the demo's")
    assert "an, bart, chris, dina, root" in lines[0] and "--force" in lines[0] and "meldpunt-demo" in lines[0]
    assert counts() == before
    assert db.session.scalar(select(User).where(User.username == "admin")) is None


def test_a_real_admin_called_admin_is_not_taken_for_the_demo_admin(app):
    db.session.add(User(username="admin", display_name="Stadsbeheerder", role="admin"))
    db.session.commit()
    with_password(db.session.scalar(select(User).where(User.username == "admin")), "niet-het-demo-wachtwoord")
    result = seed_demo(app)
    assert result.exit_code == 2 and "users: admin" in result.output


def test_a_database_with_citizens_meldingen_and_no_staff_yet_is_refused(app, client):
    from .test_public_form import VALID, post

    assert post(client, VALID).status_code == 303
    result = seed_demo(app)
    assert result.exit_code == 2 and "1 case(s)" in result.output
    assert counts() == (0, 1)


def test_force_seeds_the_demo_anyway(app, staff):
    result = seed_demo(app, "--force")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "admin")) is not None
