"""The signing key: MELDPUNT_SECRET_KEY, or one made once and kept in the instance folder.

Several processes may start at once on a fresh instance folder (gunicorn's workers, `meldpunt worker`).
Each writes a complete key to a temporary file and links it to `secret_key`; a link never replaces an
existing file, so the first process wins and the others read the winner's key. A reader therefore never
sees a half-written file, and an empty or blank key is refused, never used.

With MELDPUNT_ENV=production the key must be configured: a key in a file beside the database is
no key at all to a city that runs several hosts or restores backups elsewhere.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Optional

from engine.settings import ConfigError

__all__ = ["ConfigError", "secret_key", "instance_secret", "production"]

MIN_LENGTH = 16
KEY_FILE = "secret_key"


def production(environment: Optional[str]) -> bool:
    """MELDPUNT_ENV=production: refuse the defaults that only suit a single embedded process."""
    return (environment or "").strip().lower() == "production"


def secret_key(configured: Optional[str], instance_path: str, environment: Optional[str]) -> str:
    """The key to sign sessions and links with, or a ConfigError saying what is wrong."""
    if configured is not None:
        key = configured.strip()
        if not key:
            raise ConfigError("MELDPUNT_SECRET_KEY is set but empty: give it a long random value, e.g. the output "
                              "of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        if len(key) < MIN_LENGTH:
            raise ConfigError(f"MELDPUNT_SECRET_KEY is too short ({len(key)} characters): use at least {MIN_LENGTH} "
                              "random characters")
        return key
    if production(environment):
        raise ConfigError("MELDPUNT_SECRET_KEY is not set: with MELDPUNT_ENV=production Meldpunt does not start "
                          "without a configured signing key")
    return instance_secret(Path(instance_path))


def instance_secret(folder: Path) -> str:
    """The key kept in `folder`/secret_key, created atomically by the first process that needs it."""
    path = folder / KEY_FILE
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if len(key) < MIN_LENGTH:
        raise ConfigError(f"{path} holds no usable key ({'empty' if not key else 'too short'}): delete the file to "
                          "have a new key made, or set MELDPUNT_SECRET_KEY")
    return key


def _create(path: Path) -> None:
    """Write a new key to a temporary file and link it into place; losing the race to another process is fine."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its key is the key
    finally:
        os.unlink(temporary)
