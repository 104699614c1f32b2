"""Ready-made answers: their administration (/werk/beheer/standaardantwoorden) and the choice on the task forms."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput
from handlers.models import HandlerGroup
from handlers.ready_answers import FORMS, ReadyAnswer, all_answers, answers_for, save_answer, usable_answers

from ..auth import requires
from ..i18n import translate
from . import bp


@bp.app_context_processor
def _ready_answer_choices() -> dict:
    def ready_answer_choices(form: str) -> list[ReadyAnswer]:
        """The answers the signed-in staff member may use in `form` (empty for anyone else)."""
        if not getattr(current_user, "is_authenticated", False) or not hasattr(current_user, "group_keys"):
            return []
        if "ready_answers" not in g:  # one statement per page, however many forms ask
            g.ready_answers = usable_answers(current_user)
        return answers_for(current_user, form, g.ready_answers)

    return {"ready_answer_choices": ready_answer_choices}


def _groups() -> list[HandlerGroup]:
    return list(db.session.scalars(select(HandlerGroup).where(HandlerGroup.kind != "external")
                                   .order_by(HandlerGroup.name)))


@bp.route("/beheer/standaardantwoorden", methods=["GET", "POST"])
@bp.route("/beheer/standaardantwoorden/<int:answer_id>", methods=["GET", "POST"])
@requires("manage")
def admin_ready_answers(answer_id: int | None = None):
    """List the ready-made answers; create one or change one."""
    answer = db.session.get(ReadyAnswer, answer_id) if answer_id else None
    if answer_id and answer is None:
        abort(404)
    errors: dict = {}
    values: dict = {}
    if request.method == "POST":
        form = request.form
        values = {"title": form.get("title", ""), "text_nl": form.get("text_nl", ""),
                  "text_en": form.get("text_en", ""),
                  "forms": form.getlist("forms"), "group": form.get("group", ""),
                  "active": "on" if form.get("active") == "on" else "", "_posted": "1"}
        try:
            saved = save_answer(answer, title=values["title"], text_nl=values["text_nl"], text_en=values["text_en"],
                                forms=values["forms"], group=values["group"], active=values["active"] == "on",
                                actor=current_user.username, user_id=current_user.id)
            db.session.commit()
            flash(translate("Standaardantwoord {title} bewaard.", title=saved.title))
            return redirect(url_for("staff.admin_ready_answers", answer_id=saved.id))
        except InvalidInput as err:
            db.session.rollback()
            errors = err.fields
            answer = db.session.get(ReadyAnswer, answer_id) if answer_id else None
    return render_template("staff/admin_ready_answers.html", answers=all_answers(), answer=answer, forms=FORMS,
                           groups=_groups(), errors=errors, values=values), (422 if errors else 200)
