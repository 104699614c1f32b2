"""Open311 GeoReport v2 at /open311/v2, in JSON and XML (the format is the URL's extension).

Reading is public; POST /requests needs `api_key` in the POST body: the key of an Open311 client app (see
intake/open311_keys.py). A key in the URL is refused, valid or not: URLs end up in access logs and proxies.
Errors use the spec's format: [{"code", "description"}] or <errors><error><code/><description/></error></errors>.
"""
from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, send_file

from engine.db import db
from engine.errors import EngineError
from engine.settings import settings
from handlers.files import open_file
from intake import open311

from .outage import is_outage, outage_response
from .rate_limits import count_request

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Element name of the items of a list, in XML.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format"}


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise open311.Open311Error(400, f"unknown format '{fmt}': use .json or .xml")
    return fmt


def _xml_value(parent: ET.Element, tag: str, value: Any) -> None:
    if value is None:
        return
    element = ET.SubElement(parent, tag)
    _xml_fill(element, tag, value)


def _xml_fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_value(element, key, child)
    elif isinstance(value, list):
        for item in value:
            _xml_value(element, ITEM_TAGS[tag], item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _prune(value: Any) -> Any:
    """Drop null fields: the contract's types are plain strings and numbers, not nullable."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def render(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    """JSON as the spec shows it (lists stay lists), or XML under `root` (lists of `ITEM_TAGS[root]`)."""
    data = _prune(data)
    if fmt == "xml":
        element = ET.Element(root)
        _xml_fill(element, root, data)
        body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    else:
        body = json.dumps(data, ensure_ascii=False)
    return Response(body, status=status, content_type=FORMATS[fmt])


@bp.errorhandler(open311.Open311Error)
def _open311_error(err: open311.Open311Error):
    db.session.rollback()
    fmt = (request.view_args or {}).get("fmt")
    return render(fmt if fmt in FORMATS else "json", "errors",
                  [{"code": err.code, "description": err.description}], err.code)


@bp.errorhandler(EngineError)
def _engine_error(err: EngineError):
    if is_outage(err):
        return outage_response(err)
    db.session.rollback()
    status = err.status_code if err.status_code in (403, 404) else 400
    if err.status_code >= 500:
        status = err.status_code
    return _open311_error(open311.Open311Error(status, err.message))


def _base_url() -> str:
    root = settings().base_url or request.host_url
    return root.rstrip("/") + (bp.url_prefix or "")


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    return render(_fmt(fmt), "discovery", open311.discovery(_base_url()))


@bp.get("/services.<fmt>")
def services(fmt: str):
    return render(_fmt(fmt), "services", open311.services())


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    _fmt(fmt)
    return render(fmt, "service_definition", open311.service_definition(code))


def _absolute_media(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = _base_url()
    for row in rows:
        if row.get("media_url"):
            row["media_url"] = base + row["media_url"]
    return rows


@bp.get("/requests.<fmt>")
def requests_list(fmt: str):
    _fmt(fmt)
    return render(fmt, "service_requests", _absolute_media(open311.find_requests(request.args)))


@bp.post("/requests.<fmt>")
def requests_create(fmt: str):
    _fmt(fmt)
    hit = count_request("open311", "MELDPUNT_OPEN311_RATE")
    if not hit.allowed:
        response = render(fmt, "errors", [{"code": 429, "description": "too many service requests from this "
                                           f"client; try again in {hit.retry_after} seconds"}], 429)
        response.headers["Retry-After"] = str(hit.retry_after)
        return response
    if "api_key" in request.args:
        raise open311.Open311Error(400, "api_key is not accepted in the URL: send it in the POST body (form field "
                                        "api_key). A key that was in a URL may be in access logs now; ask the "
                                        "administrator for a new one.")
    created = open311.create_request(request.form, request.form.get("api_key"))
    return render(fmt, "service_requests", [created])


@bp.get("/requests/<reference>.<fmt>")
def request_one(reference: str, fmt: str):
    _fmt(fmt)
    return render(fmt, "service_requests", _absolute_media([open311.find_request(reference)]))


@bp.get("/requests/<reference>/media/<token>")
def request_media(reference: str, token: str):
    """A photo of the request that staff published, by its unguessable token (what media_url points to)."""
    photo = open311.public_photo(reference, token)
    return send_file(open_file(photo), mimetype=photo.content_type, max_age=0)


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str):
    """Any other path under /open311/v2: a 404 in the spec's format (XML when the path ends in .xml)."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return render(fmt, "errors", [{"code": 404, "description": f"no such resource: {rest}"}], 404)
