"""The packages import one way only (README, "Layout"), and the engine names no lane or kind of case.

`lint-imports` checks the contracts in .importlinter: a module that imports a higher layer, or two modules
of one package that import each other, fail this test (and `make lint`).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from engine import registry
from engine.db import db
from engine.models import Case, WorkItem
from handlers.case_kinds import REFERENCE_PREFIXES
from handlers.models import MELDKAMER, ONTHAAL

from .import_graph import build_graph, upward_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache", "--config", ".importlinter"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_no_module_imports_a_higher_layer():
    assert upward_imports(build_graph()) == []


def _string_literals(path: Path) -> set[str]:
    """The strings in a module's code, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_the_engine_names_no_lane_and_no_kind_of_case():
    names = set(REFERENCE_PREFIXES) | {MELDKAMER, ONTHAAL}
    found = {f"{path.name}: {text}" for path in sorted((ROOT / "engine").glob("*.py"))
             for text in _string_literals(path) & names}
    assert found == set()


def test_the_handlers_tell_the_engine_their_kinds_and_lanes(app):
    assert {kind: registry.reference_prefix(kind) for kind in ("melding", "post", "mail")} == \
        {"melding": "M", "post": "P", "mail": "I"}
    assert registry.reference_prefix("onbekend") == "Z"
    assert not registry.lane_has_deadline(MELDKAMER)
    assert registry.lane_has_deadline("behandelaarsgroep") and registry.lane_has_deadline(ONTHAAL)


def test_a_new_melding_gets_an_m_reference_and_an_undated_triage(staff):
    ref = staff.meldkamer.file_melding()["reference"]
    assert ref.startswith("M")
    case = db.session.scalar(select(Case).where(Case.reference == ref))
    triage = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert triage.lane == MELDKAMER and triage.due_at is None
    staff.meldkamer.complete(ref, "triage", {"decision": "dispatch"})
    handling = db.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "open"))
    assert handling.task_name == "take_in_handling" and handling.due_at is not None
