"""The BPMN MIWG reference models (../shared/ext/bpmn-miwg, see its SOURCE.md) through deploy().

Models from other tools are the realistic test of the deploy path: each file must either deploy or be
refused with a DeployError that starts with the file name and that a person can read. Any other
exception type is a bug. Findings as of SpiffWorkflow 3.2.0 (SOURCE.md): A.*, B.*, C.2.0 and C.8.0 have only
non-executable processes; several contain data stores, event-based gateways, conditions in other
expression languages or message catches without a spiffworkflow:messageVariable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from engine.db import db
from engine.deploy import deploy, parse_document
from engine.errors import DeployError
from engine.lint import NS
from engine.models import ProcessDefinition

from .conftest import SHARED

MIWG = SHARED / "ext" / "bpmn-miwg"
if not (MIWG / "SOURCE.md").is_file():
    pytest.skip(f"the MIWG reference models are not available ({MIWG} is absent)", allow_module_level=True)

SOURCE = (MIWG / "SOURCE.md").read_text("utf-8")
FILES = sorted(MIWG.glob("*.bpmn"))
MAX_MESSAGE = 1000
# The files SOURCE.md lists as having no executable process at all.
NON_EXECUTABLE = [p.name for p in FILES if p.name[0] in "AB" or p.name in ("C.2.0.bpmn", "C.8.0.bpmn")]


def processes(path: Path) -> list[etree._Element]:
    return parse_document(path.read_bytes(), path.name).findall(".//bpmn:process", NS)


def outcome(path: Path, process_id: str | None = None) -> tuple[str, str]:
    """('deployed', key) or ('refused', message); any other exception propagates (a bug)."""
    try:
        definition, _ = deploy(path.read_bytes(), path.name, process_id=process_id)
    except DeployError as err:
        return "refused", str(err)
    finally:
        db.session.rollback()  # nothing from the reference models stays in the database
    return "deployed", definition.key


def assert_readable(message: str, filename: str) -> None:
    assert message.startswith(f"{filename}"), message
    assert "Traceback" not in message and 'File "' not in message, message
    assert len(message) < MAX_MESSAGE, f"{len(message)} characters: {message[:300]}..."
    assert not re.search(r"<\w[\w.]* object at 0x|<Element .* at 0x", message), message
    rest = message[len(filename) :].lstrip(":, ")
    # the reason is more than a class name: an element id or several words of explanation
    assert "element '" in message or len(rest.split()) >= 4, message


def test_the_reference_set_is_the_one_source_md_describes():
    assert "bc9f858ccbba883ef9fe6c54fa3aafe439b20847" in SOURCE and "CC BY 3.0" in SOURCE
    assert len(FILES) == 21, [p.name for p in FILES]
    assert (MIWG / "LICENSE.txt").is_file()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_model_deploys_or_is_refused_with_a_readable_deploy_error(app, path):
    before = db.session.scalar(select(func.count()).select_from(ProcessDefinition))
    kind, detail = outcome(path)
    if kind == "refused":
        assert_readable(detail, path.name)
    else:
        assert detail in [p.get("id") for p in processes(path)]
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == before


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_process_named_explicitly_deploys_or_is_refused_with_a_readable_deploy_error(app, path):
    """deploy(..., process_id=...) for every process in the file, as an admin would after 'name the one'."""
    for proc in processes(path):
        kind, detail = outcome(path, proc.get("id"))
        if kind == "refused":
            assert_readable(detail, path.name)
        else:
            assert detail == proc.get("id")


@pytest.mark.parametrize("name", NON_EXECUTABLE)
def test_files_without_an_executable_process_are_refused(app, name):
    kind, message = outcome(MIWG / name)
    assert kind == "refused", message
    ids = [p.get("id") for p in processes(MIWG / name)]
    assert all(p.get("isExecutable") != "true" for p in processes(MIWG / name))
    # either the lint already found a reason, or the message names the process(es) concerned
    assert any(i in message for i in ids) or "element '" in message, message


def test_the_simple_process_a_1_0_is_refused_as_not_executable(app):
    """A.1.0 is the simplest model (start, 3 tasks, end) but isExecutable="false", so it is refused."""
    kind, message = outcome(MIWG / "A.1.0.bpmn")
    assert kind == "refused"
    assert message.startswith("A.1.0.bpmn: element 'WFP-6-'") and "not executable" in message, message


@pytest.mark.parametrize(
    "name, element, phrase",
    [
        ("C.1.0.bpmn", "sid-F0D29912-929D-491C-8D23-73BD80CF980A", "event-based gateway kan Meldpunt niet"),
        ("C.6.0.bpmn", "_7ab6dbdf-f55b-4be6-bb41-d99793135c1d", "event-based gateway kan Meldpunt niet"),
        ("C.9.1.bpmn", "ReceiveTask_WaitForDocument", "geen spiffworkflow:messageVariable"),
        ("C.7.0.bpmn", "_26c40c03-5d1f-46c5-81f1-ddd485868125", "heeft geen standaardpad"),
        ("C.1.1.bpmn", "invoice_approved", "heeft geen standaardpad"),
        ("A.4.0.bpmn", None, "het bestand bevat 2 processen (WFP-6-1, WFP-6-2); kies het proces"),
    ],
)
def test_known_refusals_name_the_element_and_the_reason(app, name, element, phrase):
    kind, message = outcome(MIWG / name)
    assert kind == "refused"
    assert phrase in message, message
    if element:
        assert f"element '{element}'" in message, message


def c_9_1_with_message_variable() -> bytes:
    """C.9.1 with the spiffworkflow:messageVariable its refusal asks for."""
    receive = (b'<bpmn:receiveTask id="ReceiveTask_WaitForDocument" name="Wait for answer" '
               b'messageRef="Message_1">')
    variable = (b'<bpmn:extensionElements><spiffworkflow:messageVariable xmlns:spiffworkflow='
                b'"http://spiffworkflow.org/bpmn/schema/1.0/core">document</spiffworkflow:messageVariable>'
                b"</bpmn:extensionElements>")
    xml = (MIWG / "C.9.1.bpmn").read_bytes().replace(receive, receive + variable)
    assert b"messageVariable" in xml
    return xml


def test_c_9_1_with_the_message_variable_passes_that_check(app):
    try:
        deploy(c_9_1_with_message_variable(), "C.9.1-fixed.bpmn")
    except DeployError as err:
        assert "messageVariable" not in str(err)
    finally:
        db.session.rollback()


def test_unquoted_iso_timer_expressions_are_refused_at_deploy(app):
    """C.9.1's timers are unquoted ISO-8601 ('R6/P1D', 'P7D'): as Python, a division of two names and a bare
    name, which never evaluate (the pitfall in spiffworkflow-notes 1.5). Today the fixed C.9.1 deploys and
    every start_case on it fails with ProcessError "unknown variable 'R6'". It should be refused at deploy,
    naming the boundary events."""
    try:
        with pytest.raises(DeployError) as caught:
            deploy(c_9_1_with_message_variable(), "C.9.1-fixed.bpmn")
    finally:
        db.session.rollback()
    message = str(caught.value)
    assert "'BoundaryEvent_1'" in message and "'BoundaryEvent_2'" in message, message


def test_summary(app, capsys):
    """Print which models deploy and which are refused, with the reason (pytest -s or -rP shows it)."""
    rows = []
    for path in FILES:
        kind, detail = outcome(path)
        findings = max(detail.count("element '"), 1) if kind == "refused" else 0
        first = re.split(r"; (?=element ')", detail)[0][len(path.name) :].lstrip(":, ")
        rows.append((path.name, kind, findings, len(detail), first))
    with capsys.disabled():
        print(f"\nMIWG models through deploy() on {db.engine.dialect.name}:")
        for name, kind, findings, length, first in rows:
            more = f" (+{findings - 1} more findings, {length} chars)" if findings > 1 else ""
            print(f"  {name:11} {kind:8} {first[:150]}{more}")
        print(
            f"  deployed: {sum(r[1] == 'deployed' for r in rows)}, "
            f"refused: {sum(r[1] == 'refused' for r in rows)}"
        )
    assert len(rows) == len(FILES)
    # the one executable single-process file refused only by the lint (see test above)
    assert dict((r[0], r[1]) for r in rows)["C.9.1.bpmn"] == "refused"
