"""Categories managed by the functional administrator (/werk/beheer/categorieen and /api/v1/categories).

One function saves a category from what was typed: every problem is collected per field (Dutch, through
`engine.i18n`), nothing is written unless all of it is right, and every change is one row of the
administration log with the old and new values. A new category's key is made from its name and never changes
afterwards (cases and routing rules refer to it). A category in use (by cases, routing rules or sub categories)
is deactivated, never deleted. The citizen's search reads categories at every query; the cached copies that new
meldingen use are dropped at every change (`forget_categories`).
"""
from __future__ import annotations

import re
from typing import Any, Optional

from sqlalchemy import func, or_, select

from engine.db import db
from engine.errors import InvalidInput
from engine.i18n import N_, Phrase
from engine.models import Case

from .admin_changes import record_change
from .admin_keys import new_key
from .categories import forget_categories
from .models import Category, HandlerGroup, RoutingRule

MAX_DEADLINE_DAYS = 365
MAX_DUPLICATE_DAYS = 730
# What the log keeps of a category, old and new.
TRACKED = ("key", "name", "parent", "synonyms", "default_group", "deadline_days", "public", "active", "duplicate_days",
           "allow_anonymous")
# The fields as the log's sentence names them (Dutch, as every detail in the log).
LABELS = {"key": "sleutel", "name": "naam", "parent": "hoofdcategorie", "synonyms": "zoekwoorden",
          "default_group": "standaardgroep", "deadline_days": "termijn", "public": "openbaar", "active": "actief",
          "duplicate_days": "dagen terug voor \"Is dit uw melding?\"", "allow_anonymous": "anoniem melden"}


def snapshot(category: Category) -> dict[str, Any]:
    """The values the log and the API show of one category."""
    return {"key": category.key, "name": category.name,
            "parent": category.parent.key if category.parent is not None else None,
            "synonyms": category.synonyms or "",
            "default_group": category.default_group.key if category.default_group is not None else None,
            "deadline_days": category.deadline_days, "public": bool(category.public),
            "active": bool(category.active), "duplicate_days": category.duplicate_days,
            "allow_anonymous": bool(category.allow_anonymous)}


def _whole_number(raw: Any, field: str, low: int, high: int, errors: dict[str, list],
                  optional: bool = False) -> Optional[int]:
    text = "" if raw is None else str(raw).strip()
    if not text:
        if not optional:
            errors[field] = [N_("Vul een aantal werkdagen in.")]
        return None
    if not re.fullmatch(r"\d{1,6}", text) or not low <= int(text) <= high:
        errors[field] = [Phrase(N_("Geef een geheel getal van {low} tot {high}."), low=low, high=high)]
        return None
    return int(text)


def _flag(raw: Any) -> bool:
    return raw is True or str(raw).strip().lower() in ("on", "true", "1", "ja", "yes")


def save_category(category: Optional[Category], values: dict[str, Any], *, actor: str,
                  user_id: Optional[int] = None) -> Category:
    """Create (category None) or change a category from `values`; raises InvalidInput naming every bad field.

    `values` may hold: key (new only; default from the name), name, parent (the main category's key, empty for
    a main category), synonyms, default_group (a group key, may be empty), deadline_days, duplicate_days (empty:
    the default), public, active, allow_anonymous. For a change, a value left out keeps what the category has.
    """
    errors: dict[str, list] = {}
    old = snapshot(category) if category is not None else None

    def given(name: str) -> bool:
        return category is None or name in values

    name = str(values.get("name", category.name if category else "") or "").strip()
    if not name:
        errors["name"] = [N_("Geef de categorie een naam.")]
    elif len(name) > 200:
        errors["name"] = [N_("Een naam is hoogstens 200 tekens lang.")]

    key = category.key if category is not None else new_key(values, name, errors)

    parent = category.parent if category is not None else None
    if given("parent"):
        parent_key = str(values.get("parent") or "").strip()
        parent = None
        if parent_key:
            parent = db.session.scalar(select(Category).where(Category.key == parent_key))
            if parent is None:
                errors["parent"] = [Phrase(N_("Onbekende categorie '{value}'."), value=parent_key)]
            elif parent.parent_id is not None:
                errors["parent"] = [N_("Een subcategorie kan niet onder een andere subcategorie staan: "
                                       "kies een hoofdcategorie.")]
            elif category is not None and parent.id == category.id:
                errors["parent"] = [N_("Een categorie kan niet onder zichzelf staan.")]
            elif category is not None and db.session.scalar(
                    select(func.count(Category.id)).where(Category.parent_id == category.id)):
                errors["parent"] = [N_("Deze hoofdcategorie heeft subcategorieën en kan zelf geen subcategorie "
                                       "worden.")]

    group = category.default_group if category is not None else None
    if given("default_group"):
        group_key = str(values.get("default_group") or "").strip()
        group = None
        if group_key:
            group = db.session.scalar(select(HandlerGroup).where(HandlerGroup.key == group_key))
            if group is None or not group.active or group.kind != "internal":
                errors["default_group"] = [Phrase(N_("'{value}' is geen actieve behandelaarsgroep."),
                                                  value=group_key)]

    deadline = category.deadline_days if category is not None else None
    if given("deadline_days"):
        deadline = _whole_number(values.get("deadline_days"), "deadline_days", 1, MAX_DEADLINE_DAYS, errors)
    duplicate_days = category.duplicate_days if category is not None else None
    if given("duplicate_days"):
        duplicate_days = _whole_number(values.get("duplicate_days"), "duplicate_days", 1, MAX_DUPLICATE_DAYS,
                                       errors, optional=True)
    synonyms = category.synonyms if category is not None else ""
    if given("synonyms"):
        synonyms = " ".join(str(values.get("synonyms") or "").split())
        if len(synonyms) > 4000:
            errors["synonyms"] = [N_("Hoogstens 4000 tekens.")]
    public = _flag(values.get("public")) if given("public") else bool(category and category.public)
    active = _flag(values.get("active")) if given("active") else bool(category and category.active)
    anonymous = _flag(values.get("allow_anonymous")) if given("allow_anonymous") else \
        bool(category is None or category.allow_anonymous)

    if errors:
        raise InvalidInput(N_("De categorie is niet bewaard: verbeter de aangeduide velden."), errors)

    if category is None:
        category = Category(key=key)
        db.session.add(category)
    category.name = name
    category.parent = parent
    category.default_group = group
    category.deadline_days = deadline if deadline is not None else 10
    category.duplicate_days = duplicate_days
    category.synonyms = synonyms or ""
    category.public = public
    category.active = active
    category.allow_anonymous = anonymous
    db.session.flush()
    new = snapshot(category)
    if old is None:
        record_change("category", "create", category.key, actor=actor, user_id=user_id,
                      detail=f"Nieuwe categorie {category.name}", data={"new": new})
    else:
        changed = {field: [old[field], new[field]] for field in TRACKED if old[field] != new[field]}
        if changed:
            record_change("category", "update", category.key, actor=actor, user_id=user_id,
                          detail="Gewijzigd: " + "; ".join(f"{LABELS[f]} van {_shown(a)} naar {_shown(b)}"
                                                           for f, (a, b) in changed.items()),
                          data={"old": old, "new": new, "changed": changed})
    forget_categories()
    return category


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(leeg)"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def in_use(category: Category) -> bool:
    """True when cases, routing rules or sub categories refer to the category (then it is only deactivated)."""
    return any(db.session.scalar(query) for query in (
        select(Case.id).where(Case.category_id == category.id).limit(1),
        select(RoutingRule.id).where(RoutingRule.category_id == category.id).limit(1),
        select(Category.id).where(Category.parent_id == category.id).limit(1)))


def remove_category(category: Category, *, actor: str, user_id: Optional[int] = None) -> str:
    """Delete an unused category, deactivate one in use; returns "deleted" or "deactivated"."""
    old = snapshot(category)
    if in_use(category):
        category.active = False
        db.session.flush()
        record_change("category", "deactivate", category.key, actor=actor, user_id=user_id,
                      detail=f"Categorie {category.name} gedeactiveerd (in gebruik)",
                      data={"old": old, "new": snapshot(category), "changed": {"active": [old["active"], False]}})
        outcome = "deactivated"
    else:
        db.session.delete(category)
        db.session.flush()
        record_change("category", "delete", old["key"], actor=actor, user_id=user_id,
                      detail=f"Categorie {old['name']} verwijderd", data={"old": old})
        outcome = "deleted"
    forget_categories()
    return outcome


def categories_in_order() -> list[Category]:
    """Every category: each main category followed by its sub categories, by name."""
    rows = list(db.session.scalars(select(Category).order_by(Category.name)))
    mains = [c for c in rows if c.parent_id is None]
    out: list[Category] = []
    for main in mains:
        out.append(main)
        out += [c for c in rows if c.parent_id == main.id]
    return out


def main_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.parent_id.is_(None)).order_by(Category.name)))


def usable_groups() -> list[HandlerGroup]:
    return list(db.session.scalars(select(HandlerGroup).where(or_(HandlerGroup.kind == "internal"))
                                   .order_by(HandlerGroup.name)))
