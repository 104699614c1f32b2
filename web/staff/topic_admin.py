"""Administration of the general contact topics (/werk/beheer/onderwerpen, issue #16): list, add, rename, reorder
and deactivate; a topic is never deleted and its key never changes (handlers/contact_topic_admin.py)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from engine.errors import InvalidInput
from handlers.contact_models import ContactTopic
from handlers.contact_topic_admin import next_position, save_topic, topics_in_order

from ..auth import requires
from ..i18n import translate
from . import bp

FIELDS = ("key", "name", "position")


def _page(topic: ContactTopic | None, errors: dict, values: dict, status: int = 200):
    return render_template("staff/admin_topics.html", topics=topics_in_order(), topic=topic, errors=errors,
                           values=values, next_position=next_position()), status


@bp.route("/beheer/onderwerpen", methods=["GET", "POST"])
@bp.route("/beheer/onderwerpen/<int:topic_id>", methods=["GET", "POST"])
@requires("manage")
def admin_topics(topic_id: int | None = None):
    """List the general contact topics; create one or change one."""
    topic = db.session.get(ContactTopic, topic_id) if topic_id else None
    if topic_id and topic is None:
        abort(404)
    if request.method == "GET":
        return _page(topic, {}, {})
    form = request.form
    values = {name: form.get(name, "") for name in FIELDS}
    values["active"] = "on" if form.get("active") == "on" else ""
    if topic is not None:
        values.pop("key")
    try:
        saved = save_topic(topic, values, actor=current_user.username, user_id=current_user.id)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        topic = db.session.get(ContactTopic, topic_id) if topic_id else None
        return _page(topic, err.fields, values | {"_posted": "1"}, 422)
    flash(translate("Onderwerp {name} bewaard.", name=translate(saved.name)))
    return redirect(url_for("staff.admin_topics", topic_id=saved.id))
