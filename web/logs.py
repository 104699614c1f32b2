"""The log: its level and format (MELDPUNT_LOG_LEVEL, MELDPUNT_LOG_FORMAT), a line per request and per job.

`text` writes "time LEVEL logger: message key=value ..."; `json` one JSON object a line with the same
fields, for a log collector. A request line names the method, the path (no query string, and the secret
part of a link replaced: /volg/<token>), the status, the duration and the request id (the caller's
X-Request-ID when it is a plain short token, else a new one; sent back in the response's X-Request-ID).
No personal data is logged: request bodies, query strings and tracking tokens never reach a line.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Optional

from flask import Flask, Response, g, request

from engine.settings import Settings

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECRET_ARGUMENTS = ("token", "photo")  # URL parts that are a key to someone's case (web/public.py, portal.py)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

request_log = logging.getLogger("meldpunt.request")
job_log = logging.getLogger("meldpunt.job")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, Mapping) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the record's `fields`, an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the record's `fields` as key=value after the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields(record)
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # keep a traceback below the line
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def configure_logging(configured: Settings) -> None:
    """Set the root logger's level and format from MELDPUNT_LOG_LEVEL and MELDPUNT_LOG_FORMAT (the app's
    settings: create_app checked them); quiet the chatty libraries."""
    level, kind = configured.log_level, configured.log_format
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if kind == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick; our jobs log what they do
    # SpiffWorkflow logs every task state change at INFO: dozens of lines per new case, and a measurable
    # share of the web process's time under load. Its warnings and errors still show.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load: no use
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)  # two lines per /readyz otherwise


def loggable_path(app: Flask) -> str:
    """The request's path without its query string and with every secret URL part replaced by <name>."""
    path = request.path
    args = request.view_args or {}
    secrets = [name for name in SECRET_ARGUMENTS if name in args]
    if secrets and request.url_rule is not None:
        for name in secrets:
            path = path.replace(f"/{args[name]}", f"/<{name}>", 1)
        return path
    if request.url_rule is None:  # no route matched: a mistyped link may still hold a token
        for prefix in _secret_prefixes(app):
            if path.startswith(prefix):
                return prefix + "<token>"
    return path


def _secret_prefixes(app: Flask) -> list[str]:
    found = app.extensions.get("meldpunt_secret_prefixes")
    if found is None:
        found = []
        for rule in app.url_map.iter_rules():
            for name in SECRET_ARGUMENTS:
                marker = rule.rule.find(f"<{name}>")
                if marker > 0 and "<" not in rule.rule[:marker]:
                    found.append(rule.rule[:marker])
        found = sorted(set(found), key=len, reverse=True)
        app.extensions["meldpunt_secret_prefixes"] = found
    return found


def init_request_log(app: Flask, observe: Optional[Callable[[str, str, float], None]] = None) -> None:
    """A request id on every request and response, and one log line per request (also to `observe`:
    method, endpoint, seconds; the metrics' latency histogram)."""

    def start() -> None:
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex

    def finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a request that failed before our before_request ran
            return response
        seconds = time.perf_counter() - started
        response.headers["X-Request-ID"] = g.request_id
        endpoint = request.endpoint or "none"  # no route matched
        if observe is not None:
            observe(request.method, endpoint, seconds)
        request_log.info("request", extra={"fields": {
            "method": request.method, "path": loggable_path(app), "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1), "request_id": g.request_id, "endpoint": endpoint}})
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, start)  # first: the others' time counts too
    app.after_request(finish)


def logged_job(job_id: str, job: Callable[..., Any]) -> Callable[..., Any]:
    """`job` for the scheduler, writing one line per run: its id, the duration and what it returned or raised."""

    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        fields: dict[str, Any] = {"job": job_id}
        try:
            result = job(*args, **kwargs)
        except Exception as err:
            fields.update(outcome="error", error=type(err).__name__,
                          duration_ms=round((time.perf_counter() - started) * 1000, 1))
            job_log.error("job", extra={"fields": fields})
            raise
        fields.update(outcome="ok", result=result if isinstance(result, (int, float, type(None))) else str(result),
                      duration_ms=round((time.perf_counter() - started) * 1000, 1))
        job_log.info("job", extra={"fields": fields})
        return result

    run.__name__ = getattr(job, "__name__", job_id)
    run.__qualname__ = run.__name__
    return run
