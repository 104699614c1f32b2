"""What a MELDPUNT_* setting may hold: one parser per kind of value, each failing with a ConfigError that
names the variable, the value and what is allowed (one line, shown instead of a traceback at start-up).

A value from the environment is always text; the parsers turn it into the typed value once, at start-up.
An unset variable, or one set to the empty string, means the default (except where a setting says not).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any, Generic, Optional, TypeVar, overload

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

T = TypeVar("T")
Parser = Callable[[str, str], T]  # (variable, text) -> value

TRUE = ("1", "true", "yes", "ja", "on")
FALSE = ("0", "false", "no", "nee", "off")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(RuntimeError):
    """A setting that cannot work; the message names the variable and says what to do (one line)."""


class Setting(Generic[T]):
    """One MELDPUNT_* variable: how it is parsed and its default; an attribute of engine.settings.Settings."""

    def __init__(self, parse: Parser[T], default: T, *, empty_is_unset: bool = True) -> None:
        self.parse, self.default, self.empty_is_unset = parse, default, empty_is_unset
        self.variable = ""

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute
        self.variable = f"MELDPUNT_{attribute.upper()}"

    def unset(self, value: Any) -> bool:
        """Whether `value` means "not configured": None, or the empty string."""
        return value is None or (self.empty_is_unset and isinstance(value, str) and value == "")

    def convert(self, value: Any) -> T:
        """The typed value: text (from the environment, or a test's config) is parsed; typed values stay."""
        if self.unset(value):
            return self.default
        if isinstance(value, str):
            return self.parse(self.variable, value)
        return value  # type: ignore[no-any-return]

    @overload
    def __get__(self, settings: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, settings: Any, owner: type) -> T: ...

    def __get__(self, settings: Any, owner: type) -> Setting[T] | T:
        if settings is None:
            return self
        config: Mapping[str, Any] = settings.config
        return self.convert(config.get(self.variable))


def text(variable: str, value: str) -> str:
    """Any text, as given."""
    return value


def whole_number(minimum: int = 1, maximum: Optional[int] = None) -> Parser[int]:
    """A whole number from `minimum` (up to `maximum`)."""
    allowed = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"

    def parse(variable: str, value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or number < minimum or (maximum is not None and number > maximum):
            raise ConfigError(f"{variable}={value!r} is not a whole number {allowed}")
        return number
    return parse


def flag(variable: str, value: str) -> bool:
    """Yes or no: 1/0, true/false, yes/no, ja/nee, on/off (any case)."""
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ConfigError(f"{variable}={value!r} is not yes or no: use one of {', '.join(TRUE + FALSE)}")


def choice(*options: str) -> Parser[str]:
    """One of `options` (any case); "" among them reads "unset" in the message."""
    names = [option or "unset" for option in options]
    allowed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]

    def parse(variable: str, value: str) -> str:
        word = value.strip().lower()
        if word not in options:
            raise ConfigError(f"{variable} must be {allowed}, not {value!r}")
        return word
    return parse


def duration(variable: str, value: str) -> str:
    """An ISO 8601 duration as the BPMN timers read it: P5D, PT12H, P1W."""
    text_value = value.strip()
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text_value)
    except Exception:
        parsed = None
    if not text_value.upper().startswith("P") or not parsed:
        raise ConfigError(f"{variable}={value!r} is not an ISO 8601 duration (like P5D, PT12H or P2W)")
    return text_value


def parse_rate(value: str) -> tuple[int, int]:
    """"5/600" → (5, 600); raises ValueError for anything else."""
    count, slash, seconds = str(value).strip().partition("/")
    try:
        limit, window = int(count), int(seconds)
    except ValueError:
        limit = window = 0
    if not slash or limit < 1 or window < 1:
        raise ValueError(f"a rate limit is 'count/seconds' with both whole numbers of at least 1 (like 5/600), "
                         f"not {value!r}")
    return limit, window


def rate(variable: str, value: str) -> str:
    """A rate limit, 'count/seconds' (kept as text; web/rate_limits.py reads it with parse_rate)."""
    try:
        parse_rate(value)
    except ValueError:
        raise ConfigError(f"{variable} must be 'count/seconds' with whole numbers of at least 1 (like 5/600), "
                          f"not {value!r}") from None
    return value.strip()


def networks(variable: str, value: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or networks (CIDR)."""
    found = []
    for part in value.split(","):
        if part.strip():
            try:
                found.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{variable}: {part.strip()!r} is not an IP address or network "
                                  "(like 10.0.0.5 or 10.0.0.0/24)") from None
    return tuple(found)


def redis_address(variable: str, value: str) -> Optional[str]:
    """A URL redis-py can open (checked now, not at the first login); blank means unset."""
    if not value.strip():
        return None
    if not value.strip().lower().startswith(REDIS_SCHEMES):
        raise ConfigError(f"{variable} must start with redis://, rediss:// or unix:// (like "
                          f"redis://127.0.0.1:6379/0), not {value.strip()!r}")
    return value.strip()
