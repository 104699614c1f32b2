"""Template helpers: translation (`_`, `ngettext`), language, local time, query-string building."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask

from handlers.calendar import CITY_TZ

from . import form_tokens
from .error_texts import field_message
from .i18n import current_language, translate, translate_plural
from .maps import map_config


def query_with(args, **changes) -> str:
    """The current query string with some values replaced."""
    values = {k: v for k, v in args.items()}
    values.update({k: str(v) for k, v in changes.items()})
    return urlencode(values)


def query_without(args, *names: str) -> str:
    """The current query string without some keys."""
    return urlencode({k: v for k, v in args.items() if k not in names})


def local_time(value: datetime) -> datetime:
    """Show times in the city's time zone (stored in UTC)."""
    return value.astimezone(CITY_TZ)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(query_with=query_with, query_without=query_without, local=local_time)
    # after init_i18n: these replace the plain gettext callables of the jinja2.ext.i18n extension
    app.jinja_env.globals.update({"_": translate, "ngettext": translate_plural})
    app.jinja_env.globals["map_config"] = map_config  # <div {{ map_config()|xmlattr }}> (web/maps.py)
    app.jinja_env.globals["field_message"] = field_message  # a form error from the handlers, translated
    # one-time form tokens (web/form_tokens.py)
    app.jinja_env.globals.update(form_token=form_tokens.issue, form_sent_as=form_tokens.form_sent_as)

    endpoints: set[str] = set()

    @app.context_processor
    def inject() -> dict:
        if not endpoints:  # known once all blueprints are registered
            endpoints.update(rule.endpoint for rule in app.url_map.iter_rules())
        return {"_": translate, "ngettext": translate_plural, "lang": current_language(), "url_rules": endpoints}
