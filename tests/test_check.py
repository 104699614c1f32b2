"""`meldpunt check`: a line per check, each problem on a line of its own, exit code 2 when anything is wrong."""
from __future__ import annotations

import threading

from click.testing import CliRunner
from flask.cli import ScriptInfo

from engine.db import db
from web.cli import _app_factory, main

from .smtp_server import free_port
from .test_ops import other_app


def check(app):
    return app.test_cli_runner().invoke(main, ["check"], obj=ScriptInfo(create_app=lambda: app))


def check_as_started(create_app):
    """`meldpunt check` as from the shell: the command builds its app itself (in a thread of its own, outside
    the test's app context)."""
    results = []
    runner = CliRunner()
    worker = threading.Thread(target=lambda: results.append(
        runner.invoke(main, ["check"], obj=ScriptInfo(create_app=create_app))))
    worker.start()
    worker.join(120)
    return results[0]


def test_all_good_with_a_real_mail_server(app, smtp_server):
    app.config.update(smtp_server.config())
    result = check(app)
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.splitlines() == [
        "ok: database", "ok: database schema", "ok: storage", f"ok: SMTP server 127.0.0.1:{smtp_server.port}",
        "everything checked is fine"]
    assert result.stderr == ""


def test_an_unreachable_smtp_port_is_one_line_and_exit_code_2(app):
    port = free_port()  # nobody listens there
    app.config.update({"MELDPUNT_SMTP_HOST": "127.0.0.1", "MELDPUNT_SMTP_PORT": port, "MELDPUNT_SMTP_TIMEOUT": 5})
    result = check(app)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"Error: cannot connect to SMTP server 127.0.0.1:{port}: "
                                          f"ConnectionRefusedError: [Errno 111] Connection refused"]
    assert "ok: database" in result.stdout and "ok: storage" in result.stdout


def test_a_wrong_database_url_is_one_line_and_exit_code_2(app, tmp_path):
    url = ("postgresql://postgres@127.0.0.1:1/geen" if db.engine.dialect.name == "postgresql"
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'meldpunt.sqlite'}")
    result = check_as_started(lambda: other_app(url, tmp_path))
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: database not reachable: "), errors
    assert result.stdout.splitlines() == ["ok: storage"]


def test_a_setting_that_makes_no_sense_is_named_in_one_line(app):
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "MELDPUNT_SMTP_PORT": "zeventig"}
    result = check_as_started(lambda: _app_factory(config))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["Error: MELDPUNT_SMTP_PORT='zeventig' is not a whole number from 1 to 65535"]
