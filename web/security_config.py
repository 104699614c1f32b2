"""The settings of sessions, rate limits and the reverse proxy, read and checked at start-up.

A bad value stops the start with one line naming the variable (ConfigError), rather than a 500 on the
first request that needs it.
"""
from __future__ import annotations

import ipaddress
import os
from typing import Any

from intake.rate_limit import parse_rate

from .secret_key import ConfigError

# name (after MELDPUNT_) -> default, "count/seconds"
RATES = {
    "REPORT_RATE": "5/600",  # meldingen through the public form, per client
    "PUBLIC_POST_RATE": "30/600",  # answers through feedback and contractor-portal links, per client
    "OPEN311_RATE": "120/60",  # Open311 service requests created, per client
    "LOGIN_ACCOUNT_RATE": "5/900",  # wrong passwords per account before it locks for the same time
    "LOGIN_CLIENT_RATE": "20/900",  # failed logins per client before it may not try any account
}


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MELDPUNT_{name}", default)


def checked_rate(name: str, value: str) -> str:
    """The rate as given, when it reads like 5/600; else a ConfigError naming the variable."""
    try:
        parse_rate(value)
    except ValueError:
        raise ConfigError(f"MELDPUNT_{name} must be 'count/seconds' with whole numbers of at least 1 (like "
                          f"{RATES[name]}), not {value!r}") from None
    return value.strip()


def trusted_proxies(value: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """MELDPUNT_TRUSTED_PROXIES: comma-separated IP addresses or networks (CIDR) of the reverse proxies."""
    networks = []
    for part in (value or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"MELDPUNT_TRUSTED_PROXIES: {part.strip()!r} is not an IP address or network "
                                  "(like 10.0.0.5 or 10.0.0.0/24)") from None
    return tuple(networks)


ENVIRONMENTS = ("", "development", "production")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url(value: str | None) -> str | None:
    """MELDPUNT_REDIS_URL, when it is a URL redis-py can open (checked now, not at the first login)."""
    if not value or not value.strip():
        return None
    if not value.strip().lower().startswith(REDIS_SCHEMES):
        raise ConfigError(f"MELDPUNT_REDIS_URL must start with redis://, rediss:// or unix:// (like "
                          f"redis://127.0.0.1:6379/0), not {value.strip()!r}")
    return value.strip()


def security_settings() -> dict[str, Any]:
    """The MELDPUNT_* settings of this area, checked."""
    settings: dict[str, Any] = {f"MELDPUNT_{name}": checked_rate(name, _env(name, default) or "")
                                for name, default in RATES.items()}
    settings["MELDPUNT_ENV"] = (_env("ENV", "") or "").strip().lower()
    if settings["MELDPUNT_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"MELDPUNT_ENV must be production, development or unset, not {_env('ENV')!r}")
    settings["MELDPUNT_REDIS_URL"] = redis_url(_env("REDIS_URL"))
    settings["MELDPUNT_REDIS_PREFIX"] = _env("REDIS_PREFIX", "meldpunt:rate:")
    settings["MELDPUNT_TRUSTED_PROXIES"] = trusted_proxies(_env("TRUSTED_PROXIES"))
    return settings
