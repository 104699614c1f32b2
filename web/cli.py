"""The `meldpunt` command: database, seed data, serving, the worker, users, BPMN deploys, timers."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from engine.db import db
from engine.errors import EngineError
from engine.settings import ConfigError
from handlers.models import ROLES
from intake.mail_cli import mail_group
from intake.open311_cli import open311_group
from notifications.stopping import request_stop
from reports.cli import report_group

from .app import create_app, freeze_long_lived
from .case_versions_cli import bpmn_move
from .files_cli import files_group


def _app_factory(test_config: dict | None = None):
    """The app, or one line naming the setting that keeps it from starting (exit code 2), not a traceback."""
    try:
        return create_app(test_config)
    except ConfigError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Meldpunt: case management for meldingen, incoming post and the info mailbox."""


main.add_command(report_group)
main.add_command(mail_group)
main.add_command(open311_group)
main.add_command(files_group)


def _configure_logging(app) -> None:
    """MELDPUNT_LOG_LEVEL and MELDPUNT_LOG_FORMAT (web/logs.py), as soon as the app has read them."""
    from engine.settings import Settings

    from .logs import configure_logging

    configure_logging(Settings(app.config))


def _fail(err: EngineError) -> None:
    click.echo(f"Error: {err.message}", err=True)
    sys.exit(2)


@main.command("seed")
@click.option("--demo", is_flag=True, help="Also create demo staff (printing their API tokens) and demo cases.")
@click.option("--force", is_flag=True, help="With --demo: also on a database that holds real users or cases.")
@with_appcontext
def seed_command(demo: bool, force: bool) -> None:
    """Deploy the built-in BPMN models and create groups and categories (idempotent)."""
    from handlers.seed import (
        DEMO_PASSWORD,
        not_the_demos,
        seed_demo_routing_rules,
        seed_demo_users,
        seed_reference_data,
    )

    found = not_the_demos() if demo and not force else []
    if found:
        click.echo(f"Error: this database holds data that is not the demo's ({'; '.join(found)}): seed --demo would "
                   f"add staff with the known password '{DEMO_PASSWORD}'. Use a database of its own, or add --force.",
                   err=True)
        sys.exit(2)
    seed_reference_data()
    from handlers.process_admin import deploy_shipped

    for outcome in deploy_shipped("systeem"):  # never replaces the version the city chose
        click.echo(outcome.describe())
    db.session.commit()
    if demo:
        from intake.demo import create_demo_cases
        from intake.demo_inbox import create_demo_letters, create_demo_mails

        tokens = seed_demo_users()
        seed_demo_routing_rules()
        db.session.commit()
        click.echo(f"demo cases: {create_demo_cases()}")
        click.echo(f"demo info mails taken in: {create_demo_mails()}")
        click.echo(f"demo letters registered: {create_demo_letters()}")
        click.echo(f"demo staff log in at /werk/aanmelden with password '{DEMO_PASSWORD}'")
        click.echo("demo API tokens (shown once):")
        for username, token in tokens.items():
            click.echo(f"  {username:14} {token}")
        from intake.open311_keys import replace_key

        _app, open311_key = replace_key("Demo-app", "seed --demo")
        db.session.commit()
        click.echo(f"demo Open311 key of the app 'Demo-app' (shown once; send it as api_key in the POST body): "
                   f"{open311_key}")


@main.command("check")
@with_appcontext
def check_command() -> None:
    """Check the configuration, the database and its schema version, the storage folder and the SMTP and IMAP
    servers (when configured): a line per check, exit code 2 when anything is wrong."""
    from .readiness import check_everything

    problems = 0
    for what, problem in check_everything():
        if problem is None:
            click.echo(f"ok: {what}")
        else:
            problems += 1
            click.echo(f"Error: {problem}", err=True)
    if problems:
        sys.exit(2)
    click.echo("everything checked is fine")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Run the timer tick in this process (the embedded mode; use `meldpunt worker` otherwise).")
def serve_command(host: str, port: int, scheduler: bool) -> None:
    """Serve the web app with waitress (and the scheduler in-process); SIGTERM/SIGINT stop it cleanly."""
    from waitress.server import create_server

    from .graceful_stop import install_stop_handlers
    from .scheduler import stop_scheduler

    app = _app_factory({"MELDPUNT_SCHEDULER": scheduler, "MELDPUNT_OUTBOX_PROCESS": scheduler})
    _configure_logging(app)
    freeze_long_lived()
    server = create_server(app, host=host, port=port, threads=8)
    install_stop_handlers(interrupt_main=True)  # waitress ends its loop on KeyboardInterrupt
    click.echo(f"Meldpunt on http://{host}:{port} (database: {app.config['SQLALCHEMY_DATABASE_URI']})")
    try:
        server.run()
    finally:
        request_stop()
        running = app.extensions.get("meldpunt_scheduler")
        if running is not None:  # first: its job restarts the sender child (web/outbox_process.py)
            stop_scheduler(running)
        sender = app.extensions.get("meldpunt_outbox_process")
        if sender is not None:
            sender.stop()  # it finishes and records its mail in flight


@main.command("worker")
def worker_command() -> None:
    """Run the background jobs (timer tick) in the foreground."""
    from .scheduler import run_worker

    app = _app_factory()
    _configure_logging(app)
    freeze_long_lived()
    run_worker(app)


@main.group("user")
def user_group() -> None:
    """Staff users."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--group", "groups", multiple=True, help="Key of a handler group (repeatable).")
@click.option("--name", default=None, help="Display name (default: the username).")
@click.option("--email", default=None)
@click.option("--token", is_flag=True, help="Issue an API token and print it (shown once).")
@click.option("--password", is_flag=True, help="Ask for a password for the web login.")
@with_appcontext
def user_add(username: str, role: str, groups: tuple[str, ...], name: str | None, email: str | None,
             token: bool, password: bool) -> None:
    """Add a staff user (or update role and groups of an existing one)."""
    from marshmallow import ValidationError

    from handlers.groups import group_by_key
    from handlers.models import User
    from handlers.people_schemas import staff_email

    try:
        email = staff_email(email) if email else None
    except ValidationError:
        raise click.BadParameter(f"'{email}' is not an e-mail address", param_hint="--email") from None
    user = db.session.scalar(select(User).where(User.username == username))
    existing = user is not None
    if user is None:
        user = User(username=username, display_name=name or username, role=role, email=email)
        db.session.add(user)
    user.role = role
    for key in groups:
        group = group_by_key(key)
        if group is None:
            raise click.BadParameter(f"no active group '{key}'", param_hint="--group")
        if group not in user.groups:
            user.groups.append(group)
    if password:
        from .auth import set_password

        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(secret) < 10:
            raise click.BadParameter("use at least 10 characters", param_hint="--password")
        set_password(user, secret)
        if existing:  # a new password ends every web session of the user
            from handlers.staff_sessions import end_all_sessions

            end_all_sessions(user, "password", actor="cli")
    issued = user.issue_api_token() if token else None
    db.session.commit()
    click.echo(f"user {username}: role {role}, groups {', '.join(sorted(g.key for g in user.groups)) or '-'}")
    if issued:
        click.echo(issued)


@main.group("bpmn")
def bpmn_group() -> None:
    """Process definitions."""


@bpmn_group.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def bpmn_deploy(files: tuple[Path, ...]) -> None:
    """Deploy BPMN files as the city's version in use (default: the shipped models, which never replace a
    version the city deployed or chose)."""
    from handlers import process_admin

    try:
        if not files:
            outcomes = process_admin.deploy_shipped("cli")
            db.session.commit()
            for outcome in outcomes:
                click.echo(outcome.describe())
            return
        results = []
        for path in files:
            definition, created = process_admin.deploy_model(path.read_bytes(), path.name, None, "cli")
            db.session.commit()
            results.append((definition, created))
    except EngineError as err:
        db.session.rollback()
        _fail(err)
    for definition, created in results:
        click.echo(f"{'deployed' if created else 'unchanged'}: {definition.key} v{definition.version} in use "
                   f"({definition.filename}, sha256 {definition.sha256[:12]})")


@bpmn_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def bpmn_check(file: Path) -> None:
    """Check a BPMN file as a deploy would, without deploying it: every problem with element and line."""
    from handlers import process_admin

    problems = process_admin.check(file.read_bytes(), file.name)
    if not problems:
        click.echo(f"ok: {file.name} has no problems")
        return
    for p in problems:
        where = ", ".join(x for x in (f"element {p['element_id']}" if p.get("element_id") else "",
                                      f"'{p['element_name']}'" if p.get("element_name") else "",
                                      f"line {p['line']}" if p.get("line") else "") if x)
        click.echo(f"{file.name}: {where + ': ' if where else ''}{p['message']}")
    click.echo(f"Error: {file.name}: {len(problems)} problem(s); not deployable", err=True)
    sys.exit(2)


@bpmn_group.command("list")
@with_appcontext
def bpmn_list() -> None:
    """List deployed versions: which one is in use, where it came from, the cases on each."""
    from handlers import process_admin

    for process in process_admin.overview():
        for v in reversed(process.versions):
            click.echo(f"{v.key:12} v{v.version:<3} {'ACTIVE' if v.active else '      '} {v.origin:8} "
                       f"{v.deployed_at:%Y-%m-%d %H:%M} {v.deployed_by or '-':12} {v.sha256[:12]} {v.cases} case(s)")


@bpmn_group.command("activate")
@click.argument("key")
@click.argument("version", type=click.IntRange(min=1, max=2**31 - 1))
@with_appcontext
def bpmn_activate(key: str, version: int) -> None:
    """Make a stored version the one new cases start on (running cases stay on their own version)."""
    from handlers import process_admin

    try:
        process_admin.activate_version(key, version, "cli")
    except EngineError as err:
        db.session.rollback()
        _fail(err)
    db.session.commit()
    click.echo(f"activated: {key} v{version}; new cases start on it")


@bpmn_group.command("export")
@click.argument("key")
@click.argument("version", type=click.IntRange(min=1, max=2**31 - 1))
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file (default: standard output).")
@with_appcontext
def bpmn_export(key: str, version: int, out: Path | None) -> None:
    """Write the XML of one stored version, byte for byte as it was deployed."""
    from handlers import process_admin

    definition = process_admin.version(key, version)
    if definition is None:
        click.echo(f"Error: process '{key}' has no version {version}", err=True)
        sys.exit(2)
    data = definition.xml.encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as err:
        click.echo(f"Error: cannot write {out}: {err.strerror}", err=True)
        sys.exit(2)
    click.echo(f"exported: {key} v{version} -> {out}")


bpmn_group.add_command(bpmn_move)  # web/case_versions_cli.py


@main.group("timers")
def timers_group() -> None:
    """Timers."""


@timers_group.command("tick")
def timers_tick() -> None:
    """Fire every due timer now (what the scheduler does every tick)."""
    from .scheduler import timer_tick

    # current_app is a LocalProxy, which the stubs type as Flask itself
    click.echo(f"{timer_tick(current_app._get_current_object())} case(s) moved on")  # type: ignore[attr-defined]


@main.group("outbox")
def outbox_group() -> None:
    """The outbox of mails."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), default=None)
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def outbox_list(status: str | None, limit: int) -> None:
    """Show the newest outbox rows."""
    from notifications.models import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    for m in db.session.scalars(query):
        click.echo(f"{m.id:6} {m.status:8} {m.created_at:%Y-%m-%d %H:%M} {m.template:22} {m.recipient:35} "
                   f"{json.dumps(m.data.get('reference'))}")


@outbox_group.command("send")
@click.option("--limit", default=None, type=click.IntRange(min=1),
              help="At most this many mails (default: every due mail).")
@with_appcontext
def outbox_send_command(limit: int | None) -> None:
    """Send the due mails now over SMTP (what the worker does on its interval)."""
    from notifications.sender import send_due

    report = send_due(limit=limit)
    click.echo(str(report))
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.skipped:
        sys.exit(1)


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed mail.")
@with_appcontext
def outbox_retry_command(ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed mails again (same Message-ID); the next send delivers them. Noted on each case's timeline."""
    import getpass

    from notifications.resend import resend_failed

    if bool(ids) == all_failed:
        raise click.UsageError("give the ids of failed mails, or --all-failed (not both)")
    result = resend_failed(list(ids), all_failed=all_failed, actor=f"cli:{getpass.getuser()}")
    click.echo(f"{len(result.queued)} mail(s) queued again" + (f": {', '.join(map(str, result.queued))}"
                                                               if result.queued else ""))
    if result.refused:
        click.echo(f"not a failed mail: {', '.join(map(str, result.refused))}", err=True)
        sys.exit(2)


@main.group("privacy")
def privacy_group() -> None:
    """Reporter personal data: anonymisation after closing, export for a data request."""


@privacy_group.command("anonymise")
@click.option("--months", type=int, default=None, help="Override MELDPUNT_ANONYMISE_MONTHS for this run.")
@with_appcontext
def privacy_anonymise_command(months: int | None) -> None:
    """Anonymise reporters whose cases were all closed longer ago than the period (what the daily job does)."""
    from handlers.privacy import anonymise_due

    click.echo(json.dumps(anonymise_due(months=months).as_dict(), indent=2))


@privacy_group.command("export")
@click.argument("email")
@with_appcontext
def privacy_export_command(email: str) -> None:
    """Print everything held about one reporter (e-mail address or reporter id) as JSON, for a data request."""
    from engine.errors import NotFound
    from handlers.privacy_export import export_reporter

    try:
        data = export_reporter(email)
    except NotFound as err:
        _fail(err)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
