"""The forms of the incoming-post process's user tasks (bpmn/post.bpmn), as marshmallow schemas.

Messages are Dutch: staff read them next to the field. Values stay JSON primitives (dates as ISO text).
"""
from __future__ import annotations

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from engine import registry
from engine.clock import utcnow
from engine.i18n import N_

from .calendar import CITY_TZ
from .forms import TaskForm
from .groups import group_by_key

MAX_LETTER_TEXT = 20000


def _text(max_length: int = 4000) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=max_length))


@registry.form("post_answer")
class PostAnswerForm(TaskForm):
    """Handler group: write the answer (the reply letter is made from it) or send the letter back to the onthaal."""

    action = fields.String(required=True, validate=validate.OneOf(["letter", "reroute"]))
    answer_text = _text(MAX_LETTER_TEXT)
    reroute_reason = _text()

    @validates_schema
    def check_action(self, data, **kwargs):
        if data["action"] == "letter" and not (data.get("answer_text") or "").strip():
            raise ValidationError({"answer_text": [N_("Schrijf de tekst van het antwoord: daarmee wordt de brief "
                                                   "opgemaakt.")]})
        if data["action"] == "reroute" and not (data.get("reroute_reason") or "").strip():
            raise ValidationError({"reroute_reason": [N_("Zeg waarom de brief terug naar het onthaal gaat.")]})


@registry.form("post_sent")
class PostSentForm(TaskForm):
    """Handler group: the letter was sent (on a date), or the text must change first (a new version)."""

    decision = fields.String(required=True, validate=validate.OneOf(["sent", "revise"]))
    sent_on = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def check_date(self, data, **kwargs):
        if data["decision"] != "sent":
            return
        try:
            sent_on = date.fromisoformat(data.get("sent_on") or "")
        except ValueError:
            raise ValidationError({"sent_on": [N_("Geef de datum van verzending, bijvoorbeeld 2026-12-02.")]}) from None
        if sent_on > utcnow().astimezone(CITY_TZ).date():
            raise ValidationError({"sent_on": [N_("De datum van verzending ligt in de toekomst.")]})


@registry.form("post_reroute")
class PostRerouteForm(TaskForm):
    """Onthaal: send the letter to another handler group (the answer deadline stays)."""

    group = fields.String(required=True)

    @validates_schema
    def check_group(self, data, **kwargs):
        group = group_by_key(data.get("group"))
        if group is None or group.kind != "internal":
            raise ValidationError({"group": [N_("Kies een actieve behandelaarsgroep.")]})
