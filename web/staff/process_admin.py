"""/werk/beheer/processen: the process models, their versions, which one new cases use; check, deploy, choose.

The check and deploy endpoints are also what the in-browser modeler calls (form field `xml`, JSON answers
with `Accept: application/json`); the upload form posts a file (`file`) to the same deploy endpoint.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from engine.db import db
from engine.deploy import MAX_BPMN_BYTES, problems_of
from engine.errors import DeployError, NotFound
from handlers import process_admin
from handlers.permissions import may

from ..auth import requires
from ..i18n import translate
from . import bp

# A model larger than MAX_BPMN_BYTES must still reach the check, which says so in words (not a bare 413).
MAX_MODEL_REQUEST = 64 * 1024 * 1024
BODY_ENDPOINTS = ("staff.admin_process_check", "staff.admin_process_deploy")


@bp.url_value_preprocessor
def _allow_large_models(endpoint: Optional[str], _values: Optional[dict[str, Any]]) -> None:
    # Runs before the app-wide CSRF check, which is the first to read the body; only for admins.
    if (request.method == "POST" and endpoint in BODY_ENDPOINTS and current_user.is_authenticated
            and may(current_user, "manage")):
        request.max_content_length = MAX_MODEL_REQUEST
        request.max_form_memory_size = MAX_MODEL_REQUEST


def _known(key: str) -> process_admin.ProcessRow:
    process = process_admin.process(key)
    if process is None:
        abort(404)
    return process


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or (
        request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"])


def _submitted() -> tuple[bytes, str]:
    """The model's bytes and file name: the upload form's `file`, else the modeler's `xml` text."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read(), upload.filename
    return request.form.get("xml", "").encode("utf-8"), ""


def _no_model() -> list[dict[str, object]]:
    return [{"element_id": None, "element_name": None, "line": None,
             "message": translate("Kies een BPMN-bestand (.bpmn) om op te laden.")}]


def _translated(problems: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for problem in problems:
        text = problem["message"]
        out.append({**problem, "message": translate(text) if isinstance(text, str) else text})
    return out


@bp.get("/beheer/processen")
@requires("manage")
def admin_processes():
    """Every process with its versions, the one new cases start on, and an upload form per process."""
    return render_template("staff/admin_processes.html", processes=process_admin.overview(),
                           max_mb=MAX_BPMN_BYTES // (1024 * 1024))


def _version_page(key: str, number: int, status: int = 200, **context: Any):
    process = _known(key)
    row = next((v for v in process.versions if v.version == number), None)
    if row is None:
        abort(404)
    context.setdefault("problems", [])
    context.setdefault("uploaded_xml", None)
    return render_template("staff/admin_process_version.html", process=process, v=row,
                           max_mb=MAX_BPMN_BYTES // (1024 * 1024), **context), status


@bp.get("/beheer/processen/<key>/versies/<int:number>")
@requires("manage")
def admin_process_version(key: str, number: int):
    """One version: its diagram (bpmn-js viewer), details, download, and "terugzetten" when not in use."""
    return _version_page(key, number)


@bp.get("/beheer/processen/<key>/versies/<int:number>.bpmn")
@requires("manage")
def admin_process_download(key: str, number: int):
    """The XML of one version, byte for byte as deployed."""
    definition = process_admin.version(key, number)
    if definition is None:
        abort(404)
    response = make_response(definition.xml.encode("utf-8"))
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response


@bp.post("/beheer/processen/<key>/versies/<int:number>/activeren")
@requires("manage")
def admin_process_activate(key: str, number: int):
    """Make this version the one new cases start on ("terugzetten" / "in gebruik nemen"); audited."""
    _known(key)
    try:
        process_admin.activate_version(key, number, current_user.username, current_user.id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(translate("Versie {version} van '{key}' is in gebruik: nieuwe dossiers starten erop. Lopende dossiers "
                    "blijven op hun eigen versie.", version=number, key=key))
    return redirect(url_for("staff.admin_process_version", key=key, number=number), 303)


@bp.post("/beheer/processen/<key>/controleren")
@requires("manage")
def admin_process_check(key: str):
    """Check a model without deploying it: {"ok", "problems": [{element_id, element_name, line, message}]}."""
    _known(key)
    xml, filename = _submitted()
    problems = _translated(process_admin.check(xml, filename or f"{key}.bpmn", key)) if xml else _no_model()
    return jsonify({"ok": not problems, "problems": problems})


@bp.post("/beheer/processen/<key>/in-gebruik-nemen")
@requires("manage")
def admin_process_deploy(key: str):
    """Check and deploy a model as the version new cases use: JSON for the modeler, a page for the upload."""
    process = _known(key)
    xml, filename = _submitted()
    problems: list[dict[str, object]] = [] if xml else _no_model()
    definition = None
    if xml:
        try:
            definition, created = process_admin.deploy_model(xml, filename or f"{key}.bpmn", key,
                                                             current_user.username, current_user.id)
            db.session.commit()
        except DeployError as err:
            db.session.rollback()
            problems = _translated(problems_of(err))
    if definition is not None:
        url = url_for("staff.admin_process_version", key=key, number=definition.version)
        if _wants_json():
            return jsonify({"ok": True, "version": definition.version, "url": url, "created": created})
        flash(translate("Versie {version} van '{key}' is in gebruik genomen: nieuwe dossiers starten erop.",
                        version=definition.version, key=key) if created else
              translate("Dit model is al in gebruik als versie {version} van '{key}'.",
                        version=definition.version, key=key))
        return redirect(url, 303)
    if _wants_json():
        return jsonify({"ok": False, "problems": problems}), 422
    shown = xml.decode("utf-8", "replace") if xml and len(xml) <= MAX_BPMN_BYTES else None
    return render_template("staff/admin_processes.html", processes=process_admin.overview(),
                           max_mb=MAX_BPMN_BYTES // (1024 * 1024), problems=problems, problem_key=process.key,
                           uploaded_xml=shown, uploaded_name=filename), 422
