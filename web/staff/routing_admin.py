"""Administration of the routing rules, and a test page that shows which rule a sample melding would get."""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.i18n import N_
from engine.ids import parse_id
from handlers.case_kinds import CHANNELS
from handlers.models import Category, HandlerGroup, RoutingRule
from handlers.routing import (
    RULE_FIELDS,
    RoutingSample,
    delete_rule,
    describe_conditions,
    draft_rule,
    evaluate_rules,
    next_position,
    ordered_rules,
    save_rule,
)

from ..auth import requires
from ..i18n import translate
from . import bp

SAMPLE_FIELDS = ("sample_description", "sample_category", "sample_channel", "sample_lat", "sample_lon")
# A draft rule is tested along when one of these is filled in on the form (position and active alone are not a rule).
DRAFT_MARKERS = ("name", "group", "category", "channel", "keywords", "area_name",
                 "min_lat", "max_lat", "min_lon", "max_lon")


def _groups(rule: Optional[RoutingRule]) -> list[HandlerGroup]:
    """Internal groups a rule can point at (and the rule's own group, even when it is no longer usable)."""
    groups = list(db.session.scalars(select(HandlerGroup).where(HandlerGroup.kind == "internal")
                                     .order_by(HandlerGroup.name)))
    if rule is not None and rule.group is not None and rule.group not in groups:
        groups.append(rule.group)
    return groups


def _categories() -> list[tuple[Category, str]]:
    """Main categories each followed by their sub categories, with a label for a select."""
    rows = list(db.session.scalars(select(Category).order_by(Category.name)))
    mains = [c for c in rows if c.parent_id is None]
    out: list[tuple[Category, str]] = []
    for main in mains:
        out.append((main, translate("{name} (met subcategorieën)", name=main.name)))
        out += [(c, f"{main.name} › {c.name}") for c in rows if c.parent_id == main.id]
    listed = {c.id for c, _label in out}
    out += [(c, c.name) for c in rows if c.id not in listed]
    return out


def _rule_values(rule: Optional[RoutingRule]) -> dict[str, str]:
    """The edit form's values for a saved rule, or the defaults of a new one."""
    if rule is None:
        return {"position": str(next_position()), "active": "on"}

    def text(value: Any) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    values = {"name": rule.name, "position": str(rule.position), "group": rule.group.key if rule.group else "",
              "category": rule.category.key if rule.category else "", "channel": rule.channel or "",
              "keywords": rule.keywords or "", "area_name": rule.area_name or "",
              **{k: text(getattr(rule, k)) for k in ("min_lat", "max_lat", "min_lon", "max_lon")}}
    if rule.active:
        values["active"] = "on"
    return values


def _rule_fields(form) -> dict[str, Any]:
    fields = {name: form.get(name, "") for name in RULE_FIELDS}
    fields["active"] = form.get("active") == "on"
    return fields


def _render(status: int = 200, **context):
    context.setdefault("rule", None)
    context.setdefault("errors", {})
    context.setdefault("sample", {"sample_channel": "web"})
    context.setdefault("mode", "list")
    context.setdefault("decision", None)
    context.setdefault("draft", None)
    context.setdefault("with_draft", False)
    return render_template("staff/admin_routing.html", rules=ordered_rules(), groups=_groups(context["rule"]),
                           categories=_categories(), channels=CHANNELS, conditions=describe_conditions,
                           **context), status


@bp.route("/beheer/routering", methods=["GET", "POST"])
@bp.route("/beheer/routering/<int:rule_id>", methods=["GET", "POST"])
@requires("manage")
def admin_routing(rule_id: int | None = None):
    """The routing rules in evaluation order; create one or edit one."""
    rule = db.session.get(RoutingRule, rule_id) if rule_id else None
    if rule_id and rule is None:
        abort(404)
    if request.method == "POST":
        try:
            saved = save_rule(rule, _rule_fields(request.form))
            flash(translate("Regel '{name}' bewaard.", name=saved.name))
            return redirect(url_for("staff.admin_routing"))
        except InvalidInput as err:
            db.session.rollback()
            return _render(422, rule=rule, errors=err.fields, values=dict(request.form),
                           sample={k: request.form.get(k, "") for k in SAMPLE_FIELDS})
    return _render(rule=rule, values=_rule_values(rule))


@bp.post("/beheer/routering/<int:rule_id>/verwijderen")
@requires("manage")
def admin_routing_delete(rule_id: int):
    """Delete one rule (cases keep the suggestion they already got)."""
    try:
        name = delete_rule(rule_id)
    except NotFound:
        abort(404)
    flash(translate("Regel '{name}' verwijderd.", name=name))
    return redirect(url_for("staff.admin_routing"))


def _sample(form) -> tuple[RoutingSample, dict[str, list[str]]]:
    """The sample melding typed on the test page, with Dutch messages per field."""
    errors: dict[str, list[str]] = {}
    category = None
    key = form.get("sample_category", "").strip()
    if key:
        category = db.session.scalar(select(Category).where(Category.key == key))
        if category is None:
            errors["sample_category"] = [translate("onbekende categorie")]
    channel = form.get("sample_channel", "").strip() or None
    if channel is not None and channel not in CHANNELS:
        errors["sample_channel"] = [translate("kies een kanaal uit de lijst")]
    coordinates: dict[str, Optional[float]] = {}
    for name, limit, label in (("sample_lat", 90, N_("breedtegraad")), ("sample_lon", 180, N_("lengtegraad"))):
        text = form.get(name, "").strip().replace(",", ".")
        coordinates[name] = None
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            errors[name] = [translate("geef een getal, bijvoorbeeld 51.0278")]
            continue
        if not -limit <= value <= limit:
            errors[name] = [translate("een {label} ligt tussen -{limit} en {limit}", label=translate(label),
                                          limit=limit)]
            continue
        coordinates[name] = value
    lat, lon = coordinates["sample_lat"], coordinates["sample_lon"]
    if (lat is None) != (lon is None) and not errors.keys() & {"sample_lat", "sample_lon"}:
        missing = "sample_lon" if lon is None else "sample_lat"
        errors[missing] = [translate("geef breedte- en lengtegraad allebei, of geen van beide")]
    sample = RoutingSample(description=form.get("sample_description", ""), category=category, channel=channel,
                           lat=lat, lon=lon)
    return sample, errors


@bp.route("/beheer/routering/test", methods=["GET", "POST"])
@requires("manage")
def admin_routing_test():
    """Try a sample melding against the saved rules (and a draft rule from the edit form); nothing is saved."""
    if request.method == "GET":
        return _render(mode="test", values={})
    form = request.form
    sample_values = {k: form.get(k, "") for k in SAMPLE_FIELDS}
    sample, errors = _sample(form)
    existing = None
    if (rule_id := parse_id(form.get("rule_id", ""))) is not None:
        existing = db.session.get(RoutingRule, rule_id)
    with_draft = any(form.get(name, "").strip() for name in DRAFT_MARKERS)
    draft = None
    if with_draft:
        try:
            draft = draft_rule(existing, _rule_fields(form))
        except InvalidInput as err:
            errors.update(err.fields)
    values = dict(form) if with_draft else {}
    if errors:
        db.session.rollback()
        return _render(422, mode="test", rule=existing, errors=errors, values=values, sample=sample_values,
                       with_draft=with_draft)
    rules = ordered_rules()
    if draft is not None:
        rules = [r for r in rules if existing is None or r.id != existing.id] + [draft]
    decision = evaluate_rules(sample, rules, drafts=[draft] if draft is not None else [])
    response = _render(mode="test", rule=existing, values=values, sample=sample_values, decision=decision,
                       draft=draft, with_draft=with_draft)
    db.session.rollback()  # testing never writes; drop anything a lazy load may have left behind
    return response
