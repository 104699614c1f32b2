"""Model rules checked at deploy, before a definition is stored: each finding names the element.

The rules keep models inside what the engine runs safely: every XOR/OR split has a default flow,
every message catch stores its payload, every expression passes the safe evaluator, scripts are
plain assignments, services are registered operators, no event-based gateways (buggy in 3.2.0).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from lxml import etree

from . import expressions, registry, statuses
from .i18n import N_, Phrase
from .model_contract import FIELD_PREFIX, FieldError, free_names, parse_field, script_targets, timer_problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}


@dataclass(frozen=True)
class Finding:
    """One rule violation: the element's id (or tag), its line, what is wrong, and the element's name."""

    element: str
    line: Optional[int]
    message: str
    name: str = ""  # the element's name, as the modeler shows it

    def __str__(self) -> str:
        line = f" (line {self.line})" if self.line else ""
        name = f" \"{self.name}\"" if self.name else ""
        return f"element '{self.element}'{name}{line}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """The problem as the admin page, the modeler and the API show it."""
        return {"element_id": self.element or None, "element_name": self.name or None, "line": self.line,
                "message": self.message}


def _owner(node: Optional[etree._Element]) -> Optional[etree._Element]:
    """The nearest BPMN ancestor-or-self with an id: the element a user would look for in a modeler.

    Extension elements (spiffworkflow:parameter, serviceTaskOperator) have ids of their own that name
    parameters and operators, and event definitions sit inside their event: both are skipped.
    """
    while node is not None and (node.get("id") is None or etree.QName(node).namespace != BPMN
                                or etree.QName(node).localname.endswith("EventDefinition")):
        node = node.getparent()
    return node


def _finding(node: etree._Element, message: str) -> Finding:
    owner = _owner(node)
    if owner is None:
        return Finding(etree.QName(node).localname, node.sourceline, message)
    return Finding(owner.get("id", ""), owner.sourceline, message, owner.get("name") or "")


def _split_gateways(process: etree._Element) -> Iterable[Finding]:
    outgoing: dict[Optional[str], int] = {}
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        outgoing[flow.get("sourceRef")] = outgoing.get(flow.get("sourceRef"), 0) + 1
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gw in process.iterfind(f".//bpmn:{tag}", NS):
            if outgoing.get(gw.get("id"), 0) > 1 and not gw.get("default"):
                text = N_("{tag} splitst in {count} paden maar heeft geen standaardpad (default flow)")
                yield _finding(gw, Phrase(text, tag=tag, count=outgoing[gw.get("id")]))
    for gw in process.iterfind(".//bpmn:eventBasedGateway", NS):
        yield _finding(gw, Phrase(N_("een event-based gateway kan Meldpunt niet uitvoeren; gebruik een receive task "
                                     "met boundary timers")))
    for sub in process.iterfind(".//bpmn:adHocSubProcess", NS):
        yield _finding(sub, Phrase(N_("een ad-hoc subproces kan Meldpunt niet uitvoeren")))


def _message_catches(root: etree._Element, process: etree._Element) -> Iterable[Finding]:
    messages = {m.get("id"): m for m in root.iterfind(".//bpmn:message", NS)}
    catches = list(process.iterfind(".//bpmn:receiveTask", NS))
    for tag in ("intermediateCatchEvent", "boundaryEvent", "startEvent"):
        catches += [e for e in process.iterfind(f".//bpmn:{tag}", NS) if e.find("bpmn:messageEventDefinition", NS)
                    is not None]
    for node in catches:
        defn = node.find("bpmn:messageEventDefinition", NS)
        ref = node.get("messageRef") if defn is None else defn.get("messageRef")
        holders = [node] + ([messages[ref]] if ref in messages else [])
        if not any(h.find(".//spiffworkflow:messageVariable", NS) is not None for h in holders):
            yield _finding(node, Phrase(N_("dit bericht-event heeft geen spiffworkflow:messageVariable: de inhoud "
                                           "van het bericht zou verloren gaan")))


# Timer expressions are checked by _timers (a valid ISO 8601 value or an expression).
EXPRESSION_PATHS = [".//bpmn:conditionExpression", ".//bpmn:loopCardinality", ".//bpmn:completionCondition",
                    ".//bpmn:loopCondition",
                    ".//bpmn:conditionalEventDefinition/bpmn:condition", ".//spiffworkflow:messagePayload",
                    ".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression"]
# Outside processes: correlation retrieval expressions and payloads on message definitions.
DOCUMENT_PATHS = [".//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression",
                  ".//bpmn:message//spiffworkflow:messagePayload"]


def _checked_texts(scope: etree._Element, paths: list[str]) -> Iterable[Finding]:
    for path in paths:
        for node in scope.iterfind(path, NS):
            text = (node.text or "").strip()
            if not text:
                yield _finding(node, Phrase(N_("lege {tag}"), tag=etree.QName(node).localname))
                continue
            try:
                expressions.check(text)
            except expressions.ExpressionError as err:
                yield _finding(node, Phrase(N_("{tag} geweigerd: {error}"), tag=etree.QName(node).localname,
                                            error=str(err)))


def _expressions(process: etree._Element, known_services: Optional[set[str]]) -> Iterable[Finding]:
    yield from _checked_texts(process, EXPRESSION_PATHS)
    for param in process.iterfind(".//spiffworkflow:parameter", NS):
        try:
            expressions.check(param.get("value") or "")
        except expressions.ExpressionError as err:
            yield _finding(param, Phrase(N_("serviceparameter '{parameter}' geweigerd: {error}"),
                                         parameter=param.get("id") or "", error=str(err)))
    for path in (".//bpmn:scriptTask/bpmn:script", ".//spiffworkflow:preScript", ".//spiffworkflow:postScript"):
        for node in process.iterfind(path, NS):
            try:
                expressions.check_script(node.text or "")
            except expressions.ExpressionError as err:
                yield _finding(node, Phrase(N_("script geweigerd: {error}"), error=str(err)))
    if known_services is not None:
        for op in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
            if op.get("id") not in known_services:
                yield _finding(op, Phrase(N_("onbekende service-operator '{operator}'"), operator=op.get("id") or ""))


def lint(root: etree._Element, known_services: Optional[set[str]] = None) -> list[Finding]:
    """All findings for every process in the parsed document `root` (call activities included)."""
    findings: list[Finding] = list(_checked_texts(root, DOCUMENT_PATHS))
    for process in root.iterfind(".//bpmn:process", NS):
        findings += _split_gateways(process)
        findings += _message_catches(root, process)
        findings += _expressions(process, known_services)
        findings += _timers(process)
        if registry.start_data(process.get("id", "")) is not None:  # a process the channels start
            findings += _contract_lanes(process)
            findings += _contract_statuses(process)
            findings += _contract_messages(root, process)
            findings += _contract_forms(process)
            findings += _contract_names(root, process)
    return findings


# ---------------------------------------------------------------------------------------------------------------
# The model's contract (docs/process-models.md): Dutch findings naming the element, its name and its line.
# _timers applies to every process; the _contract_* rules to the processes a channel starts
# (registry.process_start), whose cases Meldpunt's pages, queues and mails show.


def _named(node: etree._Element, message: str) -> Finding:
    """A finding on `node`'s owning element, with that element's name."""
    owner = _owner(node)
    target = owner if owner is not None else node
    element = target.get("id") or etree.QName(target).localname
    return Finding(element, target.sourceline, message, target.get("name") or "")


def properties(node: etree._Element) -> dict[str, str]:
    """The spiffworkflow:property values of an element, in document order."""
    return {p.get("name", ""): p.get("value", "") for p in
            node.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def _timers(process: etree._Element) -> Iterable[Finding]:
    for node in process.iterfind(".//bpmn:timerEventDefinition/*", NS):
        kind = etree.QName(node).localname
        if kind not in ("timeDate", "timeDuration", "timeCycle"):
            continue
        problem = timer_problem(kind, node.text or "")
        if problem is not None:
            yield _named(node, problem)


def _contract_lanes(process: etree._Element) -> Iterable[Finding]:
    known = registry.lane_names()
    if not known:
        return
    for lane in process.iterfind(".//bpmn:lane", NS):
        if lane.find("bpmn:childLaneSet", NS) is not None:
            continue  # a lane holding lanes: its inner lanes carry the tasks
        if (lane.get("name") or "").strip() not in known:
            yield _named(lane, Phrase(N_("lane '{lane}' hoort bij geen groep die Meldpunt kent; noem de lane "
                                         "{known}"), lane=lane.get("name") or "", known=" of ".join(sorted(known))))


def _contract_statuses(process: etree._Element) -> Iterable[Finding]:
    for node in process.iter(f"{{{BPMN}}}*"):
        props = properties(node)
        status = props.get("status")
        if status is None:
            continue
        if not status.strip():
            yield _named(node, N_("de eigenschap status is leeg"))
        elif status not in statuses.LABELS and not props.get("status_label_nl", "").strip():
            yield _named(node, Phrase(N_("status '{status}' heeft geen label: geef status_label_nl (en "
                                         "status_label_en) voor wat medewerkers en melders lezen"), status=status))


def _deliverable_messages() -> set[str]:
    """Messages a channel can deliver: those with a registered payload form `message:<name>`."""
    return {key.split(":", 1)[1] for key in registry.form_keys() if key.startswith("message:")}


def _contract_messages(root: etree._Element, process: etree._Element) -> Iterable[Finding]:
    deliverable = _deliverable_messages()
    if not deliverable:
        return
    names = {m.get("id"): m.get("name") or "" for m in root.iterfind(".//bpmn:message", NS)}
    catches = [(node, node.get("messageRef")) for node in process.iterfind(".//bpmn:receiveTask", NS)]
    for tag in ("intermediateCatchEvent", "boundaryEvent", "startEvent"):
        for node in process.iterfind(f".//bpmn:{tag}", NS):
            definition = node.find("bpmn:messageEventDefinition", NS)
            if definition is not None:
                catches.append((node, definition.get("messageRef")))
    for node, ref in catches:
        name = names.get(ref, "")
        if name not in deliverable:
            yield _named(node, Phrase(N_("bericht '{message}' kan geen kanaal bezorgen; Meldpunt bezorgt "
                                         "{known}"), message=name or ref or "", known=", ".join(sorted(deliverable))))


def _task_forms() -> set[str]:
    return {key for key in registry.form_keys() if not key.startswith("message:")}


def _contract_forms(process: etree._Element) -> Iterable[Finding]:
    forms = _task_forms()
    for task in process.iterfind(".//bpmn:userTask", NS):
        props = properties(task)
        fields = [(k[len(FIELD_PREFIX):], v) for k, v in props.items() if k.startswith(FIELD_PREFIX)]
        form = props.get("form")
        if form is not None and form not in forms:
            yield _named(task, Phrase(N_("formulier '{form}' bestaat niet; kies uit {known} of declareer "
                                         "velden met field.<naam>"), form=form, known=", ".join(sorted(forms))))
        for name, value in fields:
            try:
                parse_field(name, value)
            except FieldError as err:
                yield _named(task, str(err.args[0]))
        if form is None and not fields:
            yield _named(task, N_("deze taak heeft geen formulier: geef de eigenschap form (een ingebouwd "
                                  "formulier) of minstens één veld field.<naam>"))


def known_names(root: etree._Element, process: etree._Element) -> set[str]:
    """Every name some element of `process` can put in its data (not path-sensitive): the start data of its
    channels, the fields of its user tasks' forms, message variables, what its service operators declare
    they set, their result variables, and the targets of its scripts."""
    names = set(registry.start_data(process.get("id", "")) or ())
    for task in process.iterfind(".//bpmn:userTask", NS):
        props = properties(task)
        schema = registry.get_form(props.get("form"))
        if schema is not None:
            names |= set(schema.fields)
        names |= {k[len(FIELD_PREFIX):] for k in props if k.startswith(FIELD_PREFIX)}
    for node in root.iterfind(".//spiffworkflow:messageVariable", NS):
        names.add((node.text or "").strip())
    for op in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
        names |= set(registry.service_sets(op.get("id") or ""))
        if op.get("resultVariable"):
            names.add(op.get("resultVariable") or "")
    for path in (".//bpmn:scriptTask/bpmn:script", ".//spiffworkflow:preScript", ".//spiffworkflow:postScript"):
        for node in process.iterfind(path, NS):
            try:
                names |= set(script_targets(node.text or ""))
            except SyntaxError:
                continue  # refused by _expressions already
    for node in process.iterfind(".//bpmn:dataObject", NS):
        names.add(node.get("id") or "")
    return names


def _contract_names(root: etree._Element, process: etree._Element) -> Iterable[Finding]:
    known = known_names(root, process)
    sites: list[tuple[etree._Element, str, str]] = [
        (node, node.text or "", N_("de voorwaarde")) for node in process.iterfind(".//bpmn:conditionExpression", NS)]
    sites += [(node, node.text or "", N_("de timer")) for node in process.iterfind(".//bpmn:timerEventDefinition/*", NS)
              if timer_problem(etree.QName(node).localname, node.text or "") is None]  # else refused by _timers
    sites += [(node, node.get("value") or "", Phrase(N_("parameter '{parameter}'"), parameter=node.get("id") or ""))
              for node in process.iterfind(".//spiffworkflow:parameter", NS)]
    for node, text, where in sites:
        try:
            expressions.check(text)
        except expressions.ExpressionError:
            continue  # refused by another rule already
        for name in free_names(text):
            if name not in known:
                yield _named(node, Phrase(N_("{where} gebruikt '{name}', maar het proces kent die naam niet: geen "
                                             "startgegeven, formulierveld, berichtvariabele of gegeven dat een "
                                             "service zet. Bekende namen: {known}"),
                                          where=where, name=name, known=", ".join(sorted(known)) or "-"))
