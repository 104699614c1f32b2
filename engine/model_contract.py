"""The model's contract with Meldpunt: the parts of the deploy checks that read names, fields and timers.

engine/lint.py runs the rules; this module holds what they share with the rest of the engine:
- `free_names(expression)`: the variables an expression reads (calls to the evaluator's helpers excluded);
- `parse_field(name, value)`: a model-declared form field (`field.<name>` property) checked against the
  contract of docs/process-models.md, raising FieldError with a Dutch text;
- `timer_problem(kind, expression)`: why a timer expression cannot give an ISO 8601 date, duration or cycle.

Messages are Dutch `Phrase`s (engine.i18n): admins read them on the process pages and in the API.
"""
from __future__ import annotations

import ast
import json
import re
from typing import Any, Optional

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import expressions
from .i18n import N_, Phrase

FIELD_PREFIX = "field."
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
FIELD_TYPES = ("text", "longtext", "choice", "yesno", "date", "number", "file")
FIELD_KEYS = {"type", "label", "required", "choices"}
MAX_CHOICES = 100
MAX_LABEL = 200


class FieldError(ValueError):
    """A `field.<name>` property that breaks the contract; the message is a Dutch Phrase."""


def free_names(expression: str) -> list[str]:
    """The variable names `expression` reads, in order of appearance; helper names in calls are not variables.

    The expression must pass expressions.check first (then ast.parse cannot fail)."""
    tree = ast.parse(expression.strip(), mode="eval")
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = [node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called]
    return list(dict.fromkeys(names))


def script_targets(script: str) -> list[str]:
    """The names a checked script assigns (`name = ...`, `name += ...`)."""
    import textwrap

    targets: list[str] = []
    for stmt in ast.parse(textwrap.dedent(script).strip(), mode="exec").body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
        if isinstance(target, ast.Name):
            targets.append(target.id)
    return targets


def _label(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("nl"), str) or not value["nl"].strip():
        raise FieldError(Phrase(N_("{where} heeft geen Nederlandse tekst: schrijf \"label\": "
                                   "{{\"nl\": \"...\", \"en\": \"...\"}}"), where=where))
    for language, text in value.items():
        if language not in ("nl", "en") or not isinstance(text, str) or len(text) > MAX_LABEL:
            raise FieldError(Phrase(N_("{where}: een label heeft alleen \"nl\" en \"en\", elk een tekst van "
                                       "hoogstens {limit} tekens"), where=where, limit=MAX_LABEL))
    return {"nl": value["nl"], "en": value.get("en") or value["nl"]}


def parse_field(name: str, value: str) -> dict[str, Any]:
    """The field `name` declared by property value `value` (JSON), normalised; FieldError when it is wrong."""
    if not FIELD_NAME.match(name):
        raise FieldError(Phrase(N_("veldnaam '{name}' is ongeldig: kleine letters, cijfers en _, beginnend met "
                                   "een letter, hoogstens 40 tekens"), name=name))
    try:
        spec = json.loads(value)
    except ValueError as err:
        raise FieldError(Phrase(N_("veld '{name}': de waarde is geen geldige JSON ({error})"),
                                name=name, error=str(err))) from err
    if not isinstance(spec, dict):
        raise FieldError(Phrase(N_("veld '{name}': de waarde moet een JSON-object zijn"), name=name))
    unknown = sorted(set(spec) - FIELD_KEYS)
    if unknown:
        raise FieldError(Phrase(N_("veld '{name}': onbekende sleutel(s) {keys}; toegelaten: type, label, required, "
                                   "choices"), name=name, keys=", ".join(unknown)))
    if spec.get("type") not in FIELD_TYPES:
        raise FieldError(Phrase(N_("veld '{name}': type '{type}' bestaat niet; kies uit {types}"),
                                name=name, type=spec.get("type"), types=", ".join(FIELD_TYPES)))
    label = _label(spec.get("label"), Phrase(N_("veld '{name}'"), name=name))
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise FieldError(Phrase(N_("veld '{name}': \"required\" is true of false"), name=name))
    field: dict[str, Any] = {"name": name, "type": spec["type"], "label": label, "required": required}
    if spec["type"] == "choice":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES:
            raise FieldError(Phrase(N_("veld '{name}': een keuzeveld heeft \"choices\": een lijst van 1 tot {limit} "
                                       "keuzes {{\"value\": \"...\", \"label\": {{\"nl\": \"...\"}}}}"),
                                    name=name, limit=MAX_CHOICES))
        values: list[str] = []
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("value"), str) or not choice["value"]:
                raise FieldError(Phrase(N_("veld '{name}': elke keuze heeft een \"value\" (tekst) en een \"label\""),
                                        name=name))
            if choice["value"] in values:
                raise FieldError(Phrase(N_("veld '{name}': keuze '{value}' staat er twee keer"),
                                        name=name, value=choice["value"]))
            values.append(choice["value"])
            _label(choice.get("label"), Phrase(N_("keuze '{value}' van veld '{name}'"),
                                               value=choice["value"], name=name))
        field["choices"] = [{"value": c["value"], "label": _label(c["label"], "")} for c in choices]
    elif "choices" in spec:
        raise FieldError(Phrase(N_("veld '{name}': alleen een keuzeveld (type choice) heeft \"choices\""),
                                name=name))
    return field


# What each timer element must give, in the words of the findings.
TIMER_KINDS = {"timeDuration": N_("een duur zoals \"P14D\" of \"PT1H\""),
               "timeDate": N_("een datum zoals \"2026-12-31\" of \"2026-12-31T09:00:00\""),
               "timeCycle": N_("een herhaling zoals \"R3/PT1H\"")}


def _iso_problem(kind: str, text: str) -> bool:
    """True when `text` is not a valid ISO 8601 value for a timer element of `kind`."""
    try:
        if kind == "timeDuration":
            if not text.upper().startswith("P") or not TimerEventDefinition.parse_iso_duration(text):
                return True
        elif kind == "timeDate":
            TimerEventDefinition.get_datetime(text)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:  # SpiffWorkflow raises bare Exception, ValueError, AttributeError on bad input
        return True
    return False


def timer_problem(kind: str, expression: str) -> Optional[Phrase]:
    """Why `expression` in a timer element of `kind` is wrong (a Dutch Phrase), or None when it is fine.

    The engine evaluates a timer as an expression: a literal must be quoted ("P14D") and give a valid ISO 8601
    value; an expression over process data (a variable holding a duration, `days(n)`) is checked by its names.
    """
    text = expression.strip()
    wanted = TIMER_KINDS.get(kind, TIMER_KINDS["timeDuration"])
    if not text:
        return Phrase(N_("de timer is leeg; geef {wanted}"), wanted=wanted)
    if re.match(r"^(R\d*/)?P(\d|T\d)|^\d{4}-\d{2}-\d{2}", text):
        return Phrase(N_("timer '{text}' wordt als uitdrukking gelezen: zet hem tussen aanhalingstekens "
                         "(\"{text}\")"), text=text)
    try:
        expressions.check(text)
    except expressions.ExpressionError as err:
        return Phrase(N_("timer '{text}' is geen geldige ISO 8601-waarde en geen geldige uitdrukking ({error}); "
                         "geef {wanted}"), text=text, error=str(err), wanted=wanted)
    node = ast.parse(text, mode="eval").body
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str) or _iso_problem(kind, node.value):
            return Phrase(N_("timer {text} is geen geldige ISO 8601-waarde; geef {wanted}"), text=text,
                          wanted=wanted)
    return None
