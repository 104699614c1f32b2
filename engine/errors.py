"""Errors the engine raises; the web layer maps each to one HTTP status with a readable message."""
from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class: something about a case or a definition that the caller can explain to a user."""

    status_code = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(EngineError):
    """The case, work item or definition does not exist."""

    status_code = 404


class Forbidden(EngineError):
    """The user may not act for the group the work belongs to."""

    status_code = 403


class Conflict(EngineError):
    """The work is no longer open, or the case moved on meanwhile (another user was first)."""

    status_code = 409


class InvalidInput(EngineError):
    """Form or request data did not validate; `fields` maps field names to messages."""

    status_code = 422

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message, fields=fields or {})
        self.fields = fields or {}


class DeployError(EngineError):
    """A BPMN file was refused at deploy: names the file and, where known, the element."""

    status_code = 422

    def __init__(self, message: str, filename: str = "", element: str | None = None) -> None:
        where = filename + (f", element '{element}'" if element else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.filename = filename
        self.element = element


class ProcessError(EngineError):
    """The process instance failed while running (a model error); the case keeps its last good state."""

    status_code = 500
