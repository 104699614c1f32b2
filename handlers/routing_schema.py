"""The rules for a routing rule (what the administrator types on /werk/beheer/routering), as a marshmallow schema.

Messages are Dutch: the administrator reads them next to the field (marked for the catalogue; a message with a
value is a Phrase, which a page translates by its template). Form strings are accepted, and so are
the objects and ids code passes (a HandlerGroup, a Category, numbers, booleans).
"""
from __future__ import annotations

import math
from typing import Any, Optional

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validates_schema
from sqlalchemy import func, select

from engine.db import db
from engine.i18n import N_, Phrase

from .case_kinds import CHANNELS
from .models import Category, HandlerGroup, RoutingRule
from .routing_words import split_keywords

MAX_NAME, MAX_KEYWORDS = 200, 2000
LATITUDE, LONGITUDE = Phrase(N_("breedtegraad")), Phrase(N_("lengtegraad"))
BOUNDS = (("min_lat", "max_lat", -90.0, 90.0, LATITUDE),
          ("min_lon", "max_lon", -180.0, 180.0, LONGITUDE))
CHOOSE_GROUP = N_("kies een behandelaarsgroep")
DEFAULT_POSITION_STEP = 10  # new rules go after every saved one, with room to slot one in between


def _group_usable(group: Optional[HandlerGroup]) -> bool:
    return group is not None and group.active and group.kind == "internal"


def next_position() -> int:
    """A position after every saved rule."""
    highest = db.session.scalar(select(func.max(RoutingRule.position)))
    return (highest or 0) + DEFAULT_POSITION_STEP


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _given(value: Any) -> bool:
    """Something was chosen: an object or id, or non-empty text."""
    return value is not None and (not isinstance(value, str) or value.strip() != "")


class Words(fields.Field):
    """Text with its spaces collapsed; empty is None; at most `limit` characters."""

    def __init__(self, limit: int, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)
        self.limit = limit

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[str]:
        words = " ".join(_text(value).split())
        if len(words) > self.limit:
            raise ValidationError(Phrase(N_("hoogstens {limit} tekens"), limit=self.limit))
        return words or None


class Position(fields.Field):
    """A whole number of 0 or more; empty is None (the rule keeps its place or goes last)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[int]:
        if _text(value) == "" and not isinstance(value, bool):
            return None
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            position = value if isinstance(value, int) else int(_text(value))
        except (TypeError, ValueError):
            position = -1
        if position < 0:
            raise ValidationError(N_("een geheel getal van 0 of meer"))
        return position


class Flag(fields.Field):
    """A check box: on, true, 1, ja or yes (or a boolean); left out: true."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        return value if isinstance(value, bool) else _text(value).lower() in ("on", "true", "1", "ja", "yes")


class Degrees(fields.Field):
    """A latitude or longitude bound ('51,03' with a decimal comma too); empty is None."""

    def __init__(self, minimum: float, maximum: float, label: str, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)
        self.minimum, self.maximum, self.label = minimum, maximum, label

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Optional[float]:
        if isinstance(value, bool):
            return None
        try:
            number = float(value) if isinstance(value, (int, float)) else float(_text(value).replace(",", ".") or "nan")
        except (TypeError, ValueError):
            number = math.inf
        if math.isnan(number) and _text(value) == "":
            return None
        if not math.isfinite(number):
            raise ValidationError(N_("geef een getal, bijvoorbeeld 51.0278"))
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(Phrase(N_("een {label} ligt tussen {minimum} en {maximum}"), label=self.label,
                                         minimum=f"{self.minimum:g}", maximum=f"{self.maximum:g}"))
        return number


class Found(fields.Field):
    """A group or category given as an object, an id or a key; None when nothing was chosen."""

    def __init__(self, model: type[HandlerGroup] | type[Category], **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)
        self.model = model

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, self.model):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            row = db.session.get(self.model, value)
        else:
            key = _text(value)
            row = db.session.scalar(select(self.model).where(self.model.key == key)) if key else None
        if row is None and _given(value):
            raise ValidationError(N_("onbekende groep") if self.model is HandlerGroup else N_("onbekende categorie"))
        return row


class RuleSchema(Schema):
    """A routing rule. Load with `current` = the rule being edited (None for a new one)."""

    class Meta:
        unknown = EXCLUDE

    name = Words(MAX_NAME)
    position = Position(load_default=None, allow_none=True)
    active = Flag(load_default=True, allow_none=True)
    group = Found(HandlerGroup)
    category = Found(Category)
    channel = fields.Raw(load_default=None, allow_none=True)
    keywords = fields.Raw(load_default=None, allow_none=True)
    area_name = Words(MAX_NAME)
    min_lat, max_lat = Degrees(-90, 90, LATITUDE), Degrees(-90, 90, LATITUDE)
    min_lon, max_lon = Degrees(-180, 180, LONGITUDE), Degrees(-180, 180, LONGITUDE)

    def __init__(self, *, current: Optional[RoutingRule], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.current = current

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def check(self, data: dict, original: dict, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "name" in data and not data["name"]:
            errors["name"] = [N_("vul een naam in")]
        if "group" in data and data["group"] is None:
            errors["group"] = [CHOOSE_GROUP]
        elif "group" in data and not _group_usable(data["group"]):
            errors["group"] = [N_("kies een actieve behandelaarsgroep (geen meldkamer, aannemer of inactieve groep)")]
        channel = _text(data.get("channel")) or None
        if channel is not None and channel not in CHANNELS:
            errors["channel"] = [N_("kies een kanaal uit de lijst")]
        keywords = split_keywords(_text(data.get("keywords")))
        if any(not k.rstrip("*").strip() for k in keywords):
            errors["keywords"] = [N_("een trefwoord moet meer zijn dan een sterretje")]
        elif len(", ".join(keywords)) > MAX_KEYWORDS:
            errors["keywords"] = [Phrase(N_("hoogstens {limit} tekens"), limit=MAX_KEYWORDS)]
        self._check_area(data, original, errors)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _check_area(data: dict, original: dict, errors: dict[str, list[str]]) -> None:
        names = [name for low, high, *_rest in BOUNDS for name in (low, high)]
        typed = [n for n in names if _given(original.get(n))]
        given = [n for n in names if data.get(n) is not None]
        if given and len(typed) < 4:
            for name in names:
                if name not in typed:
                    errors.setdefault(name, []).append(
                        N_("vul alle vier de grenzen van het gebied in, of geen enkele"))
        if len(given) == 4:
            for low, high, _minimum, _maximum, label in BOUNDS:
                if not data[low] < data[high]:
                    errors.setdefault(high, []).append(
                        Phrase(N_("de maximale {label} moet groter zijn dan de minimale"), label=label))
        if data.get("area_name") and not typed:
            errors["area_name"] = [N_("vul ook de grenzen van het gebied in")]

    @post_load
    def clean(self, data: dict, **kwargs: Any) -> dict:
        if data["position"] is None:
            current = self.current
            data["position"] = current.position if current is not None and current.position is not None \
                else next_position()
        data["active"] = True if data["active"] is None else data["active"]
        data["channel"] = _text(data["channel"]) or None
        data["keywords"] = ", ".join(split_keywords(_text(data["keywords"]))) or None
        bounds = [name for low, high, *_rest in BOUNDS for name in (low, high)]
        if any(data[name] is None for name in bounds):
            data.update(dict.fromkeys(bounds))
            data["area_name"] = None
        return data


def rule_fields(fields_: dict[str, Any], current: Optional[RoutingRule]) -> dict[str, Any]:
    """Clean values of a rule, or ValidationError with Dutch messages per field."""
    return RuleSchema(current=current).load(dict(fields_))
