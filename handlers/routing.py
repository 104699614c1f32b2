"""Suggesting a handler group for a new case, with the reason shown to the meldkamer."""
from __future__ import annotations

from engine import registry
from engine.registry import ServiceContext
from engine.timeline import add_event


@registry.service("routing.suggest")
def suggest_group(ctx: ServiceContext) -> dict:
    """Suggest the default group of the case's category; without a category the meldkamer decides."""
    case = ctx.case
    category = case.category
    if category is not None and category.default_group is not None:
        case.suggested_group_id = category.default_group_id
        case.suggestion_reason = f"Standaardgroep van categorie '{category.name}'"
    else:
        case.suggested_group_id = None
        case.suggestion_reason = "Geen categorie gekozen: de meldkamer kiest de groep"
    add_event(case, "suggested", actor=ctx.actor, note=case.suggestion_reason,
              data={"group": category.default_group.key if case.suggested_group_id else None})
    return {"group": category.default_group.key if case.suggested_group_id else None}
