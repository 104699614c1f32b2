"""Moving running cases to another version of their process: the admin page per process and the case page form.

/werk/beheer/processen/<key>/verplaatsen: choose a source and a target version, "Controleren" lists every
running case of the source with its verdict, "Verplaatsen" moves the ticked (or all movable) cases and shows
the report. The case page has a small form for admins (web/templates/staff/_case_version.html). The rules and
the audit are in handlers/case_versions.py.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine import statuses
from engine.db import db
from engine.errors import EngineError
from engine.models import Case, ProcessDefinition
from handlers.case_versions import Verdict, label, move, move_cases, versions_of
from handlers.merged_cases import normalise_reference
from handlers.permissions import may

from ..auth import requires
from ..error_texts import error_message
from ..i18n import translate
from . import bp

MAX_VERSION = 2**31 - 1


def _rows(report: list[Verdict]) -> list[dict[str, Any]]:
    return [{"reference": v.reference, "status": v.status, "movable": v.movable, "moved": v.moved,
             "reasons": [translate(r) for r in v.reasons], "source": v.source} for v in report]


def _version(versions: list[ProcessDefinition], raw: Optional[str]) -> Optional[ProcessDefinition]:
    raw = (raw or "").strip().removeprefix("v")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_VERSION:
        return None
    return next((v for v in versions if v.version == int(raw)), None)


@bp.route("/beheer/processen/<key>/verplaatsen", methods=["GET", "POST"])
@requires("manage")
def admin_case_versions(key: str):
    """Check, then move running cases of one version of process `key` to another version."""
    versions = versions_of(key[:100])
    if not versions:
        abort(404)
    counts = dict(db.session.execute(
        select(Case.definition_id, func.count()).where(Case.definition_id.in_([v.id for v in versions]),
                                                       Case.completed.is_(False))
        .group_by(Case.definition_id)).tuples().all())
    args = request.form if request.method == "POST" else request.args
    chosen = {"van": args.get("van", ""), "naar": args.get("naar", "")}
    errors: dict[str, str] = {}
    report: list[dict[str, Any]] = []
    moved = None
    status = 200
    if chosen["van"] or chosen["naar"] or request.method == "POST":
        source, target = _version(versions, chosen["van"]), _version(versions, chosen["naar"])
        for name, found in (("van", source), ("naar", target)):
            if found is None:
                errors[name] = translate("Deze versie bestaat niet.")
        if source is not None and target is not None and source.id == target.id:
            errors["naar"] = translate("Kies een andere versie dan de bronversie.")
        ticked = [r for r in request.form.getlist("zaak") if r.strip()] if request.method == "POST" else []
        everything = request.form.get("alles") == "1"
        if request.method == "POST" and not errors and not ticked and not everything:
            errors["zaak"] = translate("Vink minstens één zaak aan, of kies 'Alle verplaatsbare verplaatsen'.")
        if errors:
            status = 422 if request.method == "POST" else 200
        elif source is not None and target is not None:
            try:
                verdicts = move_cases(source, target, current_user, None if everything else (ticked or None),
                                      dry_run=request.method != "POST")
            except EngineError as err:
                db.session.rollback()
                errors["naar"] = error_message(err)
                status = 422
            else:
                report = _rows(verdicts)
                if request.method == "POST":
                    moved = sum(v.moved for v in verdicts)
    return render_template("staff/admin_case_versions.html", key=key, versions=versions, counts=counts,
                           chosen=chosen, errors=errors, report=report, moved=moved,
                           posted=request.method == "POST", label=statuses.label), status


@bp.app_template_global()
def case_version_targets(case: Case) -> list[ProcessDefinition]:
    """The other versions of a case's process an admin may move it to (empty for others and finished cases)."""
    if not current_user.is_authenticated or not may(current_user, "manage") or case.completed:
        return []
    current = db.session.get(ProcessDefinition, case.definition_id)
    if current is None:
        return []
    return [v for v in versions_of(current.key) if v.id != current.id]


@bp.app_template_global()
def case_version_label(case: Case) -> str:
    """'melding v1': the version a case runs on."""
    current = db.session.get(ProcessDefinition, case.definition_id)
    return label(current) if current is not None else "?"


@bp.post("/dossier/<reference>/versie")
@requires("manage")
def case_version_move(reference: str):
    """Move one case to another version of its process (admin), or say why it cannot."""
    case = db.session.scalar(select(Case).where(Case.reference == normalise_reference(reference)[:30]))
    if case is None:
        abort(404)
    current = db.session.get(ProcessDefinition, case.definition_id)
    target = _version(versions_of(current.key), request.form.get("naar")) if current is not None else None
    if target is None:
        flash(translate("Deze versie bestaat niet."), "error")
        return redirect(url_for("staff.case", reference=case.reference))
    try:
        verdict = move(case, target, current_user)
    except EngineError as err:
        db.session.rollback()
        flash(error_message(err), "error")
        return redirect(url_for("staff.case", reference=reference))
    if verdict.moved:
        flash(translate("Verplaatst naar {target}.", target=verdict.target))
    else:
        flash(translate("Niet verplaatst: {reasons}", reasons="; ".join(translate(r) for r in verdict.reasons)),
              "error")
    return redirect(url_for("staff.case", reference=reference))

