"""Numbers from the URL: ids in the path and numeric query parameters, bounded to what the database holds.

The app's `int` URL converter is replaced by `DatabaseIdConverter`, so every `<int:...>` route (the ones here
and any added later) takes ASCII digits up to BIGINT_MAX only: `/.../media/99999999999999999999` is a plain
404, not "bigint out of range" from PostgreSQL. Query parameters go through `query_int`, which answers 400 and
names the parameter.
"""
from __future__ import annotations

import re
from typing import Optional

from flask import Flask, request
from werkzeug.routing import IntegerConverter, ValidationError

from engine.errors import EngineError
from engine.ids import BIGINT_MAX

from .i18n import translate

_WHOLE = re.compile(r"-?[0-9]+")


class BadParameter(EngineError):
    """A query parameter that is not a number in its range: 400, with the parameter in `fields`."""

    status_code = 400

    def __init__(self, name: str, problem: str, page_text: str) -> None:
        # The API and Open311 speak English; a page says it in the visitor's language (Dutch first).
        machine = request.path.startswith(("/api/", "/open311/"))
        super().__init__(f"query parameter '{name}' {problem}" if machine else page_text)
        self.fields = {name: [problem]}
        self.page_text = page_text  # already in the visitor's language (web/error_texts.py shows it)


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>`: ASCII digits, 0..BIGINT_MAX; anything else does not match the route (404)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: Optional[int] = None, max: Optional[int] = None,
                 signed: bool = False) -> None:
        upper = BIGINT_MAX if max is None or max > BIGINT_MAX else max
        super().__init__(map, fixed_digits=fixed_digits, min=0 if min is None else min, max=upper, signed=False)

    def to_python(self, value: str) -> int:
        if len(value) > 19:  # longer than BIGINT_MAX: not worth converting
            raise ValidationError()
        return super().to_python(value)


def init_url_ids(app: Flask) -> None:
    """Install the bounded converter; call before any blueprint is registered (rules bind their converters then)."""
    app.url_map.converters["int"] = DatabaseIdConverter


def query_int(name: str, default: Optional[int], minimum: int = 0, maximum: int = BIGINT_MAX) -> Optional[int]:
    """The whole number in query parameter `name` (`default` when absent or empty), else BadParameter (400)."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not _WHOLE.fullmatch(raw.strip()):
        raise BadParameter(name, "must be a whole number",
                           translate("De parameter '{name}' in de link moet een geheel getal zijn.", name=name))
    value = int(raw.strip()) if len(raw.strip()) <= 20 else None
    if value is None or not minimum <= value <= maximum:
        raise BadParameter(name, f"must be between {minimum} and {maximum}",
                           translate("De parameter '{name}' in de link moet tussen {low} en {high} liggen.",
                                     name=name, low=minimum, high=maximum))
    return value
