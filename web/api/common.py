"""Helpers the API views share: reading a JSON body through a schema."""
from __future__ import annotations

from typing import Any, cast

from flask import request
from marshmallow import Schema, ValidationError

from engine.errors import EngineError, InvalidInput


class BadRequest(EngineError):
    status_code = 400


def json_body() -> Any:
    """The request's JSON body, or 400 with a message that says what was wrong."""
    if not request.is_json:
        raise BadRequest("send the request body as JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("the request body is not valid JSON")
    return data


def load(schema: Schema, data: Any) -> dict:
    """Validate with a marshmallow schema; field errors become a 422."""
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object", {"_schema": ["expected an object"]})
    try:
        return schema.load(data)
    except ValidationError as err:
        raise InvalidInput("the request has errors", cast(dict[str, Any], err.messages)) from err  # one object
