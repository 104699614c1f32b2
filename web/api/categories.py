"""Categories in the staff API, for administrators: list, create and change (the same rules as the admin page)."""
from __future__ import annotations

from typing import Any

from flask import g, jsonify
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput, NotFound
from handlers.category_admin import categories_in_order, save_category, snapshot
from handlers.models import Category
from handlers.permissions import require

from . import bp
from .auth import token_required
from .common import json_body

FIELDS = {"key", "name", "parent", "synonyms", "default_group", "deadline_days", "duplicate_days", "public",
          "active", "allow_anonymous"}
FLAGS = ("public", "active", "allow_anonymous")


def _body(creating: bool) -> dict[str, Any]:
    data = json_body()
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object", {"_schema": ["expected an object"]})
    errors: dict[str, list[str]] = {}
    for name in data:
        if name not in FIELDS or (name == "key" and not creating):
            errors[name] = ["unknown field" if name != "key" else "a key never changes"]
    for name in FLAGS:
        if name in data and not isinstance(data[name], bool):
            errors[name] = ["use true or false"]
    for name in ("name", "key", "parent", "synonyms", "default_group"):
        if name in data and data[name] is not None and not isinstance(data[name], str):
            errors[name] = ["use a string"]
    for name in ("deadline_days", "duplicate_days"):
        if name in data and data[name] is not None and (isinstance(data[name], bool)
                                                        or not isinstance(data[name], (int, str))):
            errors[name] = ["use a whole number"]
    if errors:
        raise InvalidInput("the request has errors", errors)
    if creating:
        data = {"public": True, "active": True, "allow_anonymous": True} | data
    return data


def _dump(category: Category) -> dict[str, Any]:
    return {"id": category.id} | snapshot(category)


@bp.get("/v1/categories")
@token_required
def list_categories():
    """Every category, each main category followed by its sub categories."""
    require(g.user, "manage")
    return jsonify([_dump(c) for c in categories_in_order()])


@bp.post("/v1/categories")
@token_required
def create_category():
    """A new main or sub category; its key is made from the name unless given."""
    require(g.user, "manage")
    category = save_category(None, _body(creating=True), actor=g.user.username, user_id=g.user.id)
    db.session.commit()
    return jsonify(_dump(category)), 201


@bp.patch("/v1/categories/<key>")
@token_required
def change_category(key: str):
    """Change the fields given; the others stay as they are."""
    require(g.user, "manage")
    category = db.session.scalar(select(Category).where(Category.key == key[:80]))
    if category is None:
        raise NotFound(f"no category '{key[:80]}'")
    category = save_category(category, _body(creating=False), actor=g.user.username, user_id=g.user.id)
    db.session.commit()
    return jsonify(_dump(category))
