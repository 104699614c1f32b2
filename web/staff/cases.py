"""The case page and what staff do on it: complete a task, take, take over, assign, hand over, files."""
from __future__ import annotations

import re
from typing import cast
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from engine import registry, statuses
from engine.db import db
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput
from engine.i18n import N_
from engine.ids import parse_id
from engine.models import Case, CaseFile, WorkItem
from engine.task_completion import complete_work_item
from engine.timeline import events_of
from engine.workitems import task_form_fields
from handlers import answer_return, assignment, case_corrections
from handlers.categories import category_choices
from handlers.files import open_file, store_file
from handlers.groups import assignable_users
from handlers.merged_cases import normalise_reference
from handlers.models import Category, HandlerGroup
from handlers.nearby import nearby_meldingen
from handlers.permissions import ALL, may, scope
from handlers.reporter_view import reporter_names, without_reporter_data

from .. import form_tokens
from ..auth import requires
from ..error_texts import error_message
from ..i18n import translate
from . import bp


def _case_or_404(reference: str, *options) -> Case:
    case = db.session.scalar(select(Case).where(Case.reference == normalise_reference(reference)).options(*options))
    if case is None:
        abort(404)
    if not may(current_user, "case.see", case):
        abort(403)
    return case


def _back(reference: str):
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return redirect(target)
    return redirect(url_for("staff.case", reference=reference))


def form_values(item: WorkItem) -> dict:
    """The submitted fields that belong to the task's form (built in, or declared by the model); empty inputs
    count as not given."""
    schema = registry.get_form(item.form_key)
    declared = task_form_fields(item) if schema is None else ()
    names = set(schema.fields) if schema is not None else {d.name for d in declared} | ({"note"} if declared else set())
    values = {k: v.strip() for k, v in request.form.items() if k in names and v.strip() != ""}
    for decl in declared:  # a decimal comma ("2,5"), as people here write numbers
        if decl.type == "number" and DECIMAL_COMMA.fullmatch(values.get(decl.name, "")):
            values[decl.name] = values[decl.name].replace(",", ".")
    return values


DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def other_cases_of(case: Case, limit: int = 20):
    """The reporter's other cases, newest first, without their process state (kilobytes each, not shown): a reporter
    may have thousands (ix_cases_reporter_id_id gives the newest `limit` without reading the others)."""
    return (select(Case).options(defer(Case.state)).where(Case.reporter_id == case.reporter_id, Case.id != case.id)
            .order_by(Case.id.desc()).limit(limit))


def render_case(case: Case, errors: dict | None = None, values: dict | None = None, status: int = 200):
    """The case page: facts, reporter (by role), timeline, files, and the forms of its waiting work."""
    items = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open")
                               .order_by(WorkItem.id)).all()
    g.open_items = items  # the "antwoord ontvangen" mark is cleared from these (case view)
    other_cases = []
    if case.reporter_id and may(current_user, "case.see_contact", case):
        other_cases = [c for c in db.session.scalars(other_cases_of(case)) if may(current_user, "case.see", c)]
    groups = _active_groups()
    files = db.session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)).all()
    categories = category_choices(main=False)  # "main › name", public or staff only
    # The reporting role sees the facts and the public timeline only: no reporter texts, notes or files.
    reporter_data = may(current_user, "reporter_data.see")
    nearby, triage = nearby_cases(case), None
    if case.kind == "melding":  # "Markeer als dubbel": the triage form's duplicate decision, one click per row
        triage = next((i for i in items if i.form_key == "triage" and may(current_user, "work.do", i)), None)
    return render_template(
        "staff/case.html", case=case, items=items, files=files if reporter_data else [],
        events=events_of(case.id) if reporter_data else without_reporter_data(events_of(case.id), reporter_names(case)),
        label=statuses.label, show_reporter_data=reporter_data, may_publish=may(current_user, "case.publish", case),
        show_contact=may(current_user, "case.see_contact", case), other_cases=other_cases, errors=errors or {},
        values=values or {}, internal_groups=[g for g in groups if g.kind == "internal"],
        contractors=[g for g in groups if g.kind == "external"], categories=categories,
        assignable={item.id: assignable_users(item.group) for item in items},
        mark_label=answer_return.mark_label, nearby=nearby, triage=triage,
        model_forms={item.id: task_form_fields(item) for item in items},
        may_correct=may(current_user, "case.correct", case)), status


def nearby_cases(case: Case) -> list | None:
    """The open and recent meldingen of the case's category near its point (handlers/nearby.py), as far as the
    user may see them; None when the case has no point or the user may not see its neighbours."""
    if case.lat is None or case.lon is None or not may(current_user, "case.nearby", case):
        return None
    groups = None if scope(current_user, "case.nearby") == ALL else [g.id for g in current_user.groups]
    return nearby_meldingen(case.lat, case.lon, category=case.category, exclude_case_id=case.id, group_ids=groups)


def _active_groups() -> list[HandlerGroup]:
    """The active groups, by name, once per request: loaded before the case, they also answer the case's,
    its suggestion's and its work items' group without a statement each (the session's identity map)."""
    if "active_groups" not in g:
        g.active_groups = db.session.scalars(select(HandlerGroup).where(HandlerGroup.active.is_(True))
                                             .order_by(HandlerGroup.name)).all()
    return g.active_groups


@bp.get("/dossier/<reference>")
@requires("staff.use")
def case(reference: str):
    """Everything about one case, and the forms of the work waiting on it."""
    _active_groups()
    # the page shows the reporter and "main › category": no statement of their own
    case = _case_or_404(reference, joinedload(Case.reporter), joinedload(Case.category).joinedload(Category.parent))
    page = render_case(case)  # still shows "antwoord ontvangen" this once
    answer_return.acknowledge_seen(case.id, current_user.id, g.get("open_items"))
    return page


@bp.post("/dossier/<reference>/taak/<int:item_id>")
@requires("staff.use")
def complete_task(reference: str, item_id: int):
    """Complete a waiting task with the submitted form; errors come back on the page with what was typed."""
    case = _case_or_404(reference)
    item = db.session.get(WorkItem, item_id)
    if item is None or item.case_id != case.id:
        abort(404)
    title = item.title
    sent = form_tokens.posted(f"task:{item_id}")
    if sent.token is not None and sent.token.earlier() is not None:  # sent before: the back button, a double click
        return _already_done(reference, title)
    values = form_values(item)
    if sent.invalid:
        return render_case(case, errors={item_id: {"_schema": [translate(EXPIRED)]}}, values={item_id: values},
                           status=422)
    try:
        # The token is claimed in the transaction that completes the task; a second send finds it taken.
        if sent.token is not None and sent.token.claim(case=reference).earlier is not None:
            return _already_done(reference, title)
        values.update(_uploaded_files(case, item))
        complete_work_item(item_id, current_user, values)
    except InvalidInput as err:
        db.session.rollback()  # the form may be corrected and sent again with the same token
        return render_case(case, errors={item_id: err.fields}, values={item_id: values}, status=422)
    except Forbidden:
        db.session.rollback()
        abort(403)
    except Conflict:
        db.session.rollback()
        still_open = db.session.scalar(select(WorkItem.status).where(WorkItem.id == item_id)) == "open"
        flash(translate("Niet opgeslagen: het dossier werd tegelijk door iemand anders gewijzigd. Probeer opnieuw.")
              if still_open else translate("Niet opgeslagen: deze taak werd intussen al afgewerkt."), "error")
        return redirect(url_for("staff.case", reference=reference))
    flash(translate("{title}: opgeslagen.", title=title))
    return _back(reference)


def _uploaded_files(case: Case, item: WorkItem) -> dict:
    """The files chosen for the file fields of a model-declared form, stored on the case (in the transaction
    that completes the task); the field's value is the stored file's id."""
    stored = {}
    for decl in task_form_fields(item):
        upload = request.files.get(decl.name) if decl.type == "file" else None
        if upload is None or not upload.filename:
            continue
        row = store_file(case, upload.read(), upload.filename, source="medewerker",
                         uploaded_by=current_user.display_name, field=decl.name)
        db.session.flush()
        stored[decl.name] = row.id
    return stored


EXPIRED = N_("Het formulier was verlopen; er werd niets opgeslagen. Controleer en verstuur opnieuw.")


def _already_done(reference: str, title: str):
    """The case page after a form that was sent (and done) before: nothing happened twice."""
    db.session.rollback()
    flash(translate("{title}: al verwerkt (het formulier werd een tweede keer verstuurd; er gebeurde niets "
                    "dubbel).", title=title))
    return redirect(url_for("staff.case", reference=reference))


def _assignment_action(item_id: int, action, *args):
    item = db.session.get(WorkItem, item_id)
    if item is None:
        abort(404)
    reference = item.case.reference
    try:
        action(item_id, current_user, *args)
        flash(translate("Opgeslagen."))
    except Forbidden:
        abort(403)
    except EngineError as err:
        db.session.rollback()
        flash(error_message(err), "error")
    return _back(cast(str, reference))  # every case has a reference


@bp.post("/taak/<int:item_id>/opnemen")
@requires("staff.use")
def take(item_id: int):
    """Put a work item on your own name."""
    return _assignment_action(item_id, assignment.take)


@bp.post("/taak/<int:item_id>/overnemen")
@requires("staff.use")
def take_over(item_id: int):
    """Take a work item over from a colleague."""
    return _assignment_action(item_id, assignment.take_over, request.form.get("note") or None)


@bp.post("/taak/<int:item_id>/toewijzen")
@requires("staff.use")
def assign(item_id: int):
    """Give a work item to a colleague of the group."""
    item = db.session.get(WorkItem, item_id)
    if item is None:
        abort(404)
    if not may(current_user, "work.do", item):
        abort(403)
    assignee_id = parse_id(request.form.get("assignee", ""))
    if assignee_id is None:
        flash(translate("Kies een collega."), "error")
        return _back(cast(str, item.case.reference))  # every case has a reference
    return _assignment_action(item_id, assignment.assign, assignee_id)


@bp.post("/dossier/<reference>/overdragen")
@requires("staff.use")
def hand_over(reference: str):
    """Warm handover to another group, with a note."""
    case = _case_or_404(reference)
    try:
        assignment.hand_over(case.id, current_user, request.form.get("group", ""), request.form.get("note", ""))
    except Forbidden:
        abort(403)
    except InvalidInput as err:
        db.session.rollback()
        return render_case(case, errors={"handover": err.fields}, values={"handover": dict(request.form)},
                           status=422)
    except EngineError as err:
        db.session.rollback()
        flash(error_message(err), "error")
        return redirect(url_for("staff.case", reference=reference))
    flash(translate("Overgedragen."))
    if may(current_user, "case.hand_over", case):
        return redirect(url_for("staff.case", reference=reference))
    return redirect(url_for("staff.home"))


@bp.post("/dossier/<reference>/corrigeren")
@requires("staff.use")
def correct_case(reference: str):
    """Correct the location, category or description (handlers/case_corrections.py); each change is an event."""
    case = _case_or_404(reference)
    if not may(current_user, "case.correct", case):
        abort(403)
    form = request.form
    names = ("address", "lat", "lon")
    location = {name: form.get(name, "") for name in names} if any(name in form for name in names) else None
    try:
        case_corrections.correct(case, current_user, location=location, category=form.get("category") or None,
                                 description=form.get("description"))
    except Forbidden:
        abort(403)
    except InvalidInput as err:
        db.session.rollback()
        return render_case(case, errors={"correct": err.fields}, values={"correct": dict(form)}, status=422)
    except Conflict:
        db.session.rollback()
        flash(translate("Niet opgeslagen: het dossier werd tegelijk door iemand anders gewijzigd. Probeer opnieuw."),
              "error")
        return redirect(url_for("staff.case", reference=reference))
    flash(translate("Correctie opgeslagen."))
    return redirect(url_for("staff.case", reference=reference))


@bp.get("/dossier/<reference>/bestand/<int:file_id>")
@requires("staff.use")
def case_file(reference: str, file_id: int):
    """Download a file of the case (only for staff who may see the case, and never for the reporting role)."""
    case = _case_or_404(reference)
    if not may(current_user, "case.open_files", case):
        abort(403)
    stored = db.session.get(CaseFile, file_id)
    if stored is None or stored.case_id != case.id:
        abort(404)
    return send_file(open_file(stored), mimetype=stored.content_type, download_name=stored.filename,
                     as_attachment=not stored.content_type.startswith("image/"))
