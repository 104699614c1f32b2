"""Text the database cannot store is refused at the door, for every request.

PostgreSQL text cannot hold the NUL character (psycopg refuses it before the query is sent: a DataError,
so a 500) and no UTF-8 column can hold a lone surrogate, which a JSON body may spell as "\\ud800". Neither
belongs in any real input, so one check before every view is the right place, rather than a validator per
field: it covers the path (references, tokens), query parameters, form fields and their names, uploaded
file names and every string in a JSON body, including what later code adds. The answer is 400 naming
the field (404 for the path: no resource has such a name): the API's error shape under /api, the GeoReport v2
error format under /open311, a Dutch page elsewhere. A blueprint that can give its form back with what was
typed registers its own handler for `UnstorableText` (the public report form does).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import BadRequest

from .i18n import translate

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64  # a JSON body nested deeper than this is refused as a whole (400); ours are 3 deep


class UnstorableText(Exception):
    """Input with a character no text column can hold; `fields` names where it was found."""

    def __init__(self, fields: list[str], in_path: bool = False) -> None:
        super().__init__(f"unstorable character in {', '.join(fields)}")
        self.fields = fields
        self.in_path = in_path


def unstorable(text: str) -> bool:
    """True when `text` holds NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def cleaned(text: str) -> str:
    """`text` without the characters that cannot be stored (to give a form back)."""
    return _UNSTORABLE.sub("", text)


def _multi(name: str, items: Iterable[tuple[str, str]]) -> Iterator[str]:
    for key, value in items:
        if unstorable(key) or unstorable(value):
            yield cleaned(key) or name


def _json_paths(value: Any, path: str, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH:
        raise BadRequest("the JSON body is nested too deeply")
    if isinstance(value, str):
        if unstorable(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{cleaned(key)}" if path else cleaned(key)
            if unstorable(key):
                yield child_path
            else:
                yield from _json_paths(child, child_path, depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _json_paths(child, f"{path}[{index}]", depth + 1)


def check_request() -> None:
    """Raise UnstorableText for the first request part that holds an unstorable character."""
    if unstorable(request.path):
        raise UnstorableText(["path"], in_path=True)
    fields = list(_multi("query", request.args.items(multi=True)))
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += _multi("form", request.form.items(multi=True))
            fields += [cleaned(key) or "file" for key, upload in request.files.items(multi=True)
                       if unstorable(key) or unstorable(upload.filename or "")]
        elif request.is_json:
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # the json module gives up on deep nesting with this, not a ValueError
                raise BadRequest("the JSON body is nested too deeply") from None
            fields += _json_paths(body, "")
    if fields:
        raise UnstorableText(list(dict.fromkeys(fields)))


def unstorable_response(err: UnstorableText):
    """400 (404 for the path) in the format of the part of the site that was asked."""
    from .errors import open311_error

    status = 404 if err.in_path else 400
    if request.path.startswith("/api/"):
        if err.in_path:
            return jsonify({"error": "Not Found", "message": "no such resource"}), 404
        return jsonify({"error": "UnstorableText",
                        "message": "the request contains a NUL character or a lone surrogate, which cannot be "
                                   f"stored: {', '.join(err.fields)}",
                        "fields": {name: ["contains a NUL character or a lone surrogate"] for name in err.fields}}), 400
    if request.path.startswith("/open311/"):
        return open311_error(status, "no such resource" if err.in_path else
                             f"{', '.join(err.fields)}: contains a NUL character, which cannot be stored")
    if err.in_path:
        text = translate("Deze pagina bestaat niet.")
    else:
        text = translate("Wat u verstuurde bevat een teken dat we niet kunnen bewaren (een nul-teken). Ga terug, "
                         "verwijder het teken en verstuur opnieuw.")
    return render_template("error.html", message=text, code=status), status


def init_input_guard(app: Flask) -> None:
    """Check every request before its view (and before the CSRF check, which reads the form too)."""
    app.before_request(check_request)
    app.register_error_handler(UnstorableText, unstorable_response)
