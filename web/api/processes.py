"""Process models in the staff API, for administrators: list versions, check, deploy, choose the one in use."""
from __future__ import annotations

from typing import Any, Optional

from flask import g, jsonify, make_response, request, url_for

from engine.db import db
from engine.deploy import problems_of
from engine.errors import DeployError, InvalidInput, NotFound
from engine.i18n import N_, Phrase
from handlers import process_admin
from handlers.permissions import require

from . import bp
from .auth import token_required
from .common import BadRequest

MAX_MODEL_REQUEST = 64 * 1024 * 1024  # larger than a model may be, so that the check says why


def _version_json(v: process_admin.VersionRow) -> dict[str, Any]:
    return {"version": v.version, "deployed_at": v.deployed_at.isoformat(), "deployed_by": v.deployed_by,
            "origin": v.origin, "filename": v.filename, "sha256": v.sha256, "cases": v.cases, "active": v.active,
            "download_url": url_for("staff.admin_process_download", key=v.key, number=v.version),
            "xml_url": url_for("api.process_version_xml", key=v.key, number=v.version)}


def _process_json(p: process_admin.ProcessRow) -> dict[str, Any]:
    return {"key": p.key, "active_version": p.active_version, "chosen_by_city": p.chosen_by == "city",
            "versions": [_version_json(v) for v in p.versions]}


def _model() -> tuple[bytes, str]:
    """The BPMN text: the raw body (application/xml, text/xml or a .bpmn file's bytes) or JSON {"xml": "..."}."""
    request.max_content_length = MAX_MODEL_REQUEST
    filename = request.args.get("filename", "")[:255]
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("xml"), str):
            raise InvalidInput("send the model as the body (Content-Type: application/xml) or as JSON {\"xml\": ...}",
                               {"xml": ["required: the BPMN text"]})
        return data["xml"].encode("utf-8"), filename or str(data.get("filename") or "")[:255]
    body = request.get_data(cache=False)
    if not body:
        raise BadRequest("the request body is empty: send the BPMN file as the body")
    return body, filename


def _refused(problems: list[dict[str, Any]]):
    messages = [str(p["message"]) for p in problems]
    return jsonify({"error": "DeployError", "message": "; ".join(messages[:5]), "ok": False,
                    "problems": problems, "fields": {"xml": messages}}), 422


@bp.get("/v1/processes")
@token_required
def list_processes():
    """Every process with its versions (newest first), the one in use, origin and case counts."""
    require(g.user, "manage")
    return jsonify([_process_json(p) for p in process_admin.overview()])


@bp.post("/v1/processes")
@token_required
def deploy_process():
    """Check and deploy a model as the version new cases start on: 201 (200 when it is already in use)."""
    require(g.user, "manage")
    xml, filename = _model()
    key: Optional[str] = request.args.get("key") or None
    try:
        definition, created = process_admin.deploy_model(xml, filename or "api.bpmn", key, g.user.username,
                                                         g.user.id)
        db.session.commit()
    except DeployError as err:
        db.session.rollback()
        return _refused([{**p, "message": str(p["message"])} for p in problems_of(err)])
    row = next(v for v in process_admin.overview() if v.key == definition.key)
    return jsonify({"ok": True, "created": created, "key": definition.key, "version": definition.version,
                    "url": url_for("staff.admin_process_version", key=definition.key, number=definition.version),
                    "process": _process_json(row)}), 201 if created else 200


@bp.post("/v1/processes/<key>/check")
@token_required
def check_process(key: str):
    """Every problem that would stop this model's deploy; never deploys."""
    require(g.user, "manage")
    xml, filename = _model()
    problems = process_admin.check(xml, filename or f"{key}.bpmn", key)
    return jsonify({"ok": not problems, "problems": [{**p, "message": str(p["message"])} for p in problems]})


@bp.get("/v1/processes/<key>/versions/<int:number>")
@token_required
def process_version_xml(key: str, number: int):
    """The XML of one stored version, byte for byte as deployed (the page's download, for a token)."""
    require(g.user, "manage")
    definition = process_admin.version(key, number)
    if definition is None:
        raise NotFound(Phrase(N_("Proces '{key}' heeft geen versie {version}."), key=key, version=number))
    response = make_response(definition.xml.encode("utf-8"))
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response


@bp.post("/v1/processes/<key>/versions/<int:number>/activate")
@token_required
def activate_process_version(key: str, number: int):
    """Make a stored version the one new cases start on (running cases stay on theirs)."""
    require(g.user, "manage")
    process_admin.activate_version(key, number, g.user.username, g.user.id)
    db.session.commit()
    row = next(v for v in process_admin.overview() if v.key == key)
    return jsonify(_process_json(row))
