"""`meldpunt open311 key create NAME | list | revoke NAME`: the keys of the Open311 client apps."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("open311")
def open311_group() -> None:
    """Open311 GeoReport v2: the client apps that may create requests."""


@open311_group.group("key")
def key_group() -> None:
    """Keys of Open311 client apps (one per app, shown once, stored as a hash)."""


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@key_group.command("create")
@click.argument("name")
@with_appcontext
def create_command(name: str) -> None:
    """Give the app NAME a key and print it (shown this once)."""
    from engine.db import db
    from engine.errors import InvalidInput

    from .open311_keys import create_key

    try:
        row, secret = create_key(name, "cli")
    except InvalidInput as err:
        db.session.rollback()
        _fail(err.message)
    db.session.commit()
    click.echo(f"Open311 key for '{row.name}' (shown once; the app sends it as api_key in the POST body):")
    click.echo(secret)


@key_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every app's key: name, created, last used, active or revoked (never the key itself)."""
    from .open311_keys import list_keys

    rows = list_keys()
    if not rows:
        click.echo("no Open311 keys")
    for row in rows:
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        state = "active" if row.active else f"revoked {row.revoked_at:%Y-%m-%d %H:%M} by {row.revoked_by}"
        click.echo(f"{row.name:30} created {row.created_at:%Y-%m-%d %H:%M} by {row.created_by}, "
                   f"last used {used}, {state}")


@key_group.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name: str) -> None:
    """Revoke the active key of the app NAME."""
    from engine.db import db
    from engine.errors import NotFound

    from .open311_keys import revoke_key

    try:
        revoke_key(name, "cli")
    except NotFound as err:
        db.session.rollback()
        _fail(err.message)
    db.session.commit()
    click.echo(f"revoked the Open311 key of '{name}'")
