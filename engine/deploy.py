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
from sqlalchemy.exc import IntegrityError, OperationalError

from . import model_forms, registry
from .clock import utcnow
from .db import db
from .errors import Conflict, DeployError, NotFound
from .i18n import N_, Phrase
from .lint import NS, Finding, lint
from .models import ActiveProcess, ProcessDefinition
from .ttl_cache import TtlCache

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


def _refused(message: str, filename: str, line: Optional[int] = None, element: str = "",
             name: str = "") -> DeployError:
    """A DeployError that carries its one problem in the form the admin pages and the API list."""
    error = DeployError(message, filename, element or None)
    error.details["problems"] = [Finding(element, line, message, name).as_dict()]
    return error


def parse_document(xml: bytes, filename: str) -> etree._Element:
    """Parse XML safely; a DOCTYPE (the door to entity tricks) is refused outright."""
    if len(xml) > MAX_BPMN_BYTES:
        raise _refused(Phrase(N_("Het bestand is groter dan {limit} MB ({size} MB); een procesmodel mag hoogstens "
                                 "{limit} MB zijn."), limit=MAX_BPMN_BYTES // (1024 * 1024),
                              size=round(len(xml) / (1024 * 1024), 1)), filename)
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _refused(Phrase(N_("Het bestand is niet in UTF-8 gecodeerd (bewaar het als UTF-8 in de modeler).")),
                       filename) from err
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _refused(Phrase(N_("Een DOCTYPE- of ENTITY-verklaring is niet toegelaten in een BPMN-bestand.")),
                       filename, _line_of(xml, b"<!"))
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError as err:
        line = err.lineno or None
        raise _refused(Phrase(N_("Geen geldige XML op regel {line}: {reason}"), line=line or "?",
                              reason=err.msg or str(err)), filename, line) from err
    if root.getroottree().docinfo.doctype:
        raise _refused(Phrase(N_("Een DOCTYPE- of ENTITY-verklaring is niet toegelaten in een BPMN-bestand.")),
                       filename, 1)
    return root


def _line_of(xml: bytes, needle: bytes) -> Optional[int]:
    at = xml.find(needle)
    return xml.count(b"\n", 0, at) + 1 if at >= 0 else None


def choose_process(root: etree._Element, filename: str, process_id: Optional[str] = None) -> str:
    """The process to deploy: the one named, else the only executable one, else the only one."""
    processes = root.findall(".//bpmn:process", NS)
    for process in processes:
        if not process.get("id"):
            raise DeployError(Phrase(N_("een bpmn:process zonder id (regel {line})"), line=process.sourceline),
                              filename)
        if len(process.get("id", "")) > MAX_KEY:
            raise DeployError(Phrase(N_("de id van het proces is langer dan {count} tekens"), count=MAX_KEY), filename,
                              process.get("id", "")[:40])
    ids = [p.get("id", "") for p in processes]
    if process_id:
        if process_id not in ids:
            raise DeployError(Phrase(N_("proces '{process}' staat niet in het bestand; het bevat: {ids}"),
                                     process=process_id, ids=", ".join(ids) or "-"), filename)
        return process_id
    executable = [p.get("id", "") for p in processes if p.get("isExecutable") == "true"]
    if len(executable) == 1:
        return executable[0]
    if len(processes) == 1:
        return ids[0]
    if not processes:
        raise DeployError(Phrase(N_("het bestand bevat geen bpmn:process")), filename)
    raise DeployError(Phrase(N_("het bestand bevat {count} processen ({ids}); kies het proces dat u in gebruik neemt"),
                             count=len(processes), ids=", ".join(ids)), filename)


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
        raise DeployError(Phrase(N_("kan Meldpunt niet uitvoeren: {error}"), error=f"{type(err).__name__}: {err}"),
                          filename) from err
    return spec, deps


BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
ORIGINS = ("shipped", "city")
DEPLOY_ATTEMPTS = 8  # two admins deploying at once: the loser numbers its version again


@dataclass
class Checked:
    """A document that passed every check, ready to store (or the problems that stop it)."""

    key: Optional[str]
    problems: list[dict[str, object]]
    spec: Any = None
    deps: Any = None
    sha256: str = ""


def check(xml: bytes, filename: str, process_id: Optional[str] = None, require_diagram: bool = False,
          started_only: bool = False) -> Checked:
    """Every problem of a BPMN document that would stop its deploy, without storing anything.

    Parsing problems (size, encoding, DOCTYPE, XML syntax) end the check at once; after that every lint
    finding is collected, with the diagram's presence and the engine's own parse. started_only (the city's
    deploys) refuses a process no channel starts: nothing would ever run on it, and the contract's rules
    apply to the processes the channels start only."""
    try:
        root = parse_document(xml, filename)
        if etree.QName(root).namespace != NS["bpmn"] or etree.QName(root).localname != "definitions":
            raise _refused(Phrase(N_("Dit is geen BPMN-bestand: het hoofdelement is <{tag}>, niet "
                                     "<bpmn:definitions>."), tag=etree.QName(root).localname), filename,
                           root.sourceline)
        key = choose_process(root, filename, process_id)
    except DeployError as err:
        return Checked(None, problems_of(err))
    problems = [f.as_dict() for f in lint(root, registry.service_names() or None)]
    if started_only and registry.start_data(key) is None:
        process = next(p for p in root.iterfind(".//bpmn:process", NS) if p.get("id", "") == key)
        problems.insert(0, Finding(key, process.sourceline, Phrase(
            N_("Meldpunt start geen proces '{process}': geef het proces het id van een proces van Meldpunt "
               "({known})"), process=key, known=", ".join(registry.started_processes())),
            process.get("name") or "").as_dict())
    if require_diagram and root.find(f".//{{{BPMNDI}}}BPMNDiagram") is None:
        problems.append(Finding("", None, Phrase(N_("Het bestand heeft geen diagram (bpmndi:BPMNDiagram): "
                                                    "bewaar het model in een modeler zoals Camunda Modeler of "
                                                    "bpmn.io, die de tekening mee bewaart."))).as_dict())
    if problems:
        return Checked(key, problems)
    sha = hashlib.sha256(xml).hexdigest()
    try:
        spec, deps = build_spec(root, filename, key, sha)
    except DeployError as err:
        return Checked(key, problems_of(err))
    return Checked(key, [], spec, deps, sha)


def problems_of(err: DeployError) -> list[dict[str, object]]:
    """The problems a refused deploy carries (element_id, element_name, line, message), at least one."""
    problems = err.details.get("problems")
    if isinstance(problems, list):
        return problems
    prefix = err.filename + (f", element '{err.element}'" if err.element else "") + ": "
    message = err.message.removeprefix(prefix) if err.filename or err.element else err.message
    return [Finding(err.element or "", None, message).as_dict()]


def _describe(problem: dict[str, object]) -> str:
    where = " ".join(p for p in (f"element '{problem['element_id']}'" if problem.get("element_id") else "",
                                 f"\"{problem['element_name']}\"" if problem.get("element_name") else "",
                                 f"(line {problem['line']})" if problem.get("line") else "") if p)
    return f"{where}: {problem['message']}" if where else str(problem["message"])


def deploy(xml: bytes, filename: str, process_id: Optional[str] = None,
           deployed_by: Optional[str] = None, origin: str = "city", activate: Optional[bool] = True,
           require_diagram: bool = False, started_only: bool = False) -> tuple[ProcessDefinition, bool]:
    """Store a new version; returns (definition, created).

    activate=True makes it the version new cases start on (a deploy by the city; content equal to the active
    version is a no-op); activate=False stores it beside the active one (content equal to any stored version
    is a no-op); activate=None is the rule for shipped models: active unless the city chose its own version.
    Two deploys at once both get a number: the one that loses the race rolls the session back and numbers
    again, so a deploy is the first write of its transaction."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    if len(Path(filename).name) > 255:
        raise _refused(Phrase(N_("De bestandsnaam is langer dan 255 tekens.")), filename)
    checked = check(xml, filename, process_id, require_diagram, started_only)
    if checked.problems:
        shown = "; ".join(_describe(p) for p in checked.problems[:MAX_FINDINGS_SHOWN])
        more = len(checked.problems) - MAX_FINDINGS_SHOWN
        error = DeployError(shown + (f"; … and {more} more" if more > 0 else ""), filename)
        error.details["problems"] = checked.problems
        error.details["findings"] = [_describe(p) for p in checked.problems]
        raise error
    key = cast(str, checked.key)
    if activate is None:
        activate = not city_chose(key)
    for attempt in range(DEPLOY_ATTEMPTS):
        try:
            return _store(key, xml, filename, checked, deployed_by, origin, activate)
        except (IntegrityError, OperationalError) as err:
            db.session.rollback()
            if attempt == DEPLOY_ATTEMPTS - 1 or (isinstance(err, OperationalError) and not _is_busy(err)):
                raise Conflict(Phrase(N_("Iemand anders nam tegelijk een versie van '{key}' in gebruik; probeer "
                                         "opnieuw."), key=key)) from err
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _is_busy(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "serializ" in text


def _store(key: str, xml: bytes, filename: str, checked: Checked, deployed_by: Optional[str], origin: str,
           activate: bool) -> tuple[ProcessDefinition, bool]:
    if activate:
        active = active_definition(key, required=False)
        if active is not None and active.sha256 == checked.sha256:
            if origin == "city":  # the city deployed what is in use: from now on it is the city's choice
                _set_active(key, active, deployed_by, "city")
                db.session.flush()
            return active, False
    else:
        same = db.session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.sha256 == checked.sha256)
            .order_by(ProcessDefinition.version.desc()).limit(1))
        if same is not None:
            return same, False
    version = _next_version(key)
    definition = ProcessDefinition(key=key, version=version, sha256=checked.sha256, filename=Path(filename).name,
                                   xml=xml.decode("utf-8"), deployed_by=deployed_by, origin=origin)
    db.session.add(definition)
    db.session.flush()
    if activate:
        _set_active(key, definition, deployed_by, "city" if origin == "city" else "shipped")
        db.session.flush()
    _remember(definition.id, checked.spec, checked.deps)
    _latest.forget(key)
    _keys.forget()
    return definition, True


def _next_version(key: str) -> int:
    """One more than the highest stored version; a deploy at the same moment may take it first (then retried)."""
    return (db.session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key))
            or 0) + 1


def _set_active(key: str, definition: ProcessDefinition, by: Optional[str], chosen_by: str) -> None:
    row = db.session.get(ActiveProcess, key)
    if row is None:
        row = ActiveProcess(key=key)
        db.session.add(row)
    row.definition_id = definition.id
    row.activated_at = utcnow()
    row.activated_by = by
    if chosen_by == "city" or row.chosen_by != "city":
        row.chosen_by = chosen_by
    _latest.forget(key)


def city_chose(key: str) -> bool:
    """Whether the city deployed or chose the version of `key` in use (then seeding never replaces it)."""
    row = db.session.get(ActiveProcess, key)
    return row is not None and row.chosen_by == "city"


MAX_VERSION = 2**31 - 1  # process_definitions.version is an INTEGER


def find_version(key: str, version: int) -> Optional[ProcessDefinition]:
    """One stored version of a process, or None (also for numbers no version can have)."""
    if not 1 <= version <= MAX_VERSION or len(key) > MAX_KEY:
        return None
    return db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                             ProcessDefinition.version == version))


def activate(key: str, version: int, activated_by: Optional[str] = None) -> tuple[ProcessDefinition,
                                                                                   Optional[ProcessDefinition]]:
    """Make a stored version the one new cases start on, without a new deploy; returns (it, the one before)."""
    definition = find_version(key, version)
    if definition is None:
        raise NotFound(Phrase(N_("Proces '{key}' heeft geen versie {version}."), key=key, version=version))
    before = active_definition(key, required=False)
    _set_active(key, definition, activated_by, "city")
    db.session.flush()
    return definition, before


def deploy_file(path: Path | str, deployed_by: Optional[str] = None, origin: str = "city",
                activate: Optional[bool] = True, require_diagram: bool = False) -> tuple[ProcessDefinition, bool]:
    """Deploy a BPMN file from disk."""
    path = Path(path)
    return deploy(path.read_bytes(), path.name, deployed_by=deployed_by, origin=origin, activate=activate,
                  require_diagram=require_diagram)


def deploy_builtin(deployed_by: Optional[str] = "systeem") -> list[tuple[ProcessDefinition, bool]]:
    """Deploy every model shipped in bpmn/ (a no-op for files that did not change).

    A shipped model becomes the version in use only while the city has not deployed or chosen its own
    version of that process; otherwise a changed shipped file is stored beside it, not in use (see
    is_active)."""
    return [deploy_file(p, deployed_by, origin="shipped", activate=None) for p in sorted(BPMN_DIR.glob("*.bpmn"))]


@dataclass(frozen=True)
class DefinitionRef:
    """What a new case needs to know about the version of a process it starts on."""

    id: int
    key: str
    version: int


LATEST_TTL_SECONDS = 10.0  # a deploy or activation in another process is seen by this one within this time
_latest: TtlCache[str, DefinitionRef] = TtlCache(LATEST_TTL_SECONDS)
_keys: TtlCache[None, tuple[str, ...]] = TtlCache(LATEST_TTL_SECONDS)


def active_ref(key: str) -> DefinitionRef:
    """The active version of `key`, cached briefly: intake asks this for every new case."""
    def load() -> DefinitionRef:
        definition = cast(ProcessDefinition, active_definition(key))  # required: raises rather than return None
        return DefinitionRef(definition.id, definition.key, definition.version)

    return _latest.get(key, load)


def deployed_keys() -> tuple[str, ...]:
    """The keys of the deployed processes, sorted, cached as briefly as `active_ref` (every queue page's task filter
    asks them); a deploy in this process is seen at once."""
    return _keys.get(None, lambda: tuple(sorted(db.session.scalars(select(ProcessDefinition.key).distinct()))))


def active_definition(key: str, required: bool = True) -> Optional[ProcessDefinition]:
    """The active version of `key`, which new cases start on (the newest, for a key without a choice yet)."""
    found = db.session.scalar(select(ProcessDefinition).join(
        ActiveProcess, ActiveProcess.definition_id == ProcessDefinition.id).where(ActiveProcess.key == key))
    if found is None:
        found = db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                  .order_by(ProcessDefinition.version.desc()).limit(1))
    if found is None and required:
        raise NotFound(f"no process definition '{key}' is deployed; run 'meldpunt bpmn deploy'")
    return found


def is_active(definition: ProcessDefinition) -> bool:
    """Whether new cases start on this version."""
    active = active_definition(definition.key, required=False)
    return active is not None and active.id == definition.id


# The names from before versions could be chosen: new cases start on the active version.
latest_ref = active_ref
latest_definition = active_definition


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
        _latest.forget()
        _keys.forget()
    model_forms.forget()
