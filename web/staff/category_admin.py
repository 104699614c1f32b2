"""Administration of categories (/werk/beheer/categorieen): main and sub categories, search words, default
group, deadline, public or staff only, active; an unused category can be deleted, one in use is deactivated."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from engine.errors import InvalidInput
from handlers.category_admin import categories_in_order, main_categories, remove_category, save_category, usable_groups
from handlers.models import Category

from ..auth import requires
from ..i18n import translate
from . import bp

FIELDS = ("key", "name", "parent", "synonyms", "default_group", "deadline_days", "duplicate_days")


def _page(category: Category | None, errors: dict, values: dict, status: int = 200):
    return render_template("staff/admin_categories.html", categories=categories_in_order(), category=category,
                           mains=main_categories(), groups=usable_groups(), errors=errors, values=values), status


@bp.route("/beheer/categorieen", methods=["GET", "POST"])
@bp.route("/beheer/categorieen/<int:category_id>", methods=["GET", "POST"])
@requires("manage")
def admin_categories(category_id: int | None = None):
    """List the categories; create one or change one."""
    category = db.session.get(Category, category_id) if category_id else None
    if category_id and category is None:
        abort(404)
    if request.method == "GET":
        return _page(category, {}, {})
    form = request.form
    values = {name: form.get(name, "") for name in FIELDS}
    values |= {flag: "on" if form.get(flag) == "on" else "" for flag in ("public", "active", "allow_anonymous")}
    if category is not None:
        values.pop("key")
    try:
        saved = save_category(category, values, actor=current_user.username, user_id=current_user.id)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        category = db.session.get(Category, category_id) if category_id else None
        return _page(category, err.fields, values | {"_posted": "1"}, 422)
    flash(translate("Categorie {name} bewaard.", name=saved.name))
    return redirect(url_for("staff.admin_categories", category_id=saved.id))


@bp.route("/beheer/categorieen/<int:category_id>/verwijderen", methods=["POST"])
@requires("manage")
def admin_category_remove(category_id: int):
    """Delete an unused category; one that cases, rules or sub categories use is deactivated instead."""
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    if request.form.get("confirm") != "on":
        return _page(category, {"confirm": [translate("Vink aan dat u de categorie wilt verwijderen.")]}, {}, 422)
    name = category.name
    outcome = remove_category(category, actor=current_user.username, user_id=current_user.id)
    db.session.commit()
    if outcome == "deleted":
        flash(translate("Categorie {name} verwijderd.", name=name))
        return redirect(url_for("staff.admin_categories"))
    flash(translate("Categorie {name} is in gebruik en werd gedeactiveerd, niet verwijderd.", name=name))
    return redirect(url_for("staff.admin_categories", category_id=category_id))
