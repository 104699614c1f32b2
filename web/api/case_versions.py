"""Moving running cases to another version of their process, in the staff API (admins only)."""
from __future__ import annotations

from flask import g, jsonify
from marshmallow import fields, validate

from engine.errors import InvalidInput, NotFound
from handlers.case_versions import definition_version, label, move_cases, versions_of
from handlers.permissions import require

from . import bp
from .auth import token_required
from .common import json_body, load
from .schemas import Strict

MAX_REFERENCES = 1000


class CaseMoveIn(Strict):
    references = fields.List(fields.String(validate=validate.Length(min=1, max=30)),
                             validate=validate.Length(max=MAX_REFERENCES))
    dry_run = fields.Boolean(load_default=False)
    from_version = fields.Integer(data_key="from", strict=True, validate=validate.Range(min=1, max=2**31 - 1))


@bp.post("/v1/processes/<key>/versions/<int:version>/move")
@token_required
def move_to_version(key: str, version: int):
    """Check (dry_run) or move running cases of other versions of `key` to version `version`, per case."""
    require(g.user, "manage")
    if not 1 <= version <= 2**31 - 1 or len(key) > 100:
        raise NotFound(f"process '{key[:100]}' has no version {version}")
    target = definition_version(key, version)  # 404 for an unknown process or version
    body = load(CaseMoveIn(), json_body())
    if body.get("from_version") is not None:
        sources = [v for v in versions_of(key) if v.version == body["from_version"]]
        if not sources:
            raise InvalidInput("unknown source version", {"from": [f"'{key}' has no version {body['from_version']}"]})
    else:
        sources = [v for v in versions_of(key) if v.id != target.id]
    report = []
    for source in sources:
        if source.id == target.id:
            raise InvalidInput("source and target are the same", {"from": ["choose another version than the target"]})
        report += move_cases(source, target, g.user, body.get("references"), dry_run=body["dry_run"])
    if body.get("references") is not None:  # a reference running on none of the sources is reported once
        running = {v.reference for v in report if v.codes != ["not_running_here"]}
        seen: set[str] = set()
        kept = []
        for verdict in report:
            if verdict.codes == ["not_running_here"]:
                if verdict.reference in running or verdict.reference in seen:
                    continue
                seen.add(verdict.reference)
                verdict.source = "?"
            kept.append(verdict)
        report = kept
    return jsonify({"process": key, "to": label(target), "dry_run": body["dry_run"],
                    "moved": sum(v.moved for v in report), "cases": [v.as_dict() for v in report]})
