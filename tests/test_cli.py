"""The `meldpunt` command as an administrator uses it."""
from __future__ import annotations

from flask.cli import ScriptInfo
from sqlalchemy import select

from engine.db import db
from handlers.models import User, hash_token
from web.cli import main


def invoke(app, *args: str):
    """Run `meldpunt ARGS` against the test app."""
    return app.test_cli_runner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def run(app, *args: str):
    result = invoke(app, *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_user_add_prints_a_token_that_works_on_the_api(app, client):
    result = run(app, "user", "add", "jan", "--role", "behandelaar", "--group", "fietsteam", "--token")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    user = db.session.scalar(select(User).where(User.username == "jan"))
    assert user.api_token_hash == hash_token(token) and [g.key for g in user.groups] == ["fietsteam"]
    assert client.get("/api/v1/work-items", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_user_add_with_unknown_group_fails_clearly(app):
    result = invoke(app, "user", "add", "jan", "--role", "behandelaar", "--group", "nope")
    assert result.exit_code != 0 and "no active group 'nope'" in result.output


def test_bpmn_deploy_twice_is_unchanged_and_list_shows_it(app):
    first = run(app, "bpmn", "deploy")
    assert "unchanged: melding v1" in first.output
    listing = run(app, "bpmn", "list")
    assert any(line.startswith("melding ") and " v1 " in line for line in listing.output.splitlines())


def test_bpmn_deploy_of_a_broken_file_exits_with_the_reason(app, tmp_path):
    broken = tmp_path / "kapot.bpmn"
    broken.write_text("<definitions>")
    result = invoke(app, "bpmn", "deploy", str(broken))
    assert result.exit_code == 2 and "kapot.bpmn" in result.output and "Traceback" not in result.output


def test_seed_is_idempotent(app):
    assert run(app, "seed").exit_code == 0
    assert "unchanged: melding v1" in run(app, "seed").output
