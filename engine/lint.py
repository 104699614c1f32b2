"""Model rules checked at deploy, before a definition is stored: each finding names the element.

The rules keep models inside what the engine runs safely: every XOR/OR split has a default flow,
every message catch stores its payload, every expression passes the safe evaluator, scripts are
plain assignments, services are registered operators, no event-based gateways (buggy in 3.2.0).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from lxml import etree

from . import expressions

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}


@dataclass(frozen=True)
class Finding:
    """One rule violation: the element's id (or tag), its line, what is wrong, and the element's name."""

    element: str
    line: Optional[int]
    message: str
    name: str = ""

    def __str__(self) -> str:
        line = f" (line {self.line})" if self.line else ""
        return f"element '{self.element}'{line}: {self.message}"

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
                yield _finding(gw, f"{tag} splits into {outgoing[gw.get('id')]} flows but has no default flow")
    for gw in process.iterfind(".//bpmn:eventBasedGateway", NS):
        yield _finding(gw, "event-based gateways are not supported; use a receive task with boundary timers")
    for sub in process.iterfind(".//bpmn:adHocSubProcess", NS):
        yield _finding(sub, "ad-hoc subprocesses are not supported by the engine")


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
            yield _finding(node, "message catch has no spiffworkflow:messageVariable, so its payload would be lost")


EXPRESSION_PATHS = [".//bpmn:conditionExpression", ".//bpmn:timeDate", ".//bpmn:timeDuration", ".//bpmn:timeCycle",
                    ".//bpmn:loopCardinality", ".//bpmn:completionCondition", ".//bpmn:loopCondition",
                    ".//bpmn:conditionalEventDefinition/bpmn:condition", ".//spiffworkflow:messagePayload",
                    ".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression"]
# Outside processes: correlation retrieval expressions and payloads on message definitions.
DOCUMENT_PATHS = [".//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression",
                  ".//bpmn:message//spiffworkflow:messagePayload"]
# ISO-8601 durations, dates and cycles written without quotes are valid Python names or divisions.
UNQUOTED_ISO = re.compile(r"^(R\d*/)?P(\d|T\d)|^\d{4}-\d{2}-\d{2}")


def _checked_texts(scope: etree._Element, paths: list[str]) -> Iterable[Finding]:
    for path in paths:
        for node in scope.iterfind(path, NS):
            text = (node.text or "").strip()
            if not text:
                yield _finding(node, f"empty {etree.QName(node).localname}")
                continue
            try:
                expressions.check(text)
            except expressions.ExpressionError as err:
                yield _finding(node, f"{etree.QName(node).localname} refused: {err}")


def _expressions(process: etree._Element, known_services: Optional[set[str]]) -> Iterable[Finding]:
    yield from _checked_texts(process, EXPRESSION_PATHS)
    for node in process.iterfind(".//bpmn:timerEventDefinition/*", NS):
        if UNQUOTED_ISO.match((node.text or "").strip()):
            yield _finding(node, f"timer '{(node.text or '').strip()}' is read as an expression; quote it: "
                                 f"\"{(node.text or '').strip()}\"")
    for param in process.iterfind(".//spiffworkflow:parameter", NS):
        try:
            expressions.check(param.get("value") or "")
        except expressions.ExpressionError as err:
            yield _finding(param, f"service parameter '{param.get('id')}' refused: {err}")
    for path in (".//bpmn:scriptTask/bpmn:script", ".//spiffworkflow:preScript", ".//spiffworkflow:postScript"):
        for node in process.iterfind(path, NS):
            try:
                expressions.check_script(node.text or "")
            except expressions.ExpressionError as err:
                yield _finding(node, f"script refused: {err}")
    if known_services is not None:
        for op in process.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
            if op.get("id") not in known_services:
                yield _finding(op, f"unknown service operator '{op.get('id')}'")


def lint(root: etree._Element, known_services: Optional[set[str]] = None) -> list[Finding]:
    """All findings for every process in the parsed document `root` (call activities included)."""
    findings: list[Finding] = list(_checked_texts(root, DOCUMENT_PATHS))
    for process in root.iterfind(".//bpmn:process", NS):
        findings += _split_gateways(process)
        findings += _message_catches(root, process)
        findings += _expressions(process, known_services)
    return findings
