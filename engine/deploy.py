"""Deploy BPMN files as immutable, versioned definitions, and keep their parsed specs cached.

Parsing is done once per definition per process: one spec object is shared by every case on it. Building a
spec (XSD validation and SpiffWorkflow's parser, the costly part) is also remembered by the file's sha256,
name and process id, so deploying or loading the same content again (another definition row with the same
XML, a fresh database in the same process) reuses the parsed spec; a changed file is parsed anew.
"""
from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, cast

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select

from . import model_forms, registry
from .db import db
from .errors import DeployError, NotFound
from .lint import NS, lint
from .models import ProcessDefinition

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
MAX_BPMN_BYTES = 5 * 1024 * 1024
MAX_KEY = 100  # process_definitions.key
MAX_FINDINGS_SHOWN = 5

# No entity expansion, no network, no giant trees: BPMN comes from admins, but files travel.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)

_cache: dict[int, tuple[Any, Any]] = {}  # (spec, subprocess specs): SpiffWorkflow has no type stubs
_cache_lock = threading.Lock()

# Built specs by (sha256 of the XML, file name, process id), newest use last; a few dozen at most.
_built: OrderedDict[tuple[str, str, str], tuple[Any, Any]] = OrderedDict()
MAX_BUILT = 32
build_stats = {"built": 0, "reused": 0}  # how often build_spec parsed, and how often it reused a spec


def parse_document(xml: bytes, filename: str) -> etree._Element:
    """Parse XML safely; a DOCTYPE (the door to entity tricks) is refused outright."""
    if len(xml) > MAX_BPMN_BYTES:
        raise DeployError(f"file is larger than {MAX_BPMN_BYTES // (1024 * 1024)} MB", filename)
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DeployError("the file must be UTF-8 encoded (save it as UTF-8 in the modeler)", filename) from err
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError as err:
        raise DeployError(f"not well-formed XML: {err}", filename) from err
    if root.getroottree().docinfo.doctype:
        raise DeployError("DOCTYPE declarations are not allowed in BPMN files", filename)
    return root


def choose_process(root: etree._Element, filename: str, process_id: Optional[str] = None) -> str:
    """The process to deploy: the one named, else the only executable one, else the only one."""
    processes = root.findall(".//bpmn:process", NS)
    for process in processes:
        if not process.get("id"):
            raise DeployError(f"a bpmn:process without an id (line {process.sourceline})", filename)
        if len(process.get("id", "")) > MAX_KEY:
            raise DeployError(f"process id longer than {MAX_KEY} characters", filename, process.get("id", "")[:40])
    ids = [p.get("id", "") for p in processes]
    if process_id:
        if process_id not in ids:
            raise DeployError(f"process '{process_id}' not found; the file has: {', '.join(ids) or 'none'}",
                              filename)
        return process_id
    executable = [p.get("id", "") for p in processes if p.get("isExecutable") == "true"]
    if len(executable) == 1:
        return executable[0]
    if len(processes) == 1:
        return ids[0]
    if not processes:
        raise DeployError("the file contains no bpmn:process", filename)
    raise DeployError(f"the file has {len(processes)} processes ({', '.join(ids)}); name the one to deploy",
                      filename)


def build_spec(root: etree._Element, filename: str, process_id: str, sha256: Optional[str] = None) -> tuple[Any, Any]:
    """Validate against the BPMN XSD and build (spec, subprocess_specs); errors name the element.

    With the sha256 of the XML the result is remembered, and the same content is not parsed again."""
    if sha256 is None:
        return _build_spec(root, filename, process_id)
    key = (sha256, Path(filename).name, process_id)
    with _cache_lock:
        built = _built.get(key)
        if built is not None:
            _built.move_to_end(key)
            build_stats["reused"] += 1
    if built is None:
        built = _build_spec(root, filename, process_id)
        with _cache_lock:
            _built[key] = built
            build_stats["built"] += 1
            while len(_built) > MAX_BUILT:
                _built.popitem(last=False)
    spec, deps = built
    # A spec of its own per definition (it carries the definition id); the task specs inside are shared.
    return copy.copy(spec), deps


def _build_spec(root: etree._Element, filename: str, process_id: str) -> tuple[Any, Any]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename)
        spec = parser.get_spec(process_id)
        deps = parser.get_subprocess_specs(process_id)
    except ValidationException as err:
        element = getattr(err, "id", "") or getattr(err, "tag", "") or None
        line = getattr(err, "line_number", "")
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DeployError(msg + (f" (line {line})" if line else ""), filename, element) from err
    except Exception as err:  # the parser raises bare KeyError/TypeError on unsupported constructs
        raise DeployError(f"not supported by the engine: {type(err).__name__}: {err}", filename) from err
    return spec, deps


def deploy(xml: bytes, filename: str, process_id: Optional[str] = None,
           deployed_by: Optional[str] = None) -> tuple[ProcessDefinition, bool]:
    """Store a new version unless the newest one has the same content; returns (definition, created)."""
    if len(Path(filename).name) > 255:
        raise DeployError("the file name is longer than 255 characters", filename)
    root = parse_document(xml, filename)
    key = choose_process(root, filename, process_id)
    known = registry.service_names() or None
    findings = lint(root, known)
    if findings:
        shown = "; ".join(str(f) for f in findings[:MAX_FINDINGS_SHOWN])
        more = len(findings) - MAX_FINDINGS_SHOWN
        error = DeployError(shown + (f"; … and {more} more" if more > 0 else ""), filename)
        error.details["findings"] = [str(f) for f in findings]
        raise error
    sha = hashlib.sha256(xml).hexdigest()
    spec, deps = build_spec(root, filename, key, sha)
    latest = latest_definition(key, required=False)
    if latest is not None and latest.sha256 == sha:
        return latest, False
    version = (db.session.scalar(select(func.max(ProcessDefinition.version)).where(
        ProcessDefinition.key == key)) or 0) + 1
    definition = ProcessDefinition(key=key, version=version, sha256=sha, filename=Path(filename).name,
                                   xml=xml.decode("utf-8"), deployed_by=deployed_by)
    db.session.add(definition)
    db.session.flush()
    _remember(definition.id, spec, deps)
    _latest.pop(key, None)
    return definition, True


def deploy_file(path: Path | str, deployed_by: Optional[str] = None) -> tuple[ProcessDefinition, bool]:
    """Deploy a BPMN file from disk."""
    path = Path(path)
    return deploy(path.read_bytes(), path.name, deployed_by=deployed_by)


def deploy_builtin(deployed_by: Optional[str] = "systeem") -> list[tuple[ProcessDefinition, bool]]:
    """Deploy every model shipped in bpmn/ (a no-op for files that did not change)."""
    return [deploy_file(p, deployed_by) for p in sorted(BPMN_DIR.glob("*.bpmn"))]


@dataclass(frozen=True)
class DefinitionRef:
    """What a new case needs to know about the newest version of a process."""

    id: int
    key: str
    version: int


_latest: dict[str, tuple[float, DefinitionRef]] = {}
LATEST_TTL_SECONDS = 10.0  # a deploy in another process is seen by this one within this time


def latest_ref(key: str) -> DefinitionRef:
    """The newest version of `key`, cached briefly: intake asks this for every new case."""
    cached = _latest.get(key)
    if cached is not None and time.monotonic() - cached[0] < LATEST_TTL_SECONDS:
        return cached[1]
    definition = cast(ProcessDefinition, latest_definition(key))  # required: raises rather than return None
    ref = DefinitionRef(definition.id, definition.key, definition.version)
    _latest[key] = (time.monotonic(), ref)
    return ref


def latest_definition(key: str, required: bool = True) -> Optional[ProcessDefinition]:
    """The newest deployed version of `key`, which new cases start on."""
    found = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version.desc()).limit(1))
    if found is None and required:
        raise NotFound(f"no process definition '{key}' is deployed; run 'meldpunt bpmn deploy'")
    return found


def _remember(definition_id: int, spec: Any, deps: Any) -> None:
    spec.meldpunt_definition_id = definition_id
    with _cache_lock:
        _cache[definition_id] = (spec, deps)


def spec_for(definition_id: int) -> tuple[Any, Any]:
    """(spec, subprocess_specs) for a stored definition, parsed once per process and cached."""
    cached = _cache.get(definition_id)
    if cached is not None:
        return cached
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"process definition {definition_id} does not exist")
    xml = definition.xml.encode("utf-8")
    root = parse_document(xml, definition.filename)
    spec, deps = build_spec(root, definition.filename, definition.key, hashlib.sha256(xml).hexdigest())
    _remember(definition_id, spec, deps)
    return spec, deps


def forget_cached_specs() -> None:
    """Drop the spec cache by definition id (tests that recreate the database reuse definition ids); specs
    built by content stay, as the same content always builds the same spec."""
    with _cache_lock:
        _cache.clear()
        _latest.clear()
    model_forms.forget()
