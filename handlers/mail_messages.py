"""Payload of the BPMN message a waiting infomail case accepts: the citizen's reply to our answer.

Registered as the form `message:citizen_reply`, like handlers.messages, so every way in (mail intake,
staff API) validates the payload the same way before it becomes process data.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from engine import registry


@registry.form("message:citizen_reply")
class CitizenReply(Schema):
    """The citizen's reply: its text, and when it came by mail its Message-ID and subject (for threading)."""

    class Meta:
        unknown = RAISE

    text = fields.String(required=True, validate=validate.Length(min=1, max=100000))
    message_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=998))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=998))
