"""What a deployed model declares about itself, read at run time: task forms, status labels, timer windows.

The contract (docs of issue #14, "The model's own contract"): a user task's properties `field.<name>` (JSON:
type, label {nl, en}, required, choices) are its form; `status_label_nl` / `status_label_en` beside a `status`
word that status; the timer on the task that waits for the feedback says how long the reporter may answer.
engine/lint.py refuses a model that breaks the contract at deploy; this module only reads a deployed
definition's XML, once per definition id (definitions never change), and forgets nothing but on request.
"""
from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from lxml import etree
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .db import db
from .i18n import N_, in_language
from .models import CaseFile, ProcessDefinition

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
FIELD_PREFIX = "field."
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
FIELD_TYPES = ("text", "longtext", "choice", "yesno", "date", "number", "file")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@dataclass(frozen=True)
class Choice:
    """One option of a choice field."""

    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FieldDecl:
    """One field of a model-declared form."""

    name: str
    type: str
    label: dict[str, str]
    required: bool = False
    choices: tuple[Choice, ...] = ()

    def label_in(self, language: str) -> str:
        """The field's label in `language`, Dutch when the model gives none in it."""
        return self.label.get(language) or self.label.get("nl") or self.name

    def choice_label(self, value: Any, language: str) -> str:
        """The wording of a chosen value (the value itself when it is not one of the choices)."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label.get(language) or choice.label.get("nl") or choice.value
        return str(value)


@dataclass
class ModelFacts:
    """What one definition declares: forms by task id, status labels by status, timers by waiting status."""

    forms: dict[str, tuple[FieldDecl, ...]] = field(default_factory=dict)
    status_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    status_timers: dict[str, timedelta] = field(default_factory=dict)


_facts: dict[int, ModelFacts] = {}
_lock = threading.Lock()


def _properties(element: etree._Element) -> list[tuple[str, str]]:
    return [(p.get("name") or "", p.get("value") or "")
            for p in element.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)]


def _label(value: Any) -> Optional[dict[str, str]]:
    if isinstance(value, str) and value.strip():
        return {"nl": value}
    if isinstance(value, dict) and isinstance(value.get("nl"), str) and value["nl"].strip():
        return {k: v for k, v in value.items() if k in ("nl", "en") and isinstance(v, str) and v.strip()}
    return None


def parse_field(name: str, text: str) -> Optional[FieldDecl]:
    """A field declaration from its property (None when it breaks the contract; the deploy lint names why)."""
    if not FIELD_NAME.fullmatch(name):
        return None
    try:
        spec = json.loads(text)
    except ValueError:
        return None
    if not isinstance(spec, dict) or spec.get("type") not in FIELD_TYPES:
        return None
    label = _label(spec.get("label"))
    if label is None:
        return None
    choices: list[Choice] = []
    if spec["type"] == "choice":
        for raw in spec.get("choices") or []:
            if isinstance(raw, dict) and isinstance(raw.get("value"), str):
                choices.append(Choice(raw["value"], _label(raw.get("label")) or {"nl": raw["value"]}))
            elif isinstance(raw, str):
                choices.append(Choice(raw, {"nl": raw}))
        if not choices:
            return None
    return FieldDecl(name, spec["type"], label, bool(spec.get("required", False)), tuple(choices))


def duration_of(expression: Optional[str]) -> Optional[timedelta]:
    """A timer expression that is a literal ISO 8601 duration ('"P7D"' or P7D) as a timedelta; else None."""
    if not expression or not expression.strip():
        return None
    text = expression.strip()
    try:
        literal = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        literal = text
    if not isinstance(literal, str) or not literal.upper().startswith("P"):
        return None
    try:
        parts = TimerEventDefinition.parse_iso_duration(literal)  # {'days': 7}; years and months as days
        parts = dict(parts)
        days = float(parts.pop("days", 0)) + 365 * float(parts.pop("years", 0)) + 30 * float(parts.pop("months", 0))
        parsed = timedelta(days=days, **{k: float(v) for k, v in parts.items()})
    except Exception:  # noqa: BLE001 - anything SpiffWorkflow cannot read is "no window"
        return None
    return parsed if parsed > timedelta(0) else None


def _timer_after(process: etree._Element, element: etree._Element) -> Optional[timedelta]:
    """The window of a waiting element: a timer boundary event on it, or a timer catch event racing it
    behind an event-based gateway."""
    element_id = element.get("id")
    for boundary in process.iterfind(".//bpmn:boundaryEvent", NS):
        if boundary.get("attachedToRef") == element_id:
            found = duration_of(boundary.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", None, NS))
            if found is not None:
                return found
    incoming = {flow.text for flow in element.iterfind("bpmn:incoming", NS)}
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        if flow.get("id") not in incoming:
            continue
        gateway = process.find(f".//bpmn:eventBasedGateway[@id='{flow.get('sourceRef')}']", NS)
        if gateway is None:
            continue
        targets = {f.get("targetRef") for f in process.iterfind(".//bpmn:sequenceFlow", NS)
                   if f.get("sourceRef") == gateway.get("id")}
        for catch in process.iterfind(".//bpmn:intermediateCatchEvent", NS):
            if catch.get("id") in targets:
                found = duration_of(catch.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", None, NS))
                if found is not None:
                    return found
    return None


def read_facts(xml: bytes, process_id: Optional[str] = None) -> ModelFacts:
    """The declarations in a model's XML (the executable process `process_id`, or all processes)."""
    facts = ModelFacts()
    root = etree.fromstring(xml, _PARSER)
    processes = [p for p in root.iterfind("bpmn:process", NS) if process_id is None or p.get("id") == process_id]
    if not processes:
        processes = list(root.iterfind("bpmn:process", NS))
    for process in processes:
        for element in process.iter():
            if not isinstance(element.tag, str) or element.get("id") is None:
                continue
            props = _properties(element)
            if not props:
                continue
            values = dict(props)
            status = values.get("status")
            if status:
                label = {lang: values[f"status_label_{lang}"].strip() for lang in ("nl", "en")
                         if values.get(f"status_label_{lang}", "").strip()}
                if label and status not in facts.status_labels:
                    facts.status_labels[status] = label
                if status not in facts.status_timers:
                    window = _timer_after(process, element)
                    if window is not None:
                        facts.status_timers[status] = window
            if etree.QName(element).localname == "userTask" and "form" not in values:
                declared = [parse_field(name[len(FIELD_PREFIX):], value) for name, value in props
                            if name.startswith(FIELD_PREFIX)]
                fields = tuple(f for f in declared if f is not None)
                if fields:
                    facts.forms[str(element.get("id"))] = fields
    return facts


def facts_for(definition_id: Optional[int]) -> ModelFacts:
    """The declarations of a stored definition, read once per definition id."""
    if definition_id is None:
        return ModelFacts()
    cached = _facts.get(definition_id)
    if cached is not None:
        return cached
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None:
        return ModelFacts()
    try:
        facts = read_facts(definition.xml.encode("utf-8"), definition.key)
    except etree.XMLSyntaxError:  # stored definitions were parsed at deploy; never fail a page over one
        facts = ModelFacts()
    with _lock:
        _facts[definition_id] = facts
    return facts


def task_fields(definition_id: Optional[int], task_id: Optional[str]) -> tuple[FieldDecl, ...]:
    """The model-declared form of a user task (empty for a task with a built-in form or none)."""
    if not task_id:
        return ()
    return facts_for(definition_id).forms.get(task_id, ())


def status_label(definition_id: Optional[int], status: str, language: str) -> Optional[str]:
    """The label a definition gives a status in `language` (Dutch when it gives none in it), or None."""
    labels = facts_for(definition_id).status_labels.get(status)
    if not labels:
        return None
    return labels.get(language) or labels.get("nl")


def status_window(definition_id: Optional[int], status: str) -> Optional[timedelta]:
    """How long the task with `status` waits before its timer fires, as the definition says (None: no timer)."""
    return facts_for(definition_id).status_timers.get(status)


def forget() -> None:
    """Drop what was read (tests that recreate the database reuse definition ids)."""
    with _lock:
        _facts.clear()


# The limits of the field types (the same on the staff page and in the API: one schema does both).
TEXT_MAX = 2000
LONGTEXT_MAX = 10000
NOTE_MAX = 4000  # the internal note every task form has (handlers/forms.py)


def _not_blank(value: Any) -> None:
    if isinstance(value, str) and not value.strip():
        raise ValidationError("Missing data for required field.")


def _case_file(case_id: Optional[int]) -> Callable[[int], None]:
    """A file field names a file of the case whose task is completed (stored as a CaseFile first)."""

    def check(value: int) -> None:
        stored = db.session.get(CaseFile, value)
        if stored is None or case_id is None or stored.case_id != case_id:
            raise ValidationError("Invalid value.")

    return check


def _schema_field(decl: FieldDecl, case_id: Optional[int]) -> Any:
    kw: dict[str, Any] = {"required": True} if decl.required else {"load_default": None, "allow_none": True}
    checks: list[Any] = [_not_blank] if decl.required else []
    if decl.type in ("text", "longtext"):
        limit = TEXT_MAX if decl.type == "text" else LONGTEXT_MAX
        return fields.String(validate=[validate.Length(max=limit), *checks], **kw)
    if decl.type == "choice":
        return fields.String(validate=validate.OneOf([c.value for c in decl.choices]), **kw)
    if decl.type == "yesno":
        return fields.Boolean(**kw)
    if decl.type == "date":
        return fields.Date(**kw)
    if decl.type == "number":
        return fields.Float(allow_nan=False, **kw)
    return fields.Integer(strict=False, validate=_case_file(case_id), **kw)  # file: the id of a CaseFile of the case


def form_schema(decls: tuple[FieldDecl, ...], case_id: Optional[int] = None) -> Schema:
    """A marshmallow schema for a model-declared form (plus the internal note every task form has); `case_id`
    is the case whose task it completes (a file field must name one of its files).

    Values stay JSON primitives, as they become process data: a date is kept as its ISO text, a file as
    the id of the CaseFile that holds it."""
    declared: dict[str, Any] = {d.name: _schema_field(d, case_id) for d in decls}
    declared.setdefault("note", fields.String(load_default=None, allow_none=True,
                                              validate=validate.Length(max=NOTE_MAX)))

    class ModelForm(Schema):
        class Meta:
            unknown = RAISE
            ordered = True

        @post_load
        def primitives(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}

    return ModelForm.from_dict(declared, name="ModelForm")()


def shown_values(decls: tuple[FieldDecl, ...], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The completed fields as the timeline shows them: label and value per language (nl, en)."""
    shown = []
    for decl in decls:
        value = values.get(decl.name)
        if value is None or value == "":
            continue
        text: dict[str, str] = {}
        for language in ("nl", "en"):
            if decl.type == "choice":
                text[language] = decl.choice_label(value, language)
            elif decl.type == "yesno":
                text[language] = in_language(language, N_("Ja") if value else N_("Nee"))
            else:
                text[language] = str(value)
        shown.append({"name": decl.name, "type": decl.type, "label": dict(decl.label), "value": value, "text": text})
    return shown
