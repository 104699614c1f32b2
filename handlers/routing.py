"""Suggesting a handler group for a new case, with the reason shown to the meldkamer.

Ordered routing rules come first (by position, then id; only active rules whose group is an active
internal group; the first rule whose conditions all hold wins), then the category's default group, and
otherwise the meldkamer decides. `evaluate_rules` is pure, so the administrator's test page can try a
sample melding (and a draft rule) against the rules without saving anything.

Keyword matching is "whole-word-ish": case- and accent-insensitive, a keyword must start at the start
of a word and end at the end of a word, where a Dutch plural or diminutive ending still counts
(`lamp` matches "lamp", "lampen", "lampje", not "straatlamp"); a keyword ending in `*` matches every
word that starts with it (`fiets*` matches "fietsenstalling"); a keyword of several words matches them
in that order with any spacing between them.
"""
from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Optional, cast

from marshmallow import ValidationError
from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.registry import ServiceContext
from engine.timeline import add_event

from .models import Category, HandlerGroup, RoutingRule
from .routing_schema import DEFAULT_POSITION_STEP, _group_usable, next_position, rule_fields  # noqa: F401 (next_position: used by the admin page)
from .routing_words import fold, split_keywords

NO_GROUP_REASON = "Geen regel of categorie: de meldkamer kiest de groep"
# Endings that still count as the same word: plural and diminutive (lamp -> lampen, lampje, lampjes).
_WORD_ENDINGS = r"(?:'s|s|en|n|je|jes|tje|tjes|pje|pjes)?"


@dataclass
class RoutingSample:
    """What routing looks at: a case, or a sample melding typed on the test page."""

    description: str = ""
    category: Optional[Category] = None
    channel: Optional[str] = None
    lat: Optional[float] = None
    lon: Optional[float] = None

    @classmethod
    def from_case(cls, case: Any) -> RoutingSample:
        return cls(description=case.description or "", category=case.category, channel=case.channel,
                   lat=case.lat, lon=case.lon)


@dataclass
class RuleCheck:
    """How one rule fared against the sample: matched or the first condition that failed (in Dutch)."""

    rule: Any
    matched: bool
    detail: str
    chosen: bool = False
    draft: bool = False


@dataclass
class RoutingDecision:
    """The suggested group (or None), the rule that chose it (or None), the reason and per-rule checks."""

    group: Optional[HandlerGroup]
    rule: Optional[Any]
    reason: str
    source: str  # "rule", "category" or "none"
    checks: list[RuleCheck] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- matching

def _keyword_pattern(keyword: str) -> re.Pattern:
    prefix = keyword.endswith("*")
    words = fold(keyword.rstrip("*")).split()
    body = r"\s+".join(re.escape(w) for w in words)
    tail = r"\w*" if prefix else _WORD_ENDINGS + r"(?!\w)"
    return re.compile(r"(?<!\w)" + body + tail)


def keyword_found(keyword: str, description: str) -> bool:
    """True when the keyword occurs in the description as a (whole-ish) word."""
    if not keyword.rstrip("*").strip():
        return False
    return _keyword_pattern(keyword).search(fold(description)) is not None


def keyword_matches(keyword: str, text: str) -> list[str]:
    """The words of `text` the keyword matches, as folded (lower case, no accents), each once, in order."""
    if not keyword.rstrip("*").strip():
        return []
    found = (match.group(0) for match in _keyword_pattern(keyword).finditer(fold(text)))
    return list(dict.fromkeys(" ".join(words.split()) for words in found))


def _category_chain(category: Optional[Category]) -> list[Category]:
    """The category and its parents (a main category matches its sub categories)."""
    chain: list[Category] = []
    while category is not None and category not in chain and len(chain) < 20:
        chain.append(category)
        category = category.parent
    return chain


def _has_area(rule: Any) -> bool:
    return None not in (rule.min_lat, rule.max_lat, rule.min_lon, rule.max_lon)


def _num(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def area_label(rule: Any) -> str:
    """The area's name, or its bounds when it has no name."""
    if rule.area_name:
        return rule.area_name
    return (f"{_num(rule.min_lat)}–{_num(rule.max_lat)} N, {_num(rule.min_lon)}–{_num(rule.max_lon)} O")


def rule_label(rule: Any) -> str:
    """'Regel 3 'Verlichting centrum'' (the number is the rule's position)."""
    return f"Regel {rule.position} '{rule.name}'"


def describe_conditions(rule: Any) -> str:
    """The rule's conditions in one Dutch line, for the list of rules."""
    parts = []
    if rule.category is not None:
        parts.append(f"categorie {rule.category.name}")
    if rule.channel:
        parts.append(f"kanaal {rule.channel}")
    keywords = split_keywords(rule.keywords)
    if keywords:
        parts.append("trefwoord " + " of ".join(f"'{k}'" for k in keywords))
    if _has_area(rule):
        parts.append(f"in gebied {area_label(rule)}")
    return ", ".join(parts) or "geen voorwaarden: geldt voor elke melding"


def check_rule(rule: Any, sample: RoutingSample) -> tuple[bool, str]:
    """Does the rule match the sample? Returns (True, what matched) or (False, the first failed condition)."""
    if not rule.active:
        return False, "regel staat uit"
    group = rule.group
    if not _group_usable(group):
        name = group.name if group is not None else "?"
        return False, f"groep '{name}' is geen actieve behandelaarsgroep: regel overgeslagen"
    matched: list[str] = []
    if rule.category is not None:
        chain = _category_chain(sample.category)
        if not chain:
            return False, f"categorie: de melding heeft geen categorie, de regel vraagt '{rule.category.name}'"
        if not any(c is rule.category or (c.id is not None and c.id == rule.category.id) for c in chain):
            return False, (f"categorie: de melding heeft '{chain[0].name}', "
                           f"de regel vraagt '{rule.category.name}'")
        matched.append(f"categorie {rule.category.name}")
    if rule.channel:
        if sample.channel != rule.channel:
            got = f"'{sample.channel}'" if sample.channel else "geen kanaal"
            return False, f"kanaal: de melding kwam via {got}, de regel vraagt '{rule.channel}'"
        matched.append(f"kanaal {rule.channel}")
    keywords = split_keywords(rule.keywords)
    if keywords:
        hit = next((k for k in keywords if keyword_found(k, sample.description or "")), None)
        if hit is None:
            listed = ", ".join(f"'{k}'" for k in keywords)
            return False, f"trefwoord: geen van {listed} komt voor in de omschrijving"
        matched.append(f"trefwoord '{hit}'")
    if _has_area(rule):
        if sample.lat is None or sample.lon is None:
            return False, f"gebied: de melding heeft geen coördinaten, de regel vraagt gebied {area_label(rule)}"
        inside = rule.min_lat <= sample.lat <= rule.max_lat and rule.min_lon <= sample.lon <= rule.max_lon
        if not inside:
            return False, f"gebied: de ligging valt buiten gebied {area_label(rule)}"
        matched.append(f"in gebied {area_label(rule)}")
    return True, ", ".join(matched) or "geen voorwaarden: geldt voor elke melding"


def _order_key(rule: Any) -> tuple:
    position = rule.position if rule.position is not None else 0
    return (position, rule.id if rule.id is not None else math.inf)


def evaluate_rules(sample: RoutingSample, rules: Iterable[Any], drafts: Iterable[Any] = ()) -> RoutingDecision:
    """Pick the group for a sample: first matching rule, else the category's default group, else none.

    Pure: reads the rules and the sample, writes nothing. Every rule is checked (for the test page's
    diagnostics), ordered by (position, id); inactive rules and rules whose group is not an active
    internal group never win. `drafts` are rules in `rules` to mark as drafts in the diagnostics.
    """
    draft_ids = {id(d) for d in drafts}
    checks: list[RuleCheck] = []
    winner: Optional[RuleCheck] = None
    for rule in sorted(rules, key=_order_key):
        matched, detail = check_rule(rule, sample)
        check = RuleCheck(rule=rule, matched=matched, detail=detail, draft=id(rule) in draft_ids)
        if matched and winner is None:
            winner = check
            check.chosen = True
        elif matched and winner is not None:
            check.detail = f"{detail} (maar {rule_label(winner.rule)} komt eerst)"
        checks.append(check)
    if winner is not None:
        rule = winner.rule
        return RoutingDecision(group=rule.group, rule=rule, reason=f"{rule_label(rule)}: {winner.detail}",
                               source="rule", checks=checks)
    category = sample.category
    if category is not None and category.default_group is not None:
        if _group_usable(category.default_group):
            return RoutingDecision(group=category.default_group, rule=None, source="category", checks=checks,
                                   reason=f"Standaardgroep van categorie '{category.name}'")
        return RoutingDecision(group=None, rule=None, source="none", checks=checks,
                               reason=(f"De standaardgroep van categorie '{category.name}' is niet actief: "
                                       "de meldkamer kiest de groep"))
    return RoutingDecision(group=None, rule=None, reason=NO_GROUP_REASON, source="none", checks=checks)


def ordered_rules(active_only: bool = False) -> list[RoutingRule]:
    """The saved rules in evaluation order."""
    query = select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    if active_only:
        query = query.where(RoutingRule.active.is_(True))
    return list(db.session.scalars(query))


_snapshot: list = []  # [(taken at, rules)]: every new melding asks for the rules
SNAPSHOT_TTL_SECONDS = 30.0


def _freeze(rule: RoutingRule) -> SimpleNamespace:
    """A plain copy of a rule with its group and category, valid outside the session that loaded it."""
    group = rule.group and SimpleNamespace(id=rule.group.id, key=rule.group.key, name=rule.group.name,
                                           active=rule.group.active, kind=rule.group.kind)
    category = rule.category and SimpleNamespace(id=rule.category.id, name=rule.category.name)
    return SimpleNamespace(**{name: getattr(rule, name) for name in (
        "id", "position", "name", "active", "channel", "keywords", "area_name", "min_lat", "max_lat", "min_lon",
        "max_lon")}, group=group, category=category)


def active_rules() -> list:
    """The active rules in order, cached briefly per process (changes here clear it at once)."""
    if _snapshot and time.monotonic() - _snapshot[0][0] < SNAPSHOT_TTL_SECONDS:
        return _snapshot[0][1]
    rules = [_freeze(r) for r in ordered_rules(active_only=True)]
    _snapshot[:] = [(time.monotonic(), rules)]
    return rules


def forget_rules() -> None:
    """Drop the cached rules (after a change, and between tests)."""
    _snapshot.clear()


def record_suggestion(ctx: ServiceContext, sample: RoutingSample, reason_without_group: Optional[str] = None) -> dict:
    """Evaluate the rules for `sample`, keep the suggested group and its reason on the case and the timeline."""
    case = ctx.case
    decision = evaluate_rules(sample, active_rules())
    case.suggested_group_id = decision.group.id if decision.group is not None else None
    case.suggestion_reason = decision.reason if decision.group is not None or not reason_without_group \
        else reason_without_group
    key = decision.group.key if decision.group is not None else None
    rule = decision.rule
    add_event(case, "suggested", actor=ctx.actor, note=case.suggestion_reason,
              data={"group": key, "rule": rule.id if rule is not None else None,
                    "rule_name": rule.name if rule is not None else None, "source": decision.source})
    return {"group": key}


@registry.service("routing.suggest")
def suggest_group(ctx: ServiceContext) -> dict:
    """Suggest a group by the routing rules, else the category's default group; store the reason."""
    return record_suggestion(ctx, RoutingSample.from_case(ctx.case))


# ------------------------------------------------------------------------------------------ maintenance

RULE_FIELDS = ("name", "position", "active", "group", "category", "channel", "keywords", "area_name",
               "min_lat", "max_lat", "min_lon", "max_lon")


def _validated(fields: dict[str, Any], current: Optional[RoutingRule]) -> dict[str, Any]:
    """Check the fields of a rule (handlers/routing_schema.py); clean values, or InvalidInput with Dutch messages."""
    try:
        return rule_fields(fields, current)
    except ValidationError as err:
        raise InvalidInput("de regel kon niet bewaard worden", cast(dict[str, Any], err.messages)) from err


def _apply(rule: RoutingRule, clean: dict[str, Any]) -> None:
    rule.name, rule.position, rule.active = clean["name"], clean["position"], clean["active"]
    rule.group, rule.category, rule.channel = clean["group"], clean["category"], clean["channel"]
    rule.keywords, rule.area_name = clean["keywords"], clean["area_name"]
    rule.min_lat, rule.max_lat = clean["min_lat"], clean["max_lat"]
    rule.min_lon, rule.max_lon = clean["min_lon"], clean["max_lon"]


def draft_rule(existing: Optional[RoutingRule], fields: dict[str, Any]) -> RoutingRule:
    """A validated rule that is never added to the session (for testing a rule before saving it).

    It carries the id of `existing`, so it takes that rule's place in the order; a new draft sorts
    after the saved rules at the same position, as it would once saved.
    """
    clean = _validated(fields, existing)
    rule = RoutingRule(id=existing.id if existing is not None else None)
    _apply(rule, clean)
    return rule


def save_rule(rule: Optional[RoutingRule], fields: dict[str, Any]) -> RoutingRule:
    """Create (rule None) or update a routing rule; every problem is reported per field, nothing half-saved.

    `fields` holds name, position, active, group (key, id or HandlerGroup), category (key, id, Category or
    empty), channel, keywords (comma separated), area_name and min_lat/max_lat/min_lon/max_lon; form
    strings are accepted.
    """
    clean = _validated(fields, rule)
    if rule is None:
        rule = RoutingRule()
        db.session.add(rule)
    _apply(rule, clean)
    db.session.commit()
    forget_rules()
    return rule


def delete_rule(rule_id: int) -> str:
    """Delete a routing rule; returns its name. Cases keep the suggestion they already got."""
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"routeringsregel {rule_id} bestaat niet")
    name = rule.name
    db.session.delete(rule)
    db.session.commit()
    forget_rules()
    return name
